import SynShadowCore
import SynShadowTracer

/// Segments that end a handshake before its child exists: an ACK with a
/// wrong acknowledgment number (tcp_check_req hands it back to the listener,
/// which answers with a RST and keeps the request, so the right ACK still
/// completes it) and a RST for a request (removed: an embryonic reset).
public struct HandshakeResets: FamilyScenario {
    public var family: AddressFamily

    public init(family: AddressFamily = .ipv4) {
        self.family = family
    }

    public var baseName: String { "handshake-resets" }

    public var summary: String {
        "an ACK with a wrong number, then the right one; a RST for a request"
            + " (compares EmbryonicRsts; OutRsts in the function tiers)"
    }

    private struct Traffic {
        var badACKReset: Bool
        var keptRequestAccepted: Bool
        var resetRequestsLeft: Int
    }

    public func run(in context: ScenarioContext) throws -> ScenarioOutcome {
        let harness = try ScenarioHarness(scenario: name, context: context)
        let family = family
        let traffic = try harness.runOnTestbed { bed throws -> Traffic in
            let listener = try bed.listen(family, backlog: 8)
            let wrong = try bed.open(0, to: listener)
            let isn = try bed.peer.awaitSYNACK(for: wrong, timeout: .zero) ?? 0
            try bed.peer.sendACK(wrong, ackNumber: isn &+ 1 &+ 1000)
            ScenarioHarness.pauseForDecision()
            let badACKReset = try bed.wasReset(wrong)
            try bed.peer.sendACK(wrong)
            let children = try bed.acceptReady(from: listener)
            let aborted = try bed.open(1, to: listener)
            try bed.peer.sendRST(aborted)
            ScenarioHarness.pauseForDecision()
            let left = try RequestSockTable.peers(onPort: listener.endpoint.port, family: family)
            return Traffic(
                badACKReset: badACKReset,
                keptRequestAccepted: children.count == 1 && PeerEndpoint(remoteOf: children[0]) == wrong.peer,
                resetRequestsLeft: left.count)
        }
        // The function tiers see tcp_check_req return the listener; the
        // tracepoint tier sees the listener's filter pass the ACK again.
        let seesResult = context.tier != .tracepoint
        var expectation = ScenarioExpectation()
        expectation.findings = [
            .ackRejected: 1,
            .embryonicReset: 1,
            // Both segments are freed with the listener as rx_sk.
            .packetDropped: ScenarioHarness.dropsAttributable ? 2 : 0,
        ]
        expectation.counters = [
            "TcpExtEmbryonicRsts": 1, "TcpAttemptFails": 1, "TcpOutRsts": 1, "TcpPassiveOpens": 1,
            "TcpExtListenDrops": 0,
        ]
        expectation.comparedCounters = [.embryonicResets, .listenDrops]
        if seesResult { expectation.comparedCounters.append(.outResets) }
        try harness.conclude(expecting: expectation, connections: 1)
        harness.outcome.require(traffic.badACKReset, "the ACK with a wrong number got no RST")
        harness.outcome.require(traffic.keptRequestAccepted, "the right ACK after the wrong one made no child")
        harness.outcome.require(traffic.resetRequestsLeft == 0, "the RST left its request in place")
        return harness.finish()
    }
}
