import SynShadowCore

/// One row of the verdict table: what a scenario expected, what the kernel
/// and the model reported, and why it failed if it did.
public struct ScenarioOutcome: Sendable {
    public var scenario: String
    public var tier: Tier
    /// Finding id -> count the scenario provokes on purpose.
    public var expectedFindings: [String: Int] = [:]
    /// Finding id -> count the model reported.
    public var observedFindings: [String: Int] = [:]
    /// The kernel's counters that moved in the scenario's namespace.
    public var counterDeltas: [String: Int64] = [:]
    /// Readable reasons; empty means PASS.
    public var failures: [String] = []
    public var connections = 0
    public var events = 0
    public var milliseconds = 0

    public init(scenario: String, tier: Tier) {
        self.scenario = scenario
        self.tier = tier
    }

    public var passed: Bool { failures.isEmpty }

    /// Records a failure unless `condition` holds.
    public mutating func require(_ condition: Bool, _ reason: @autoclosure () -> String) {
        if !condition { failures.append(reason()) }
    }
}
