#if canImport(Glibc)
import Glibc
#endif
import SynShadowCore
import SynShadowTracer

/// An application that accepts late: of three loopback connections one is
/// accepted at once and two wait 400 ms in the accept queue, past a 150 ms
/// threshold given to the oracle as an operator would (`--accept-threshold`).
public struct SlowAccept: Scenario {
    public let name = "slow-accept"
    public var summary: String { "3 loopback connections, 2 accepted after 400 ms, threshold 150 ms" }

    private let threshold: UInt64 = 150_000_000

    public init() {}

    public func run(in context: ScenarioContext) throws -> ScenarioOutcome {
        let harness = try ScenarioHarness(scenario: name, context: context)
        let accepted = try harness.run { () throws -> Int in
            let listener = try TCPSocket(family: AF_INET)
            try listener.bindLoopback()
            try listener.listen(backlog: 8)
            var clients: [TCPSocket] = []
            func connect() throws {
                let client = try TCPSocket(family: AF_INET)
                try client.connectLoopback(port: listener.localPort)
                clients.append(client)
            }
            try connect()
            var children = [try listener.accept()]
            try connect()
            try connect()
            usleep(400_000)
            while children.count < 3, listener.waitReadable(milliseconds: 1000) {
                children.append(try listener.accept())
            }
            return children.count
        }
        var expectation = ScenarioExpectation()
        expectation.findings = [.acceptSlow: 2]
        expectation.counters = ["TcpPassiveOpens": 3, "TcpExtListenOverflows": 0]
        expectation.comparedCounters = [.listenOverflows, .listenDrops]
        let threshold = threshold
        try harness.conclude(expecting: expectation, connections: accepted) {
            $0.acceptLatencyThreshold = threshold
        }
        harness.outcome.require(accepted == 3, "accepted \(accepted) of 3 connections")
        return harness.finish()
    }
}
