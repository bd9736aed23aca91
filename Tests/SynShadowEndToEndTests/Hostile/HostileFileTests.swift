#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SynShadowCore
import SynShadowTracer
import Testing

/// Items 6 and 10, and the replay fuzz run: `record -o` never follows a
/// link nor clobbers, creates 0600; `replay` reads standard input, never
/// blocks silently on a FIFO, and survives thousands of damaged traces.
extension LiveKernelTests.HostileInputTests {
    @Suite struct Files {
        private static func temporary(_ name: String) -> String {
            NSTemporaryDirectory() + "synshadow-hostile-\(getpid())-\(name)"
        }

        private static func mode(_ path: String) -> mode_t {
            var info = stat()
            lstat(path, &info)
            return info.st_mode
        }

        @Test func recordNeverFollowsALinkNorClobbersAFile() throws {
            let victim = Self.temporary("victim")
            let link = Self.temporary("link.sst")
            let dangling = Self.temporary("dangling.sst")
            let target = Self.temporary("created-through-a-link")
            defer { for path in [victim, link, dangling, target] { unlink(path) } }
            try "precious".write(toFile: victim, atomically: false, encoding: .utf8)
            chmod(victim, 0o666)
            symlink(victim, link)
            symlink(target, dangling)
            for path in [link, victim, dangling] {
                let run = try Run([Run.binary, "record", "-o", path, "--duration", "0.5"], timeout: 30)
                #expect(run.status == 1, "\(path): \(run.stderr)")
                #expect(run.stderr.contains("already exists") && run.stderr.contains("--force"), "\(run.stderr)")
                #expect(!run.stderr.contains("synshadow: tier"), "BPF loaded before the path was refused")
            }
            #expect((try? String(contentsOfFile: victim, encoding: .utf8)) == "precious")
            #expect(Self.mode(victim) & 0o777 == 0o666)
            #expect(!FileManager.default.fileExists(atPath: target), "a dangling link was followed")
        }

        @Test func forceReplacesTheFileOrTheLinkByANew0600File() throws {
            let victim = Self.temporary("force-victim")
            let link = Self.temporary("force-link.sst")
            defer { for path in [victim, link] { unlink(path) } }
            try "precious".write(toFile: victim, atomically: false, encoding: .utf8)
            chmod(victim, 0o666)
            symlink(victim, link)
            let throughLink = try Run([Run.binary, "record", "-o", link, "--force", "--duration", "0.5"], timeout: 60)
            #expect(throughLink.status == 0, "\(throughLink.stderr)")
            #expect((try? String(contentsOfFile: victim, encoding: .utf8)) == "precious", "the link's target was written")
            #expect(Self.mode(link) & S_IFMT == S_IFREG && Self.mode(link) & 0o777 == 0o600)
            let inPlace = try Run([Run.binary, "record", "-o", victim, "--force", "--duration", "0.5"], timeout: 60)
            #expect(inPlace.status == 0, "\(inPlace.stderr)")
            #expect(Self.mode(victim) & 0o777 == 0o600)
            #expect(try Replay.run(path: victim).isComplete)
        }

        @Test func aNewTraceIs0600WhateverTheUmask() throws {
            let path = Self.temporary("umask.sst")
            defer { unlink(path) }
            let run = try Run(
                ["sh", "-c", "umask 000; exec \"$0\" record -o \"$1\" --duration 0.5", Run.binary, path], timeout: 60)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(Self.mode(path) & 0o777 == 0o600)
        }

        @Test func recordHelpSaysWhatTheFileHolds() throws {
            let run = try Run([Run.binary, "record", "--help"], timeout: 20)
            for words in ["client IP addresses", "process ids and names", "host name", "0600", "--force"] {
                #expect(run.stdout.contains(words), "record --help does not mention \(words)")
            }
        }

        @Test func replayReadsStandardInput() throws {
            let path = try RecordedTrace.path()
            let fromFile = try Run([Run.binary, "replay", path], timeout: 60)
            let fromInput = try Run([Run.binary, "replay", "-"], timeout: 60, input: path)
            #expect(fromInput.status == 0, "\(fromInput.stderr)")
            let summary = { (run: Run) in run.stderrLines.last { $0.contains("events replayed") } }
            #expect(summary(fromInput) != nil && summary(fromInput) == summary(fromFile), "\(fromInput.stderr)")
        }

        @Test func aFIFOWithoutWriterEndsWithAMessage() throws {
            let fifo = Self.temporary("fifo")
            defer { unlink(fifo) }
            mkfifo(fifo, 0o600)
            let run = try Run([Run.binary, "replay", fifo], timeout: 60)
            #expect(run.exited && run.status == 1, "\(run.stderr)")
            #expect(run.stderr.contains("waiting up to") && run.stderr.contains("no writer"), "\(run.stderr)")
            #expect(run.seconds < 20)
        }

        /// Thousands of damaged copies of a real recording, replayed in this
        /// process (time-boxed each) and a sample through `replay -`.
        @Test func replayFuzzOverARealRecording() throws {
            let original = Array(try Data(contentsOf: URL(fileURLWithPath: try RecordedTrace.path())))
            #expect(original.count > 1000)
            var generator = SystemRandomNumberGenerator()
            let started = Date()
            var mutants = 0
            var rejected = 0
            var slowest = 0.0
            while mutants < 5000 && Date().timeIntervalSince(started) < 90 {
                let mutant = Mutation.apply(to: original, using: &generator)
                let began = Date()
                do {
                    _ = try Replay.run(try TraceFileReader(bytes: mutant))
                } catch {
                    rejected += 1
                    #expect(error.offset >= 0 && error.offset <= mutant.count, "\(error)")
                }
                slowest = max(slowest, Date().timeIntervalSince(began))
                mutants += 1
            }
            let inProcess = Date().timeIntervalSince(started)
            // Through the command: exit 0 or 1, one error line, never a signal.
            let path = Self.temporary("mutant.sst")
            defer { unlink(path) }
            var crashes = 0
            var hangs = 0
            let sampled = 150
            for _ in 0..<sampled {
                try Data(Mutation.apply(to: original, using: &generator)).write(to: URL(fileURLWithPath: path))
                let run = try Run([Run.binary, "replay", "-"], timeout: 10, input: path)
                if !run.exited || ![0, 1].contains(run.status) { crashes += 1 }
                if run.seconds > 9 { hangs += 1 }
                if run.status == 1 { #expect(run.stderr.contains("error:")) }
            }
            print(
                "hostile: replay fuzz: \(mutants) mutants in process (\(rejected) rejected with an offset) in "
                    + String(format: "%.1f s, slowest %.3f s", inProcess, slowest)
                    + "; \(sampled) through `replay -`: crashes \(crashes), hangs \(hangs)")
            #expect(mutants >= 1000)
            #expect(slowest < 2, "a mutant took \(slowest) s")
            #expect(crashes == 0 && hangs == 0)
        }
    }
}

/// One real recording for the file tests: `record` with a backlog overflow,
/// a late accept and clean handshakes, so it holds events and findings.
enum RecordedTrace {
    nonisolated(unsafe) private static var recorded: String?

    static func path() throws -> String {
        if let recorded { return recorded }
        let path = NSTemporaryDirectory() + "synshadow-hostile-\(getpid())-real.sst"
        unlink(path)
        let listener = try TCPSocket(family: AF_INET)
        try listener.bindLoopback()
        let port = listener.localPort
        let record = try HostileProcess(["record", "-o", path, "--port", String(port), "--duration", "2.5"])
        guard record.waitForStderr("self-check: every hook") else {
            throw SessionError("record did not start: \(record.stderr)")
        }
        try listener.listen(backlog: 1)
        // Four clients at a backlog of one: the accept queue overflows.
        let clients = try (0..<4).map { _ in try TCPSocket(family: AF_INET) }
        for client in clients {
            _ = fcntl(client.descriptor, F_SETFL, O_NONBLOCK)
            try? client.connectLoopback(port: port)
        }
        usleep(300_000)
        try listener.accept().close()
        clients.forEach { $0.close() }
        try LoopbackTraffic.connections(50, port: port, listener: listener)
        _ = record.waitForExit(seconds: 30)
        listener.close()
        recorded = path
        return path
    }
}

/// Damage of the kinds a disk, a cut copy or an attacker makes.
enum Mutation {
    static func apply(to original: [UInt8], using generator: inout SystemRandomNumberGenerator) -> [UInt8] {
        var bytes = original
        let count = bytes.count
        switch Int.random(in: 0..<6, using: &generator) {
        case 0:  // flipped bits
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                bytes[Int.random(in: 0..<count, using: &generator)] ^= 1 << UInt8.random(in: 0...7, using: &generator)
            }
        case 1:  // cut anywhere
            bytes.removeLast(Int.random(in: 1..<count, using: &generator))
        case 2:  // a 32-bit field set to an extreme (lengths, counts)
            let offset = Int.random(in: 0..<(count - 4), using: &generator)
            let value = [UInt32.max, 0, 0x7FFF_FFFF, 0x8000_0000, UInt32(count)].randomElement(using: &generator)!
            withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(offset..<offset + 4, with: $0) }
        case 3:  // a range removed
            let start = Int.random(in: 0..<count, using: &generator)
            bytes.removeSubrange(start..<min(count, start + Int.random(in: 1...512, using: &generator)))
        case 4:  // a range repeated
            let start = Int.random(in: 0..<count, using: &generator)
            let end = min(count, start + Int.random(in: 1...512, using: &generator))
            bytes.insert(contentsOf: bytes[start..<end], at: start)
        default:  // random bytes over a range
            let start = Int.random(in: 0..<count, using: &generator)
            for index in start..<min(count, start + Int.random(in: 1...64, using: &generator)) {
                bytes[index] = UInt8.random(in: 0...255, using: &generator)
            }
        }
        return bytes
    }
}
