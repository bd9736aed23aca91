#if canImport(Glibc)
import Glibc
#endif
import SynShadowCore

/// Clients that never complete the handshake: SYNs from the peer whose
/// SYN-ACKs go unanswered. With tcp_synack_retries=1 each request sends one
/// retransmit (~1 s) and expires at its next timer (~3 s), so the scenario
/// waits a few seconds rather than the default minute.
public struct HandshakeExpiry: Scenario {
    public let name = "handshake-expiry"
    /// Unanswered requests per address family.
    public var flowsPerFamily: Int

    public init(flowsPerFamily: Int = 2) {
        self.flowsPerFamily = flowsPerFamily
    }

    public var summary: String {
        "\(flowsPerFamily) IPv4 + \(flowsPerFamily) IPv6 SYNs never ACKed, tcp_synack_retries=1"
            + " (compares TCPSynRetrans; TCPTimeouts moves per timer, twice per request)"
    }

    private struct Traffic {
        var synACKCounts: [Int]
        var requestsLeft: Int
    }

    public func run(in context: ScenarioContext) throws -> ScenarioOutcome {
        let harness = try ScenarioHarness(
            scenario: name, context: context, sysctls: [("net/ipv4/tcp_synack_retries", "1")])
        let count = flowsPerFamily
        let traffic = try harness.runOnTestbed { bed throws -> Traffic in
            var flows: [PeerFlow] = []
            var listeners: [PeerTestbed.Listener] = []
            for family in [AddressFamily.ipv4, .ipv6] {
                let listener = try bed.listen(family, backlog: 16)
                listeners.append(listener)
                for index in 0..<count { flows.append(try bed.open(index, to: listener)) }
            }
            // First timer at ~1 s (retransmit), the second at ~3 s expires the request.
            _ = try bed.peer.drainIncoming(timeout: .milliseconds(3600))
            var left = 0
            for listener in listeners {
                left += try RequestSockTable.peers(
                    onPort: listener.endpoint.port, family: listener.endpoint.address.family
                ).count
            }
            return Traffic(synACKCounts: flows.map { bed.peer.synACKCount(for: $0) }, requestsLeft: left)
        }
        let requests = 2 * count
        var expectation = ScenarioExpectation()
        expectation.findings = [.handshakeExpired: requests]
        expectation.counters = [
            "TcpExtTCPSynRetrans": Int64(requests), "TcpExtTCPTimeouts": Int64(2 * requests), "TcpPassiveOpens": 0,
        ]
        expectation.comparedCounters = [.synRetransmits]
        try harness.conclude(expecting: expectation, connections: 0)
        harness.outcome.observations["SYN-ACKs per flow at tcp_synack_retries=1"] =
            Set(traffic.synACKCounts).sorted().map(String.init).joined(separator: ",")
        harness.outcome.require(
            traffic.synACKCounts.allSatisfy { $0 == 2 },
            "SYN-ACKs per flow \(traffic.synACKCounts): expected the original and one retransmit")
        harness.outcome.require(traffic.requestsLeft == 0, "\(traffic.requestsLeft) requests had not expired")
        return harness.finish()
    }
}
