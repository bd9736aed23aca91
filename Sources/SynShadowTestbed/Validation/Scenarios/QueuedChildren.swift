import SynShadowCore

/// Children that end before accept(): the client resets one (RST) and
/// closes another (FIN) while both wait in the accept queue; then a second
/// listener is closed with a child and a request still queued, which resets
/// the child.
public struct QueuedChildren: FamilyScenario {
    public var family: AddressFamily

    public init(family: AddressFamily = .ipv4) {
        self.family = family
    }

    public var baseName: String { "queued-children" }

    public var summary: String {
        "RST and FIN from clients whose children wait for accept(); a listener closed with a child and a request"
            + " queued (compares TcpEstabResets)"
    }

    private struct Traffic {
        var accepted: Int
        var closedListenerChildReset: Bool
    }

    public func run(in context: ScenarioContext) throws -> ScenarioOutcome {
        let harness = try ScenarioHarness(scenario: name, context: context)
        let family = family
        let traffic = try harness.runOnTestbed { bed throws -> Traffic in
            let listener = try bed.listen(family, backlog: 8)
            let reset = try bed.handshake(0, to: listener)
            try bed.peer.sendRST(reset)
            let closed = try bed.handshake(1, to: listener)
            try bed.peer.sendFIN(closed)
            let accepted = try bed.acceptReady(from: listener).count
            let closing = try bed.listen(family, backlog: 8)
            let orphaned = try bed.handshake(2, to: closing)
            try bed.open(3, to: closing)
            closing.socket.close()
            return Traffic(accepted: accepted, closedListenerChildReset: try bed.wasReset(orphaned))
        }
        var expectation = ScenarioExpectation()
        expectation.findings = [.childResetWhileQueued: 1, .childClosedWhileQueued: 1, .listenerClosedWithQueue: 1]
        // One reset child, one child disposed of by the listener's close.
        expectation.counters = ["TcpEstabResets": 2, "TcpPassiveOpens": 3, "TcpExtListenDrops": 0]
        expectation.comparedCounters = [.establishedResets, .listenDrops, .listenOverflows]
        // Nothing here is about accept latency: a slow machine must not make it so.
        try harness.conclude(expecting: expectation, connections: 3) {
            $0.acceptLatencyThreshold = 2_000_000_000
        }
        harness.outcome.require(traffic.accepted == 2, "accepted \(traffic.accepted) of the 2 ended children")
        harness.outcome.require(traffic.closedListenerChildReset, "closing the listener did not reset its queued child")
        return harness.finish()
    }
}
