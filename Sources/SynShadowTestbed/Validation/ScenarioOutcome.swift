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
    /// Kernel behaviours the traffic measured, named in words ("first SYN
    /// dropped" -> "accept queue 2/2, request queue 0"): what a comparison of
    /// two kernels reports when they differ.
    public var observations: [String: String] = [:]
    /// Whether a rerun on the same kernel gives the same findings, counters
    /// and observations (scripted traffic); load scenarios' figures follow
    /// timing, so a comparison holds only their verdicts against each other.
    public var exact = true
    /// Counters the traffic moves by an amount the scenario declares (its
    /// expectation): the ones a rerun repeats. Others (a SYN-ACK retransmit
    /// on a slow guest, delayed ACKs) follow timing, even in a scripted row.
    public var exactCounters: Set<String> = []
    /// Events the kernel side meant to write that never reached the oracle
    /// (ring full, runs the kernel skipped, unpaired steps): the oracle
    /// judged blind, so a row that lost any is inconclusive, never a FAIL.
    public var lostEvents: UInt64 = 0
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

    /// Not passed, with events lost: what the kernel did cannot be judged
    /// (its other reasons may follow from the loss).
    public var inconclusive: Bool { !passed && lostEvents > 0 }

    /// Records a failure unless `condition` holds.
    public mutating func require(_ condition: Bool, _ reason: @autoclosure () -> String) {
        if !condition { failures.append(reason()) }
    }
}
