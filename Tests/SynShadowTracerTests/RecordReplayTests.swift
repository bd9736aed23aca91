#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SynShadowCore
import SynShadowTracer
import Testing

/// A trace recorded from the real kernel replays to the very findings the
/// live run reported.
extension LiveKernelTests {
    @Suite struct RecordReplayTests {
        @Test func aRecordedTraceReplaysToTheLiveFindings() throws {
            let listener = try TCPSocket(family: AF_INET)
            try listener.bindLoopback()
            let port = listener.localPort
            let tracer = try LiveTracer(configuration: .init(tier: .tracepoint, port: port).recording())
            defer { tracer.close() }
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("synshadow-\(getpid()).trace").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            let settings = KernelSettingsReader.current()
            let header = TraceHeader(
                kernelRelease: kernelRelease(), tier: tracer.tier, hostName: "test",
                clockOrigin: ClockOrigin(monotonicNanoseconds: tracer.origin, wallClockNanoseconds: 0),
                dropReasons: tracer.session.dropReasonTable(), kernelSettings: settings)
            let writer = try TraceFileWriter(path: path, header: header)
            var live: [Finding] = []
            let driver = ModelDriver(
                configuration: ModelConfiguration(header: header), recorder: writer, onFindings: { live += $0 })
            _ = try tracer.start(into: driver)

            // Overflow the accept queue (backlog 1), accept late, let a client give up.
            try listener.listen(backlog: 1)
            var clients: [TCPSocket] = []
            for _ in 0..<4 {
                let client = try TCPSocket(family: AF_INET)
                _ = fcntl(client.descriptor, F_SETFL, O_NONBLOCK)
                try? client.connectLoopback(port: port)
                clients.append(client)
                try tracer.drainOnce(into: driver, timeoutMilliseconds: 50)
            }
            try tracer.drainOnce(into: driver, timeoutMilliseconds: 300)
            try listener.accept().close()
            clients[1].close()
            for _ in 0..<5 { try tracer.drainOnce(into: driver, timeoutMilliseconds: 100) }
            listener.close()
            for _ in 0..<5 { try tracer.drainOnce(into: driver, timeoutMilliseconds: 100) }
            let counters = tracer.session.counters()
            try driver.finish(summary: TraceSummary(events: counters.events, lostEvents: counters.lost))

            #expect(!live.isEmpty, "the overflow produced findings")
            #expect(live.contains { $0.kind == .synDroppedAcceptQueueFull })
            let replayed = try Replay.run(path: path)
            #expect(replayed.isComplete)
            #expect(replayed.findings == live)
        }
    }
}

extension LiveTracer.Configuration {
    fileprivate func recording() -> Self {
        var copy = self
        copy.keepsRawRecords = true
        return copy
    }
}
