import Foundation
import SynShadowCore

/// A verdict row as machines read it (`synshadow validate --json`), and as
/// the host reads it back from a guest's console.
public struct VerdictRecord: Codable, Sendable, Equatable {
    public var type = "verdict"
    public var scenario: String
    public var tier: String
    public var kernel: String
    public var expected: [String: Int]
    public var observed: [String: Int]
    public var counters: [String: Int64]
    public var connections: Int
    public var events: Int
    public var milliseconds: Int
    /// PASS, FAIL, or UNAVAILABLE (this kernel does not offer the tier).
    public var verdict: String
    public var reasons: [String]

    public init(_ outcome: ScenarioOutcome, kernel: String) {
        scenario = outcome.scenario
        tier = outcome.tier.name
        self.kernel = kernel
        expected = outcome.expectedFindings
        observed = outcome.observedFindings
        counters = outcome.counterDeltas
        connections = outcome.connections
        events = outcome.events
        milliseconds = outcome.milliseconds
        verdict = outcome.passed ? "PASS" : "FAIL"
        reasons = outcome.failures
    }

    /// A tier that did not load: UNAVAILABLE when the kernel does not offer
    /// it (`unsupported`), FAIL when SynShadow's own programs did not load.
    public init(unloadableTier tier: Tier, kernel: String, reason: String, unsupported: Bool) {
        scenario = "*"
        self.tier = tier.name
        self.kernel = kernel
        expected = [:]
        observed = [:]
        counters = [:]
        connections = 0
        events = 0
        milliseconds = 0
        verdict = unsupported ? "UNAVAILABLE" : "FAIL"
        reasons = [reason]
    }

    public var failed: Bool { verdict == "FAIL" }

    public func jsonLine() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    public static func parse(line: some StringProtocol) -> VerdictRecord? {
        guard line.hasPrefix("{\"") , line.contains("\"type\":\"verdict\"") else { return nil }
        return try? JSONDecoder().decode(VerdictRecord.self, from: Data(line.utf8))
    }
}
