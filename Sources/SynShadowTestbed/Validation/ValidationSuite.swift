import Foundation
import SynShadowCore
import SynShadowTracer

/// Runs scenarios against the running kernel with one traced session per
/// tier, and returns the verdict rows.
public struct ValidationSuite {
    public var scenarios: [any Scenario]
    /// Scenarios left out because this machine cannot run them, with why:
    /// reported as progress, never passed off as verdicts.
    public var unavailable: [(scenario: String, reason: String)]

    public init(scenarios: [any Scenario], unavailable: [(scenario: String, reason: String)] = []) {
        self.scenarios = scenarios
        self.unavailable = unavailable
    }

    /// The scenarios `synshadow validate` runs by default, fastest first.
    ///
    /// - Parameters:
    ///   - connectionsPerFamily: clean-handshakes' connections per address family.
    ///   - scale: multiplies clean-load's 100,000 connections; nil follows
    ///     `connectionsPerFamily / 1000`, so a guest's `--connections 50` runs 5,000.
    ///   - busyConnections: busy-server's clean-phase connections; nil scales 20,000 the same way.
    public static func standard(
        connectionsPerFamily: Int = 1000, scale: Double? = nil, busyConnections: Int? = nil
    ) -> ValidationSuite {
        let loadScale = scale ?? Double(connectionsPerFamily) / 1000
        // (scenario, whether it needs the scripted peer's TUN device)
        let ordered: [(any Scenario, Bool)] = [
            (CleanHandshakes(connectionsPerFamily: connectionsPerFamily), false),
            (AcceptQueueOverflow(abortsOnOverflow: false), true),
            (AcceptQueueOverflow(abortsOnOverflow: true), true),
            (AcceptQueueOverflow(family: .ipv6, abortsOnOverflow: true), true),
            (HandshakeResets(), true), (HandshakeResets(family: .ipv6), true),
            (QueuedChildren(), true), (QueuedChildren(family: .ipv6), true),
            (SynFlood(syncookies: 0), true), (SynFlood(syncookies: 1), true), (SynFlood(syncookies: 2), true),
            (SynFlood(family: .ipv6, syncookies: 1), true),
            (SlowAccept(), false), (BlockedAcceptors(), false), (FastOpen(), false), (ManyListeners(), false),
            (HandshakeExpiry(), true),
            (RequestKilledByICMP(), true), (TeardownSegments(), true), (TeardownSegments(family: .ipv6), true),
            (FastOpenAborted(ending: .reset), true), (FastOpenAborted(ending: .icmp), true),
            (CleanLoad(connections: max(1, Int((100_000 * loadScale).rounded()))), false),
            (BusyServer(connections: busyConnections ?? max(100, Int((20_000 * loadScale).rounded()))), false),
        ]
        let hasPeer = PeerTestbed.isSupported
        var suite = ValidationSuite(scenarios: [])
        for (scenario, needsPeer) in ordered {
            if needsPeer && !hasPeer {
                suite.unavailable.append((scenario.name, "no TUN driver (/dev/net/tun) for the scripted peer"))
            } else {
                suite.scenarios.append(scenario)
            }
        }
        return suite
    }

    /// Only the scenarios named (all when `names` is empty); nil when one
    /// of the names is unknown.
    public func selecting(_ names: [String]) -> ValidationSuite? {
        guard !names.isEmpty else { return self }
        let known = Set(scenarios.map(\.name)).union(unavailable.map(\.scenario))
        guard names.allSatisfy(known.contains) else { return nil }
        return ValidationSuite(
            scenarios: scenarios.filter { names.contains($0.name) },
            unavailable: unavailable.filter { names.contains($0.scenario) })
    }

    /// Runs every scenario under `tier` (nil: the richest that loads);
    /// `oracleFault` feeds the oracle a wrong fact on purpose.
    public func run(
        tier: Tier?, oracleFault: OracleFault? = nil, raceWindow: UInt64? = nil, recordDirectory: String? = nil,
        progress: @escaping (String) -> Void = { _ in }
    ) throws -> [ScenarioOutcome] {
        if let recordDirectory {
            do {
                try FileManager.default.createDirectory(atPath: recordDirectory, withIntermediateDirectories: true)
            } catch {
                throw SessionError("cannot create --record-dir \(recordDirectory): \(error.localizedDescription)")
            }
        }
        let tracer = try LiveTracer(configuration: .init(tier: tier))
        defer { tracer.close() }
        progress(tracer.selection.summary)
        for (scenario, reason) in unavailable { progress("not running \(scenario): \(reason)") }
        let context = ScenarioContext(tracer: tracer, oracleFault: oracleFault, raceWindow: raceWindow)
        context.recordDirectory = recordDirectory
        context.report = progress
        _ = try tracer.start(into: CollectingConsumer())
        var outcomes: [ScenarioOutcome] = []
        for scenario in scenarios {
            progress("running \(scenario.name) (\(tracer.tier.name))")
            do {
                outcomes.append(try scenario.run(in: context))
            } catch {
                var failed = ScenarioOutcome(scenario: scenario.name, tier: tracer.tier)
                failed.failures.append("could not run: \(error)")
                outcomes.append(failed)
            }
        }
        return outcomes
    }
}
