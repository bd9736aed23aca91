import SynShadowCore

/// Segments that reach a listener after their connection is gone, as at
/// every teardown: the server resets an accepted connection, then the
/// client's late ACK and RST find no socket but the listener. The kernel
/// answers or discards them; none is a handshake step, so nothing may be
/// reported.
public struct TeardownSegments: FamilyScenario {
    public var family: AddressFamily

    public init(family: AddressFamily = .ipv4) {
        self.family = family
    }

    public var baseName: String { "teardown-segments" }

    public var summary: String {
        "an accepted connection reset by the server, then the client's ACK and RST reach the listener"
    }

    public func run(in context: ScenarioContext) throws -> ScenarioOutcome {
        let harness = try ScenarioHarness(scenario: name, context: context)
        let family = family
        let accepted = try harness.runOnTestbed { bed throws -> Int in
            let listener = try bed.listen(family, backlog: 8)
            let flow = try bed.handshake(0, to: listener)
            let children = try bed.acceptReady(from: listener)
            children.forEach { $0.reset() }
            _ = try bed.wasReset(flow)
            try bed.peer.sendACK(flow, payload: [0x21])
            try bed.peer.sendRST(flow)
            ScenarioHarness.pauseForDecision()
            return children.count
        }
        var expectation = ScenarioExpectation()
        expectation.counters = ["TcpPassiveOpens": 1]
        try harness.conclude(expecting: expectation, connections: accepted)
        harness.outcome.require(accepted == 1, "the handshake made \(accepted) children, not one")
        return harness.finish()
    }
}
