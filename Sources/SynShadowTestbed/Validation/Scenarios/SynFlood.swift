import SynShadowCore

/// A SYN flood on a listener with backlog 8, with net.ipv4.tcp_syncookies
/// off (0: SYNs past the request queue's limit are dropped), on (1: they get
/// a syncookie instead) or forced (2: every SYN gets one). The handshakes
/// that got a request sock are completed, and so are a few cookie ones; with
/// cookies on, one ACK carries a forged cookie and must be refused.
public struct SynFlood: FamilyScenario {
    public var family: AddressFamily
    public var syncookies: Int
    public var synCount: Int
    /// Cookie handshakes completed with the peer's ACK.
    public var cookieCompletions = 5
    private let backlog: Int32 = 8

    public init(family: AddressFamily = .ipv4, syncookies: Int, synCount: Int = 300) {
        self.family = family
        self.syncookies = syncookies
        self.synCount = synCount
    }

    public var baseName: String { "syn-flood-cookies\(syncookies)" }

    public var summary: String {
        "\(synCount) SYNs at backlog \(backlog), tcp_syncookies=\(syncookies), requests and \(cookieCompletions)"
            + " cookies completed (compares TCPReqQFullDrop, ListenDrops, ListenOverflows, SyncookiesSent/Recv,"
            + " TCPReqQFullDoCookies, SyncookiesFailed)"
    }

    /// What the peer and /proc saw, carried out of the namespace.
    private struct Traffic {
        var answered = 0
        var requests = 0
        var cookiesCompleted = 0
        var forgedCookieReset = false
        var accepted = 0
    }

    public func run(in context: ScenarioContext) throws -> ScenarioOutcome {
        let harness = try ScenarioHarness(
            scenario: name, context: context, sysctls: [("net/ipv4/tcp_syncookies", String(syncookies))])
        let (family, synCount, backlog, cookieCompletions) = (family, synCount, backlog, cookieCompletions)
        let cookiesOn = syncookies != 0
        let traffic = try harness.runOnTestbed { bed throws -> Traffic in
            var traffic = Traffic()
            let listener = try bed.listen(family, backlog: backlog)
            let flows = try bed.peer.sendSYNs(count: synCount, to: listener.endpoint)
            _ = try bed.peer.drainIncoming(timeout: .milliseconds(200))
            let answered = flows.filter { bed.peer.synACKCount(for: $0) > 0 }
            let holders = try RequestSockTable.peers(onPort: listener.endpoint.port, family: family)
            let requestFlows = answered.filter { holders.contains($0.peer) }
            let cookieFlows = answered.filter { !holders.contains($0.peer) }
            traffic.answered = answered.count
            traffic.requests = requestFlows.count
            if cookiesOn, let forged = cookieFlows.last,
                let isn = try bed.peer.awaitSYNACK(for: forged, timeout: .zero)
            {
                // +0x10000 lands in the cookie's MSS-index bits: never valid.
                try bed.peer.sendACK(forged, ackNumber: isn &+ 1 &+ 0x10000)
                ScenarioHarness.pauseForDecision()
                traffic.forgedCookieReset = try bed.wasReset(forged)
            }
            let completing = requestFlows + cookieFlows.prefix(cookieCompletions)
            traffic.cookiesCompleted = min(cookieCompletions, cookieFlows.count)
            // In batches the accept queue holds, accepted before the next.
            for start in stride(from: 0, to: completing.count, by: Int(backlog)) {
                for flow in completing[start..<min(start + Int(backlog), completing.count)] {
                    try bed.peer.sendACK(flow)
                }
                traffic.accepted += try bed.acceptReady(from: listener).count
            }
            return traffic
        }
        let dropped = synCount - traffic.answered
        let cookiesSent = cookiesOn ? synCount - traffic.requests : 0
        var expectation = ScenarioExpectation()
        expectation.findings = [
            .synDroppedRequestQueueFull: dropped,
            .syncookieSent: cookiesSent,
            .syncookieAccepted: traffic.cookiesCompleted,
            // A failed cookie never reaches tcp_check_req: the cgroup hook, or
            // cookie_v{4,6}_check in the function tiers, sees the ACK.
            .syncookieFailed: cookiesOn ? 1 : 0,
            // The forged ACK is answered with a RST and freed with the listener as rx_sk.
            .packetDropped: cookiesOn && ScenarioHarness.dropsAttributable ? 1 : 0,
        ]
        expectation.counters = [
            "TcpExtTCPReqQFullDrop": Int64(dropped), "TcpExtListenDrops": Int64(dropped),
            "TcpExtListenOverflows": 0, "TcpExtSyncookiesSent": Int64(cookiesSent),
            "TcpExtSyncookiesRecv": Int64(traffic.cookiesCompleted), "TcpExtSyncookiesFailed": cookiesOn ? 1 : 0,
            "TcpExtTCPReqQFullDoCookies": Int64(cookiesSent),
            "TcpPassiveOpens": Int64(traffic.requests + traffic.cookiesCompleted),
        ]
        expectation.comparedCounters = [
            .requestQueueFullDrop, .listenDrops, .listenOverflows, .syncookiesSent, .syncookiesReceived,
            .requestQueueFullCookies, .syncookiesFailed,
        ]
        try harness.conclude(expecting: expectation, connections: traffic.accepted)
        harness.outcome.observations["request socks held at backlog \(backlog)"] = String(traffic.requests)
        harness.outcome.observations["SYNs answered of \(synCount)"] = String(traffic.answered)
        let limit = Int(backlog)
        switch syncookies {
        case 0:
            harness.outcome.require(
                traffic.requests == traffic.answered && (limit...limit + 1).contains(traffic.requests),
                "\(traffic.answered) SYNs answered, \(traffic.requests) request socks:"
                    + " expected the backlog's \(limit) or \(limit + 1)")
        case 1:
            harness.outcome.require(traffic.answered == synCount, "\(traffic.answered) of \(synCount) SYNs answered")
            harness.outcome.require(
                (limit...limit + 1).contains(traffic.requests),
                "\(traffic.requests) request socks, expected \(limit) or \(limit + 1)")
        default:
            harness.outcome.require(traffic.answered == synCount, "\(traffic.answered) of \(synCount) SYNs answered")
            harness.outcome.require(traffic.requests == 0, "\(traffic.requests) request socks with cookies forced")
        }
        if cookiesOn { harness.outcome.require(traffic.forgedCookieReset, "the forged cookie ACK got no RST") }
        let completed = traffic.requests + traffic.cookiesCompleted
        harness.outcome.require(
            traffic.accepted == completed, "accepted \(traffic.accepted) of \(completed) completed handshakes")
        return harness.finish()
    }
}
