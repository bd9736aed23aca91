#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SynShadowCore
import SynShadowTracer

/// The busy-server check: a server as servers really run while both CPUs are
/// kept busy, in a namespace of its own. A clean phase — an event-loop
/// server on IPv4 and IPv6, many client threads mixing keep-alive
/// connections and one request per connection — must give no finding at
/// all; then an overload phase — backlog 4, the server stalled for seconds,
/// tcp_syncookies=1 — must give only behaviour findings whose counter claims
/// equal, counter by counter, what the kernel counted in the namespace
/// (TcpPassiveOpens, ListenOverflows, ListenDrops, SyncookiesSent/Recv/Failed).
public struct BusyServer: Scenario {
    public let name = "busy-server"
    public var connections: Int
    public var clientThreads: Int
    public var overloadClients: Int

    public init(connections: Int = 20_000, clientThreads: Int = 8, overloadClients: Int = 50) {
        self.connections = connections
        self.clientThreads = clientThreads
        self.overloadClients = overloadClients
    }

    public var summary: String {
        "\(connections) connections (IPv4+IPv6, keep-alive and one request each) from \(clientThreads) threads with both"
            + " CPUs busy, then \(overloadClients) clients at backlog 4 with the server stalled 3 s (syncookies 1):"
            + " no finding in the clean phase, counters equal in the overload"
    }

    private final class Phases: @unchecked Sendable {
        private let lock = NSLock()
        private var clean: BusyServerLoad.Result?
        private var overloadStart: UInt64?
        private var overload: BusyServerLoad.Result?
        private var failure: String?

        var state: (BusyServerLoad.Result?, UInt64?, BusyServerLoad.Result?, String?) {
            lock.withLock { (clean, overloadStart, overload, failure) }
        }

        func set(clean: BusyServerLoad.Result) { lock.withLock { self.clean = clean } }
        func startOverload(at time: UInt64) { lock.withLock { overloadStart = time } }
        func set(overload: BusyServerLoad.Result) { lock.withLock { self.overload = overload } }
        func fail(_ reason: String) { lock.withLock { failure = reason } }
    }

    public func run(in context: ScenarioContext) throws -> ScenarioOutcome {
        let harness = try ScenarioHarness(
            scenario: name, context: context,
            sysctls: [
                ("net/ipv4/tcp_syncookies", "1"), ("net/ipv4/tcp_max_tw_buckets", String(max(connections * 2, 262_144))),
                ("net/ipv4/ip_local_port_range", "10000 65000"),
            ])
        let phases = Phases()
        let (connections, clientThreads, overloadClients) = (connections, clientThreads, overloadClients)
        // Threads started from the sandbox's thread live in its namespace.
        try harness.run {
            let runner = Thread {
                do {
                    phases.set(clean: try BusyServerLoad.clean(connections: connections, clientThreads: clientThreads))
                    usleep(300_000)
                    phases.startOverload(at: monotonicNanoseconds())
                    phases.set(overload: try BusyServerLoad.overload(clients: overloadClients))
                } catch {
                    phases.fail("\(error)")
                }
            }
            runner.start()
        }
        DrainPriority.raiseCurrentThread()
        while true {
            try context.drain(timeoutMilliseconds: 10)
            let (_, _, overload, failure) = phases.state
            if overload != nil || failure != nil { break }
        }
        let (clean, overloadStart, overload, failure) = phases.state
        if let failure { harness.outcome.failures.append("load failed: \(failure)") }
        var expectation = ScenarioExpectation()
        // Under full load the kernel may really drop or delay: behaviour is
        // held to the counters, never to a guess; divergences are never tolerated.
        expectation.tolerated = [
            .synDroppedAcceptQueueFull, .synDroppedRequestQueueFull, .syncookieSent, .syncookieAccepted,
            .syncookieFailed, .ackDroppedAcceptQueueFull, .childClosedWhileQueued, .childResetWhileQueued,
            .acceptSlow, .packetDropped,
        ]
        expectation.comparedCounters = [
            .listenOverflows, .listenDrops, .syncookiesSent, .syncookiesReceived, .syncookiesFailed,
        ]
        let total = (clean?.connections ?? 0) + (overload?.connections ?? 0)
        // Accept latency under two spinning CPUs is the operator's threshold to
        // set: one second here, so a clean phase's slow accept is not "news".
        harness.outcome.exact = false // overflow and syncookie counts follow timing
        let observation = try harness.conclude(expecting: expectation, connections: total) {
            $0.acceptLatencyThreshold = 1_000_000_000
        }
        let cleanFindings = observation.findings.filter { $0.timestamp < (overloadStart ?? .max) && $0.kind != .eventsLost }
        harness.outcome.require(
            cleanFindings.isEmpty,
            "clean phase: \(cleanFindings.count) finding(s), e.g. \(cleanFindings.first.map { "\($0.id): \($0.explanation)" } ?? "")")
        harness.outcome.require(
            (clean?.failures ?? 1) == 0, "clean phase: \(clean?.failures ?? -1) of \(connections) connections failed")
        // A tcp_check_req that lost its request to another CPU made a child
        // too (counted, then freed at once): the function tiers see it, so
        // there the count is exact. The tracepoint tier has no tcp_check_req
        // hook and cannot see that child (seen once in a 6.12 guest: +2051
        // against 2050): there every child accepted must have been seen
        // created, and none seen that the kernel did not count.
        let children = observation.events.filter {
            $0.kind == .childCreated || ($0.kind == .checkRequestDone && $0.flags.contains(.requestStolen))
        }.count
        let passiveOpens = Int(harness.outcome.counterDeltas["TcpPassiveOpens"] ?? -1)
        if context.tier == .tracepoint {
            let accepted = observation.events.filter { $0.kind == .accept }.count
            harness.outcome.require(
                accepted <= children && children <= passiveOpens,
                "TcpPassiveOpens +\(passiveOpens), the model saw \(children) children created and \(accepted) accepted")
        } else {
            harness.outcome.require(
                children == passiveOpens, "TcpPassiveOpens +\(passiveOpens), the model saw \(children) children created")
        }
        harness.outcome.require(
            (overload?.connections ?? 0) > 0, "overload phase: no client got through (\(overload?.failures ?? -1) failed)")
        return harness.finish()
    }
}
