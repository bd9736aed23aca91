#if canImport(Glibc)
import Glibc
#endif
import SynShadowCore
import SynShadowTracer

/// A Fast Open child ends before the client's handshake ACK: the peer puts
/// data in its SYN (the kernel creates the child at once, in SYN_RECV, and
/// queues it), then resets it (RST) — or, for the IPv4 variant of the
/// ICMP case, answers the SYN-ACK with "host unreachable", which kills a
/// SYN_RECV Fast Open child. The model must follow the child's real state
/// (SYN_RECV, not ESTABLISHED) and report the child reset while queued.
public struct FastOpenAborted: Scenario {
    public enum Ending: String, Sendable {
        case reset
        case icmp
    }

    public var ending: Ending

    public init(ending: Ending) {
        self.ending = ending
    }

    public var name: String { "fast-open-\(ending.rawValue)" }

    public var summary: String {
        "a Fast Open child (data in the SYN) "
            + (ending == .reset ? "reset by the client" : "killed by ICMP host unreachable") + " before the handshake ACK"
    }

    /// Fast Open on, no cookie needed (TFO_SERVER_ENABLE | TFO_SERVER_COOKIE_NOT_REQD).
    private static let fastOpenFlags = "514"

    private struct Traffic {
        var answered: Bool
        var accepted: Int
    }

    public func run(in context: ScenarioContext) throws -> ScenarioOutcome {
        let harness = try ScenarioHarness(
            scenario: name, context: context, sysctls: [("net/ipv4/tcp_fastopen", Self.fastOpenFlags)])
        let ending = ending
        let traffic = try harness.runOnTestbed { bed throws -> Traffic in
            let listener = try bed.listen(.ipv4, backlog: 8)
            try listener.socket.setOption(level: Int32(IPPROTO_TCP), name: TCP_FASTOPEN, value: 8)
            var options = TCPOptions.synDefault
            options.fastOpenCookie = []
            let flow = try bed.peer.sendSYN(
                from: bed.peer.device.peerAddress(.ipv4, host: 2), port: 40_000, to: listener.endpoint.address,
                port: listener.endpoint.port, options: options, payload: Array("fast open".utf8))
            let answered = try bed.isAnswered(flow)
            if ending == .reset {
                try bed.peer.sendRST(flow)
            } else if let synACK = bed.peer.segments(for: flow).first(where: { $0.flags == .synACK }) {
                try bed.peer.sendHostUnreachable(quoting: synACK)
            }
            ScenarioHarness.pauseForDecision()
            return Traffic(answered: answered, accepted: try bed.acceptReady(from: listener, wait: 50).count)
        }
        var expectation = ScenarioExpectation()
        // accept() comes after the decision pause (150 ms): the child
        // really waited longer than the 100 ms threshold.
        expectation.findings = [.childResetWhileQueued: 1, .acceptSlow: 1]
        expectation.counters = ["TcpExtTCPFastOpenPassive": 1, "TcpPassiveOpens": 1]
        try harness.conclude(expecting: expectation, connections: 1)
        harness.outcome.require(traffic.answered, "the Fast Open SYN got no SYN-ACK")
        return harness.finish()
    }
}
