import SynShadowCore
import SynShadowTracer

/// An application that stops accepting: with backlog 2 the accept queue
/// fills at three children, then a new SYN is dropped (ListenOverflows) and
/// the ACK of a request built before the queue filled finds no room. With
/// tcp_abort_on_overflow=0 the kernel drops that ACK and keeps the request,
/// so the client's resent ACK completes once there is room; with =1 it
/// resets the connection and the peer must receive the RST.
public struct AcceptQueueOverflow: FamilyScenario {
    public var family: AddressFamily
    public var abortsOnOverflow: Bool

    public init(family: AddressFamily = .ipv4, abortsOnOverflow: Bool) {
        self.family = family
        self.abortsOnOverflow = abortsOnOverflow
    }

    public var baseName: String {
        "accept-overflow-\(abortsOnOverflow ? "abort" : "keep")"
    }

    public var summary: String {
        "backlog 2, no accept(): a SYN and an ACK meet a full accept queue, tcp_abort_on_overflow="
            + (abortsOnOverflow ? "1" : "0")
            + " (compares ListenOverflows, ListenDrops, EmbryonicRsts, TCPReqQFullDrop)"
    }

    /// What the peer saw, carried out of the namespace.
    private struct Traffic {
        var droppedSYNAnswered: Bool
        var lateFlowReset: Bool
        var lateFlowAccepted: Bool
        var accepted: Int
    }

    public func run(in context: ScenarioContext) throws -> ScenarioOutcome {
        let harness = try ScenarioHarness(
            scenario: name, context: context,
            sysctls: [("net/ipv4/tcp_abort_on_overflow", abortsOnOverflow ? "1" : "0")])
        let family = family
        let aborts = abortsOnOverflow
        let traffic = try harness.runOnTestbed { bed throws -> Traffic in
            let listener = try bed.listen(family, backlog: 2)
            try bed.handshake(0, to: listener)
            try bed.handshake(1, to: listener)
            // Built while the queue still has room (2 is not > 2), ACKed once it has none.
            let late = try bed.open(2, to: listener)
            try bed.handshake(3, to: listener)
            ScenarioHarness.pauseForDecision()
            let dropped = try bed.sendSYN(4, to: listener)
            let droppedSYNAnswered = try bed.isAnswered(dropped)
            ScenarioHarness.pauseForDecision()
            try bed.peer.sendACK(late)
            ScenarioHarness.pauseForDecision()
            let lateFlowReset = try bed.wasReset(late)
            var children = try bed.acceptReady(from: listener)
            var lateFlowAccepted = false
            if !aborts {
                // The request was kept: the client's retransmitted ACK now finds room.
                ScenarioHarness.pauseForDecision()
                try bed.peer.sendACK(late)
                let more = try bed.acceptReady(from: listener)
                lateFlowAccepted = more.contains { PeerEndpoint(remoteOf: $0) == late.peer }
                children += more
            }
            return Traffic(
                droppedSYNAnswered: droppedSYNAnswered, lateFlowReset: lateFlowReset,
                lateFlowAccepted: lateFlowAccepted, accepted: children.count)
        }
        var expectation = ScenarioExpectation()
        expectation.findings = [
            .synDroppedAcceptQueueFull: 1,
            aborts ? .ackResetAcceptQueueFull : .ackDroppedAcceptQueueFull: 1,
            // tcp_check_req's NULL frees the ACK with the listener as rx_sk.
            .packetDropped: ScenarioHarness.dropsAttributable ? 1 : 0,
            // Nobody accepted for ~450 ms: the first three children waited.
            .acceptSlow: 3,
        ]
        expectation.counters = [
            "TcpExtListenOverflows": 2, "TcpExtListenDrops": 2, "TcpExtEmbryonicRsts": aborts ? 1 : 0,
            "TcpExtTCPReqQFullDrop": 0, "TcpPassiveOpens": aborts ? 3 : 4,
        ]
        expectation.comparedCounters = [.listenOverflows, .listenDrops, .embryonicResets, .requestQueueFullDrop]
        try harness.conclude(expecting: expectation, connections: traffic.accepted)
        harness.outcome.require(!traffic.droppedSYNAnswered, "the SYN sent to a full accept queue was answered")
        if aborts {
            harness.outcome.require(traffic.lateFlowReset, "tcp_abort_on_overflow=1 but the peer got no RST")
            harness.outcome.require(traffic.accepted == 3, "accepted \(traffic.accepted) children, expected 3")
        } else {
            harness.outcome.require(!traffic.lateFlowReset, "tcp_abort_on_overflow=0 but the peer got a RST")
            harness.outcome.require(traffic.lateFlowAccepted, "the kept request's resent ACK made no child")
            harness.outcome.require(traffic.accepted == 4, "accepted \(traffic.accepted) children, expected 4")
        }
        return harness.finish()
    }
}
