import Foundation
import SynShadowTestbed
import SynShadowTracer
import Testing

/// The `synshadow` binary as a user runs it: failures are one line naming
/// the cause and the fix, signals detach everything.
extension LiveKernelTests {
    @Suite struct CommandLineTests {
        @Test func withoutRootTheErrorNamesRootAndTheFix() throws {
            let before = LoadedPrograms.count()
            let run = try Run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", Run.binary, "trace"])
            #expect(run.status == 1)
            #expect(run.stderrLines.count == 1)
            #expect(run.stderr.contains("needs root") && run.stderr.contains("sudo"))
            #expect(LoadedPrograms.count() <= before, "a failed start left programs loaded")
        }

        /// Regression: `validate --record-dir` into a directory that did not
        /// exist yet recorded nothing, and said so on stdout, among the
        /// `--json` rows a CI job parses.
        @Test func validateRecordsIntoANewDirectoryAndKeepsStdoutForRows() throws {
            let parent = NSTemporaryDirectory() + "ss-record-\(getpid())"
            let directory = parent + "/deeper"
            defer { try? FileManager.default.removeItem(atPath: parent) }
            let run = try Run([
                Run.binary, "validate", "--tier", "tracepoint", "--scenario", "accept-overflow-keep", "--record-dir",
                directory, "--json",
            ])
            #expect(run.status == 0, "\(run.stderr.suffix(1000))")
            let lines = run.stdout.split(separator: "\n")
            #expect(!lines.isEmpty && lines.allSatisfy { VerdictRecord.parse(line: $0) != nil }, "stdout: \(run.stdout)")
            #expect(FileManager.default.fileExists(atPath: directory + "/accept-overflow-keep-tracepoint.sst"))
        }

        /// `ip netns exec` and containers give a /sys without tracefs (and
        /// without the cgroup v2 mount): the tool mounts what it needs in its
        /// own mount namespace and runs.
        @Test func withoutTracefsOrCgroupItMountsWhatItNeeds() throws {
            // A private mount namespace: the host keeps its mounts.
            let script = "umount -l /sys/kernel/tracing 2>/dev/null; umount -l /sys/kernel/debug 2>/dev/null;"
                + " umount -l /sys/fs/cgroup/unified 2>/dev/null; umount -l /sys/fs/cgroup 2>/dev/null;"
                + " exec \"$0\" trace --duration 0.5"
            let before = LoadedPrograms.count()
            let run = try Run(["unshare", "-m", "sh", "-c", script, Run.binary])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stderr.contains("self-check: every hook"))
            #expect(LoadedPrograms.count() <= before, "programs left loaded")
        }

        /// Regression (trust issue, item 12): ops engineers run tools with
        /// `ip netns exec NS`, which remounts /sys and leaves the cgroup v2
        /// hierarchy out; a fresh namespace's loopback is even down.
        @Test func runsUnderIpNetnsExec() throws {
            let name = "ss-exec-\(getpid())"
            _ = try Run(["ip", "netns", "add", name])
            defer { _ = try? Run(["ip", "netns", "del", name]) }
            let run = try Run(["ip", "netns", "exec", name, Run.binary, "trace", "--duration", "0.5"])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stderr.contains("self-check: every hook"))
        }

        @Test func withoutBTFTheErrorNamesBTF() throws {
            let script = "mount -t tmpfs none /sys/kernel/btf && exec \"$0\" trace"
            let before = LoadedPrograms.count()
            let run = try Run(["unshare", "-m", "sh", "-c", script, Run.binary])
            #expect(run.status == 1)
            #expect(run.stderr.contains("no BTF") && run.stderr.contains("CONFIG_DEBUG_INFO_BTF"))
            #expect(LoadedPrograms.count() <= before, "a failed start left programs loaded")
        }

        @Test func anUnavailableTierFailsCleanly() throws {
            let before = LoadedPrograms.count()
            let run = try Run([Run.binary, "trace", "--tier", "kprobe"])
            if Preflight.kprobesAvailable {
                #expect(run.status != 1 || run.stderr.contains("kprobe"))
            } else {
                #expect(run.status == 1)
                #expect(run.stderr.contains("no kprobes") && run.stderr.contains("--tier"))
            }
            #expect(LoadedPrograms.count() <= before, "a failed start left programs loaded")
        }

        @Test(arguments: [SIGINT, SIGTERM])
        func aSignalDetachesEveryProgram(signal: Int32) throws {
            let before = LoadedPrograms.count()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Run.binary)
            process.arguments = ["trace", "--duration", "60"]
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            // Wait for the self-check line: by then every program is attached.
            var seen = ""
            while !seen.contains("self-check") {
                let chunk = errors.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                seen += String(decoding: chunk, as: UTF8.self)
            }
            #expect(seen.contains("self-check"), "trace did not start: \(seen)")
            #expect(LoadedPrograms.count() > before)
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            seen += String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationStatus == 0)
            #expect(seen.contains("detached"))
            #expect(LoadedPrograms.count() <= before, "programs left loaded after the signal")
        }
    }
}

/// A finished run of a command, with its output.
struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
    /// False when a signal ended it (a crash, or the time-box).
    var exited: Bool
    var seconds: Double

    var stderrLines: [Substring] { stderr.split(separator: "\n") }

    /// The synshadow binary built beside this test bundle, or the one
    /// SYNSHADOW_BINARY names (an installed package, an older build to show
    /// a regression test failing on it).
    static let binary: String = {
        if let chosen = ProcessInfo.processInfo.environment["SYNSHADOW_BINARY"], !chosen.isEmpty { return chosen }
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("synshadow").path
    }()

    init(_ arguments: [String], timeout: TimeInterval = 120, input: String? = nil) throws {
        let started = Date()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        if let input { process.standardInput = FileHandle(forReadingAtPath: input) }
        try process.run()
        // Time-box: a hung child is killed, and the test sees its partial output.
        let deadline = DispatchTime.now() + timeout
        let child = process
        // SIGKILL: a launcher may hand the child SIGTERM blocked.
        DispatchQueue.global().asyncAfter(deadline: deadline) { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        let errData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        status = process.terminationStatus
        exited = process.terminationReason == .exit
        seconds = Date().timeIntervalSince(started)
        stdout = String(decoding: outData, as: UTF8.self)
        stderr = String(decoding: errData, as: UTF8.self)
    }
}
