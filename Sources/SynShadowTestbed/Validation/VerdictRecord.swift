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
    /// Kernel behaviours measured in words (see `ScenarioOutcome.observations`).
    public var observations: [String: String]
    /// Whether the row's figures repeat on the same kernel (scripted traffic).
    public var exact: Bool
    /// The counters whose deltas repeat on the same kernel (see
    /// `ScenarioOutcome.exactCounters`), sorted.
    public var exactCounters: [String]
    public var connections: Int
    public var events: Int
    public var milliseconds: Int
    /// PASS, FAIL, INCONCLUSIVE (events were lost: the oracle could not
    /// judge), or UNAVAILABLE (this kernel does not offer the tier).
    public var verdict: String
    public var reasons: [String]

    public init(_ outcome: ScenarioOutcome, kernel: String) {
        scenario = outcome.scenario
        tier = outcome.tier.name
        self.kernel = kernel
        expected = outcome.expectedFindings
        observed = outcome.observedFindings
        counters = outcome.counterDeltas
        observations = outcome.observations
        exact = outcome.exact
        exactCounters = outcome.exactCounters.sorted()
        connections = outcome.connections
        events = outcome.events
        milliseconds = outcome.milliseconds
        verdict = outcome.passed ? "PASS" : outcome.inconclusive ? "INCONCLUSIVE" : "FAIL"
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
        observations = [:]
        exact = true
        exactCounters = []
        connections = 0
        events = 0
        milliseconds = 0
        verdict = unsupported ? "UNAVAILABLE" : "FAIL"
        reasons = [reason]
    }

    public var failed: Bool { verdict == "FAIL" }
    public var inconclusive: Bool { verdict == "INCONCLUSIVE" }

    /// The counters a row shows and a comparison holds against another
    /// kernel's: the passive open's, the ones a patch there moves.
    public static let passiveOpenCounters: Set<String> = [
        "TcpPassiveOpens", "TcpExtListenOverflows", "TcpExtListenDrops", "TcpExtTCPReqQFullDrop",
        "TcpExtTCPReqQFullDoCookies", "TcpExtSyncookiesSent", "TcpExtSyncookiesRecv", "TcpExtSyncookiesFailed",
        "TcpAttemptFails", "TcpExtEmbryonicRsts", "TcpExtTCPDeferAcceptDrop", "TcpExtTCPSynRetrans",
    ]

    private enum CodingKeys: String, CodingKey {
        case type, scenario, tier, kernel, expected, observed, counters, observations, exact, connections, events
        case milliseconds, verdict, reasons
        case exactCounters = "exact_counters"
    }

    /// Rows from an older binary (a guest's, a saved --json file) lack the
    /// observations and do not say which figures repeat: they read as
    /// measuring nothing and as inexact, so only their verdicts are compared
    /// (a difference of timing must never pass for one of the kernel).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(String.self, forKey: .type)
        scenario = try container.decode(String.self, forKey: .scenario)
        tier = try container.decode(String.self, forKey: .tier)
        kernel = try container.decode(String.self, forKey: .kernel)
        expected = try container.decode([String: Int].self, forKey: .expected)
        observed = try container.decode([String: Int].self, forKey: .observed)
        counters = try container.decode([String: Int64].self, forKey: .counters)
        observations = try container.decodeIfPresent([String: String].self, forKey: .observations) ?? [:]
        exact = try container.decodeIfPresent(Bool.self, forKey: .exact) ?? false
        exactCounters = try container.decodeIfPresent([String].self, forKey: .exactCounters) ?? []
        connections = try container.decode(Int.self, forKey: .connections)
        events = try container.decode(Int.self, forKey: .events)
        milliseconds = try container.decode(Int.self, forKey: .milliseconds)
        verdict = try container.decode(String.self, forKey: .verdict)
        reasons = try container.decode([String].self, forKey: .reasons)
    }

    public func jsonLine() -> String { JSONLine.encode(self) }

    public static func parse(line: some StringProtocol) -> VerdictRecord? {
        JSONLine.decode(line, type: "verdict")
    }
}
