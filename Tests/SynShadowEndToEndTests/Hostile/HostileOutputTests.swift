#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SynShadowCore
import SynShadowTestbed
import SynShadowTracer
import Testing

/// Items 5 and 7: a slow reader of standard output holds nothing hostage,
/// and a process name full of escape sequences reaches the terminal escaped.
extension LiveKernelTests.HostileInputTests {
    @Suite struct Output {
        /// `trace --json --duration 3 | reader at 1 KB/s`: the run ends near
        /// its duration, detaches, and reports the lines it shed.
        @Test func aSlowReaderDoesNotHoldTheRunHostage() throws {
            let before = LoadedPrograms.count()
            let listener = try TCPSocket(family: AF_INET)
            try listener.bindLoopback()
            try listener.listen(backlog: 128)
            let pipe = Pipe()
            let trace = try HostileProcess(["trace", "--json", "--duration", "3"], standardOutput: pipe)
            let reading = pipe.fileHandleForReading
            // The reader: 1 KB a second, until the trace is gone.
            let slowReader = Thread {
                var buffer = [UInt8](repeating: 0, count: 1024)
                while true {
                    let count = read(reading.fileDescriptor, &buffer, buffer.count)
                    if count <= 0 { break }
                    sleep(1)
                }
            }
            slowReader.start()
            #expect(trace.waitForStderr("self-check: every hook"), "\(trace.stderr)")
            let tracing = Date()
            // Far more than a pipe holds: thousands of JSON lines.
            try LoopbackTraffic.connections(1500, port: listener.localPort, listener: listener)
            let end = trace.waitForExit(seconds: 30)
            let seconds = Date().timeIntervalSince(tracing)
            try? pipe.fileHandleForWriting.close()
            print("hostile: slow reader: trace --duration 3 ended \(String(format: "%.1f", seconds)) s after tracing began")
            #expect(end.exited && end.status == 0, "\(trace.stderr)")
            #expect(seconds < 3 + 6, "the slow reader held the run for \(seconds) s")
            #expect(trace.stderr.contains("detached"), "\(trace.stderr)")
            #expect(trace.stderr.contains("standard output was too slow"), "\(trace.stderr)")
            #expect(LoadedPrograms.count() <= before, "programs left loaded")
            listener.close()
        }

        /// A listener whose thread is named ESC ] 0 ; PWN BEL ESC [ 2 J: every
        /// line `trace` prints about it shows the name escaped.
        @Test func escapeSequencesInAProcessNameAreShownEscaped() throws {
            let listener = try TCPSocket(family: AF_INET)
            try listener.bindLoopback()
            let port = listener.localPort
            let trace = try HostileProcess(["trace", "--port", String(port), "--accept-threshold-ms", "1"])
            #expect(trace.waitForStderr("self-check: every hook"), "\(trace.stderr)")
            // listen() from a thread so named: the kernel records that name as the owner.
            let socket = listener.descriptor
            let named = Thread {
                // What prctl(PR_SET_NAME) does, through the thread's own comm file.
                let descriptor = open("/proc/thread-self/comm", O_WRONLY)
                let name = Array("\u{1B}]0;PWN\u{07}\u{1B}[2J".utf8)
                _ = write(descriptor, name, name.count)
                close(descriptor)
                _ = Glibc.listen(socket, 8)
            }
            named.start()
            while !named.isFinished { usleep(1000) }
            let client = try TCPSocket(family: AF_INET)
            try client.connectLoopback(port: port)
            usleep(50_000)  // over the 1 ms threshold: an accept-slow finding names the owner too
            try listener.accept().close()
            client.close()
            usleep(500_000)
            trace.signal(SIGINT)
            _ = trace.waitForExit(seconds: 30)
            let output = trace.stdout
            let text = String(decoding: output, as: UTF8.self)
            #expect(!output.contains(0x1B) && !output.contains(0x07), "raw control bytes reached the terminal")
            #expect(text.contains(#"\x1b]0;PWN\x07\x1b[2J"#), "\(text)")
            #expect(text.contains("FINDING"), "no finding line to check: \(text)")
            listener.close()
        }

        /// A recorded host name is shown escaped by `replay`.
        @Test func replayEscapesTheRecordedHostName() throws {
            let path = NSTemporaryDirectory() + "synshadow-hostile-host-\(getpid()).sst"
            defer { unlink(path) }
            let writer = try TraceFileWriter(
                path: path,
                header: TraceHeader(
                    kernelRelease: "6.1\u{1B}[2J", tier: .tracepoint, hostName: "\u{1B}]0;PWN\u{07}",
                    clockOrigin: ClockOrigin(monotonicNanoseconds: 0, wallClockNanoseconds: 0)))
            try writer.finish(summary: TraceSummary(events: 0, lostEvents: 0))
            let run = try Run([Run.binary, "replay", path], timeout: 20)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(!run.stderr.utf8.contains(0x1B) && !run.stderr.utf8.contains(0x07), "\(run.stderr)")
            #expect(run.stderr.contains(#"\x1b]0;PWN\x07"#))
        }
    }
}
