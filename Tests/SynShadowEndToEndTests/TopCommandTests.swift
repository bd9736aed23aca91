#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SynShadowTestbed
import SynShadowTracer
import Testing

/// `synshadow top` as a user sees it: in a real 80x24 terminal (tmux) over
/// a listener whose accept queue overflows, and through a pipe.
extension LiveKernelTests {
    @Suite struct TopCommandTests {
        /// tmux on PATH, or nil (scripts/setup.sh test installs it).
        static let tmux: String? = {
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
            return path.split(separator: ":").map { "\($0)/tmux" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        }()

        /// The drop kinds `top` sums (ids as printed).
        static let dropIDs = [
            "syn-dropped-accept-queue-full", "syn-dropped-request-queue-full", "syn-dropped",
            "ack-dropped-accept-queue-full", "ack-reset-accept-queue-full", "syncookie-failed", "handshake-expired",
            "packet-dropped",
        ]

        @Test(.enabled(if: tmux != nil, "tmux is not installed: run scripts/setup.sh test (apt-get install tmux)"))
        func theScreenShowsAnOverflowingListener() throws {
            let tmux = try #require(Self.tmux)
            let session = "synshadow-top-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let errors = FileManager.default.temporaryDirectory.appendingPathComponent("\(session).err").path
            // A tmux server of its own (-L), so the test never touches a user's sessions.
            func tmuxRun(_ arguments: [String]) throws -> Run { try Run([tmux, "-L", session] + arguments, timeout: 10) }
            defer {
                _ = try? tmuxRun(["kill-session", "-t", session])
                _ = try? tmuxRun(["kill-server"])
                // kill-server leaves its socket behind.
                let socketDirectory = ProcessInfo.processInfo.environment["TMUX_TMPDIR"] ?? "/tmp"
                try? FileManager.default.removeItem(atPath: "\(socketDirectory)/tmux-\(getuid())/\(session)")
                try? FileManager.default.removeItem(atPath: errors)
            }
            let before = LoadedPrograms.count()

            let listener = try TCPSocket(family: AF_INET)
            try listener.bindLoopback()
            let port = listener.localPort
            let command = "\(Run.binary) top --port \(port) --interval 0.5 --duration 120 2>\(errors)"
            // The server this starts outlives the call: started through system(), so it
            // inherits no descriptor Foundation's Process watches to see its child exit.
            let status = system(
                "'\(tmux)' -L \(session) new-session -d -x 80 -y 24 -s \(session) '\(command)' </dev/null >/dev/null 2>&1")
            try #require(status == 0, "tmux new-session failed (\(status))")
            func screen() throws -> [String] {
                // -J joins wrapped lines: a line wider than the pane shows as one long line.
                let capture = try tmuxRun(["capture-pane", "-p", "-J", "-t", session])
                return capture.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            }
            func startupErrors() -> String { (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "" }
            // Up once the first frame is drawn (after the self-check).
            let up = Date().addingTimeInterval(30)
            while try !screen().contains(where: { $0.hasPrefix("synshadow top  tier ") }) && Date() < up { usleep(200_000) }
            try #require(try screen().contains { $0.hasPrefix("synshadow top  tier ") }, "top did not start: \(startupErrors())")

            // Backlog 1, nobody accepting: two children fit, later SYNs are dropped.
            let comm = try String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            try listener.listen(backlog: 1)
            let connections = 6
            var clients: [TCPSocket] = []
            for _ in 0..<connections {
                let client = try TCPSocket(family: AF_INET)
                _ = fcntl(client.descriptor, F_SETFL, O_NONBLOCK)
                do {
                    try client.connectLoopback(port: port)
                } catch {
                    guard error.code == EINPROGRESS else { throw error }
                }
                clients.append(client)
            }
            defer { for client in clients { client.close() } }
            usleep(1_500_000)
            // Now accept everything the clients' retransmitted SYNs bring in.
            var accepted: [TCPSocket] = []
            let acceptUntil = Date().addingTimeInterval(12)
            while accepted.count < connections && Date() < acceptUntil {
                if listener.waitReadable(milliseconds: 200) { accepted.append(try listener.accept()) }
            }
            defer { for child in accepted { child.close() } }
            #expect(accepted.count >= 2, "the two queued children at least")

            // The row's second line starts with the accept count once the model has seen them all.
            let endpoint = "127.0.0.1:\(port)"
            var lines: [String] = []
            let settled = Date().addingTimeInterval(10)
            repeat {
                usleep(300_000)
                lines = try screen()
                if let row = lines.firstIndex(where: { $0.hasPrefix(endpoint + " ") }), row + 1 < lines.count,
                    lines[row + 1].hasPrefix("  \(accepted.count) "), lines.contains("RECENT FINDINGS")
                {
                    break
                }
            } while Date() < settled
            let text = lines.joined(separator: "\n")
            print("synshadow top, captured from tmux (80x24):\n\(text)")

            #expect(lines.first?.hasPrefix("synshadow top  tier tracepoint  events ") == true, "\(text)")
            #expect(lines.contains { $0.hasPrefix("LISTENER ") && $0.contains("ACCEPTQ") }, "\(text)")
            let row = try #require(lines.firstIndex { $0.hasPrefix(endpoint + " ") }, "no row for \(endpoint):\n\(text)")
            let owner = "[\(getpid())]"
            #expect(lines[row].contains(owner), "\(lines[row])")
            #expect(lines[row].contains(String(comm.prefix(17 - owner.count)) + owner), "comm \(comm): \(lines[row])")
            #expect(lines[row].contains("      1 "), "backlog 1: \(lines[row])")
            let detail = lines[row + 1]
            #expect(detail.hasPrefix("  \(accepted.count) "), "accepted \(accepted.count): \(detail)")
            let fields = detail.split(separator: " ")
            let drops = fields.count >= 4 ? Int(fields[3]) : nil
            #expect((drops ?? 0) > 0, "drops: \(detail)")
            #expect(Self.dropIDs.contains { detail.contains($0) }, "a drop cause: \(detail)")
            let title = try #require(lines.firstIndex(of: "RECENT FINDINGS"), "\(text)")
            #expect(title + 1 < lines.count && lines[title + 1].hasPrefix("  ") && lines[title + 1].contains(":\(port) "), "\(text)")
            for line in lines { #expect(line.count <= 80, "\(line.count) columns: \(line)") }

            // q restores the terminal and detaches.
            _ = try tmuxRun(["send-keys", "-t", session, "q"])
            let gone = Date().addingTimeInterval(15)
            while try tmuxRun(["has-session", "-t", session]).status == 0 && Date() < gone { usleep(200_000) }
            #expect(try tmuxRun(["has-session", "-t", session]).status != 0, "top did not quit on q")
            #expect(startupErrors().contains("detached"), "\(startupErrors())")
            #expect(LoadedPrograms.count() <= before, "programs left loaded after q")
        }

        @Test func throughAPipeItPrintsPlainBlocks() throws {
            let before = LoadedPrograms.count()
            let run = try Run(["COLUMNS=80", Run.binary, "top", "--duration", "2", "--interval", "0.5"], timeout: 60)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(!run.stdout.utf8.contains(0x1B), "escape codes in plain output")
            let lines = run.stdout.split(separator: "\n").map(String.init)
            let headers = lines.filter { $0.hasPrefix("synshadow top  tier ") }
            #expect(headers.count >= 2, "one block per interval: \(run.stdout)")
            #expect(lines.filter { $0.hasPrefix("LISTENER ") }.count == headers.count)
            for line in lines { #expect(line.count <= 80, "\(line)") }
            #expect(run.stderr.contains("detached"))
            #expect(LoadedPrograms.count() <= before, "programs left loaded")
        }
    }
}
