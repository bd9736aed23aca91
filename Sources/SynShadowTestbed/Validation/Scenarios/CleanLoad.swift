#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SynShadowCore

/// Clean load at the machine's maximum rate: several client threads connect
/// to a loopback listener inside the sandbox as fast as they can while this
/// thread drains the ring buffer, so 100,000 connections (~600,000 records,
/// more than the 16 MiB ring holds) cost no event. Nothing is wrong: zero
/// divergences, zero lost events, and every flow accounted for, with children
/// traced == TcpPassiveOpens == connections accepted.
public struct CleanLoad: Scenario {
    public let name = "clean-load"
    public var connections: Int
    public var clientThreads: Int

    public init(connections: Int = 100_000, clientThreads: Int = 4) {
        self.connections = connections
        self.clientThreads = clientThreads
    }

    public var summary: String {
        "\(connections) loopback connections from \(clientThreads) client threads at full speed, drained while they run"
    }

    /// The load's result, handed from its thread to the draining one.
    private final class Completion: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: ConnectionLoad.Result?

        var result: ConnectionLoad.Result? { lock.withLock { stored } }

        func finish(_ result: ConnectionLoad.Result) { lock.withLock { stored = result } }
    }

    /// Nothing goes wrong: every connection a passive open, no counter of
    /// trouble moves.
    static func expectation(connections count: Int) -> ScenarioExpectation {
        var expectation = ScenarioExpectation()
        expectation.counters = [
            "TcpPassiveOpens": Int64(count), "TcpExtListenOverflows": 0, "TcpExtListenDrops": 0,
            "TcpExtTCPReqQFullDrop": 0, "TcpExtSyncookiesSent": 0, "TcpExtTCPTimeWaitOverflow": 0,
        ]
        expectation.comparedCounters = [.listenOverflows, .listenDrops, .requestQueueFullDrop, .syncookiesSent]
        // On a starved machine (a qemu guest at full load) a SYN-ACK can be
        // retransmitted before the ACK is processed; the client's duplicate
        // ACK is then dropped by the kernel; and the accept thread, waiting
        // for a CPU, can leave a child queued past the slow-accept threshold
        // (seen in CI: 185.9 ms in a 6.1 guest while the host built). Both
        // are true behaviour, shown in the row, never a divergence.
        expectation.tolerated = [.packetDropped, .acceptSlow]
        return expectation
    }

    public func run(in context: ScenarioContext) throws -> ScenarioOutcome {
        // Room for every server-side TIME_WAIT: when the table overflows, a
        // late ACK finds only the listener, which resets it (a small guest's
        // default is a few thousand).
        let harness = try ScenarioHarness(
            scenario: name, context: context,
            sysctls: [("net/ipv4/tcp_max_tw_buckets", String(max(connections * 2, 262_144)))])
        let completion = Completion()
        let (count, threads) = (connections, clientThreads)
        // A thread started from the sandbox's thread inherits its network
        // namespace, and so do the load's own client and accept threads.
        try harness.run {
            let load = try ConnectionLoad(family: AF_INET, backlog: 4096)
            let runner = Thread {
                completion.finish(load.run(clientThreads: threads, count: count, seconds: 300))
            }
            runner.start()
        }
        func drainUntilDone() throws -> ConnectionLoad.Result {
            while true {
                try context.drain(timeoutMilliseconds: 10)
                if let result = completion.result { return result }
            }
        }
        let result = try drainUntilDone()
        let expectation = Self.expectation(connections: count)
        harness.outcome.exact = false // the accept-slow and overload figures follow timing
        let observation = try harness.conclude(expecting: expectation, connections: result.connections)
        harness.outcome.require(
            result.connections == count,
            "\(result.connections) of \(count) connections accepted (\(result.failures) failed)")
        // Client ports recur across 100,000 connections, so flows are counted
        // per step rather than grouped by 4-tuple; the model, which follows
        // each attempt in order, already said nothing was out of place.
        var steps: [EventKind: Int] = [:]
        for event in observation.events { steps[event.kind, default: 0] += 1 }
        let passiveOpens = Int(harness.outcome.counterDeltas["TcpPassiveOpens"] ?? 0)
        for kind in HandshakeShape.clean(for: context.tier).kinds {
            let seen = steps[kind] ?? 0
            // Handshake ACKs may be retransmitted (see above): at least one each.
            let exact = kind == .ack ? seen >= result.connections : seen == result.connections
            harness.outcome.require(
                exact && (kind == .ack || seen == passiveOpens),
                "\(seen) \(kind.name) records for \(result.connections) connections accepted,"
                    + " TcpPassiveOpens +\(passiveOpens)")
        }
        return harness.finish()
    }
}
