#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SynShadowCore
import SynShadowTestbed
import SynShadowTracer
import Testing

/// Items 8 and 11: every stop signal detaches and summarises, a killed
/// recording is reported cut, and concurrent instances all pass their
/// self-checks.
extension LiveKernelTests.HostileInputTests {
    @Suite struct Signals {
        @Test(arguments: [SIGTERM, SIGHUP, SIGQUIT, SIGINT])
        func aStopSignalEndsARecordingCleanly(signal: Int32) throws {
            let before = LoadedPrograms.count()
            let path = NSTemporaryDirectory() + "synshadow-hostile-\(getpid())-signal-\(signal).sst"
            defer { unlink(path) }
            let record = try HostileProcess(["record", "-o", path, "--duration", "60"])
            #expect(record.waitForStderr("self-check: every hook"), "\(record.stderr)")
            #expect(LoadedPrograms.count() > before)
            record.signal(signal)
            let end = record.waitForExit(seconds: 20)
            #expect(end.exited && end.status == 0, "signal \(signal): \(record.stderr)")
            #expect(end.waited < 10, "signal \(signal) took \(end.waited) s")
            #expect(record.stderr.contains("detached"), "\(record.stderr)")
            #expect(!record.stderr.contains("crashed") && !record.stderr.contains("Backtrac"), "\(record.stderr)")
            #expect(LoadedPrograms.count() <= before, "programs left after signal \(signal)")
            #expect(try Replay.run(path: path).isComplete, "no end marker after signal \(signal)")
            print("hostile: signal \(signal): exit \(end.status) in \(String(format: "%.2f", end.waited)) s, 0 programs left")
        }

        @Test func aKilledRecordingIsReportedCut() throws {
            let before = LoadedPrograms.count()
            let path = NSTemporaryDirectory() + "synshadow-hostile-\(getpid())-killed.sst"
            defer { unlink(path) }
            let listener = try TCPSocket(family: AF_INET)
            try listener.bindLoopback()
            try listener.listen(backlog: 64)
            let record = try HostileProcess(["record", "-o", path, "--port", String(listener.localPort)])
            #expect(record.waitForStderr("self-check: every hook"), "\(record.stderr)")
            try LoopbackTraffic.connections(20, port: listener.localPort, listener: listener)
            usleep(500_000)  // a drain or two: the events reach the file
            record.signal(SIGKILL)
            _ = record.waitForExit(seconds: 20)
            listener.close()
            #expect(LoadedPrograms.count() <= before, "programs left after SIGKILL")
            let replay = try Run([Run.binary, "replay", path], timeout: 60)
            #expect(replay.status == 0, "\(replay.stderr)")
            #expect(replay.stderr.contains("file ends without its end marker: cut after"), "\(replay.stderr)")
        }

        /// Before any trap is installed (replay waiting on a FIFO), SIGQUIT
        /// and SIGHUP end the process at once, with no crash backtrace.
        @Test(arguments: [SIGQUIT, SIGHUP])
        func quitAndHangUpNeverPrintABacktrace(signal: Int32) throws {
            let fifo = NSTemporaryDirectory() + "synshadow-hostile-\(getpid())-quit-fifo"
            defer { unlink(fifo) }
            mkfifo(fifo, 0o600)
            let replay = try HostileProcess(["replay", fifo])
            #expect(replay.waitForStderr("waiting up to"))
            replay.signal(signal)
            let end = replay.waitForExit(seconds: 15)
            #expect(end.waited < 3, "signal \(signal) took \(end.waited) s")
            #expect(!replay.stderr.contains("crashed") && !replay.stderr.contains("Backtrac"), "\(replay.stderr)")
        }

        /// Three traces starting together, twice: every self-check passes
        /// (one failed in ~100 starts while others ran).
        @Test func concurrentInstancesAllPassTheirSelfChecks() throws {
            let before = LoadedPrograms.count()
            for _ in 0..<2 {
                let traces = try (0..<3).map { _ in try HostileProcess(["trace", "--duration", "1"]) }
                for trace in traces {
                    let end = trace.waitForExit(seconds: 60)
                    #expect(end.exited && end.status == 0, "\(trace.stderr)")
                    #expect(trace.stderr.contains("self-check: every hook"), "\(trace.stderr)")
                }
            }
            #expect(LoadedPrograms.count() <= before)
        }
    }
}
