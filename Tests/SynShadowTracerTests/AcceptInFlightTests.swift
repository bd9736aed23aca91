#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SynShadowCore
import SynShadowTestbed
import SynShadowTracer
import Testing

extension LiveKernelTests {
/// A thread counts as inside accept() until its exit record is submitted. The
/// 30-minute soak (issue 18) had one false queue-mismatch: an nginx worker
/// left the in-flight count in its sys_exit_accept4 program, was held up
/// there (on the 6.18 host) and stamped its record 10 ms later; another CPU's reading in between showed the child
/// gone with no thread in flight to explain it.
@Suite struct AcceptInFlightTests {
    static let connections = 20

    /// accept()'s exit hook is made to wait 20 ms (longer than the 5 ms race
    /// window) before recording it, while a client keeps connecting
    /// on the other CPU: every reading in that wait must still count the
    /// accepting thread, so the model finds no mismatch.
    @Test func aThreadStaysInFlightUntilItsAcceptIsRecorded() throws {
        let listener = try TCPSocket(family: AF_INET)
        try listener.bindLoopback()
        let port = listener.localPort
        var configuration = LiveTracer.Configuration(tier: .tracepoint, port: port)
        configuration.acceptExitStallMicroseconds = 20_000
        let tracer = try LiveTracer(configuration: configuration)
        defer { tracer.close() }
        let collector = CollectingConsumer()
        _ = try tracer.start(into: collector)
        try listener.listen(backlog: 64)

        let descriptor = listener.descriptor
        let acceptor = Thread {
            for _ in 0..<Self.connections {
                let child = Glibc.accept(descriptor, nil, nil)
                if child >= 0 { Glibc.close(child) }
            }
        }
        acceptor.start()
        var clients: [TCPSocket] = []
        for _ in 0..<Self.connections {
            let client = try TCPSocket(family: AF_INET)
            try client.connectLoopback(port: port)
            clients.append(client)
            usleep(5_000)
        }
        while !acceptor.isFinished { usleep(10_000) }
        for _ in 0..<10 { try tracer.drainOnce(into: collector, timeoutMilliseconds: 50) }
        clients.forEach { $0.close() }
        listener.close()
        for _ in 0..<5 { try tracer.drainOnce(into: collector, timeoutMilliseconds: 50) }

        let ours = collector.events.filter { $0.flow.localPort == port }.sorted { $0.timestamp < $1.timestamp }
        #expect(ours.filter { $0.kind == .accept }.count == Self.connections)
        // Readings taken while an accept was stalled: the thread is in flight.
        #expect(ours.contains { $0.kind != .accept && $0.queues.acceptsInFlight > 0 })
        let model = ShadowModel(configuration: ModelConfiguration(tier: .tracepoint))
        var findings: [Finding] = []
        for event in ours {
            model.process(event)
            findings += model.takeFindings()
        }
        model.finish()
        findings += model.takeFindings()
        let divergences = findings.filter { $0.kind.category == .divergence }
        #expect(divergences.isEmpty, "\(divergences.map(\.explanation))")
    }
}
}
