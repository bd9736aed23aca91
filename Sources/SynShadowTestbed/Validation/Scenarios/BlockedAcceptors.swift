#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SynShadowCore
import SynShadowTracer
import Synchronization

/// A thread-per-connection server: many threads blocked in accept() at once
/// (a Java ServerSocket pool, a prefork server). Each blocked accept() holds
/// one instance of a kretprobe on inet_csk_accept; past the kernel's limit
/// (`maxactive`, at least 10) the kernel misses the return and the kprobe
/// tier never sees that accept. Such misses must count as lost events (the
/// model then withholds what they could change), never become findings.
public struct BlockedAcceptors: Scenario {
    public let name = "blocked-acceptors"
    public var summary: String { "\(threads) threads blocked in accept() on one listener, then \(threads) connections" }

    private let threads = 128

    public init() {}

    public func run(in context: ScenarioContext) throws -> ScenarioOutcome {
        let harness = try ScenarioHarness(scenario: name, context: context)
        let threads = threads
        let accepted = try harness.run { () throws -> Int in
            let listener = try TCPSocket(family: AF_INET)
            try listener.bindLoopback()
            try listener.listen(backlog: 64)
            let descriptor = listener.descriptor
            let count = Mutex(0)
            let group = DispatchGroup()
            for _ in 0..<threads {
                group.spawnThread {
                    let child = Glibc.accept(descriptor, nil, nil)
                    guard child >= 0 else { return }
                    Glibc.close(child)
                    count.withLock { $0 += 1 }
                }
            }
            // Every thread is in accept() before the first SYN.
            usleep(500_000)
            var clients: [TCPSocket] = []
            for _ in 0..<threads {
                let client = try TCPSocket(family: AF_INET)
                try client.connectLoopback(port: listener.localPort)
                clients.append(client)
            }
            _ = group.wait(timeout: .now() + 10)
            clients.forEach { $0.close() }
            return count.withLock { $0 }
        }
        var expectation = ScenarioExpectation()
        expectation.findings = [:]
        expectation.counters = ["TcpPassiveOpens": Int64(threads), "TcpExtListenOverflows": 0]
        expectation.comparedCounters = [.listenOverflows, .listenDrops]
        try harness.conclude(expecting: expectation, connections: accepted) {
            $0.acceptLatencyThreshold = 2_000_000_000
        }
        harness.outcome.require(accepted == threads, "accepted \(accepted) of \(threads) connections")
        return harness.finish()
    }
}
