import SynShadowCore

/// A request sock killed by an ICMP error: the peer answers the SYN-ACK with
/// "host unreachable" quoting it, so tcp_req_err drops the request and the
/// kernel counts ListenDrops — the "client connected, my server never saw
/// it" case. The function tiers report it (tcp_req_err); the tracepoint
/// tier sees no trace of it and must say nothing false (no expiry, no
/// queue mismatch).
public struct RequestKilledByICMP: Scenario {
    public init() {}

    public var name: String { "request-killed-by-icmp" }

    public var summary: String {
        "a SYN-ACK answered with ICMP host unreachable: the request is dropped (compares ListenDrops in the"
            + " function tiers)"
    }

    public func run(in context: ScenarioContext) throws -> ScenarioOutcome {
        let harness = try ScenarioHarness(scenario: name, context: context)
        let requestsLeft = try harness.runOnTestbed { bed throws -> Int in
            let listener = try bed.listen(.ipv4, backlog: 8)
            let flow = try bed.open(0, to: listener)
            guard let synACK = bed.peer.segments(for: flow).first(where: { $0.flags == .synACK }) else {
                throw PeerError("no SYN-ACK recorded for \(flow)")
            }
            try bed.peer.sendHostUnreachable(quoting: synACK)
            ScenarioHarness.pauseForDecision()
            return try RequestSockTable.peers(onPort: listener.endpoint.port, family: .ipv4).count
        }
        let seesIt = context.tier != .tracepoint
        var expectation = ScenarioExpectation()
        expectation.findings = [.requestDroppedByICMP: seesIt ? 1 : 0]
        expectation.counters = ["TcpExtListenDrops": 1, "TcpPassiveOpens": 0]
        // The tracepoint tier cannot see tcp_req_err: it claims nothing.
        expectation.comparedCounters = seesIt ? [.listenDrops] : []
        try harness.conclude(expecting: expectation, connections: 0)
        harness.outcome.require(requestsLeft == 0, "the ICMP error left the request in place")
        return harness.finish()
    }
}
