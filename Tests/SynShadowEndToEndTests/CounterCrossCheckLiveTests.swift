#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SynShadowTracer
import Testing

/// `synshadow trace --counters` as a user runs it, on a namespace of the
/// test's own with real sockets: the counters lines must carry the
/// namespace's real deltas and agree with the model, and the fault knob
/// must turn that into a counter-mismatch finding.
extension LiveKernelTests {
    @Suite struct CounterCrossCheckLiveTests {
        @Test func countersLinesShowTheKernelsDeltasAndAgree() throws {
            let sandbox = try NetworkNamespaceSandbox()
            let trace = try TraceRun(namespace: try sandbox.run { try Traffic.namespacePath() }, duration: 9)
            let before = try sandbox.counters()
            let traffic = try sandbox.run { try Traffic(clean: 50, overflowClients: 5) }
            let output = try trace.finish()
            let after = try sandbox.counters()
            withExtendedLifetime(traffic) {}

            let lines = output.counters
            #expect(lines.count >= 6, "too few counters lines:\n\(output.text)")
            #expect(lines.first?.status == "baseline")
            // Every interval agrees; the run ends with the final reading, which
            // compares totals once every step is decided.
            for line in lines.dropFirst().dropLast() { #expect(line.status == "agree", "\(line.json)") }
            #expect(lines.last?.status == "final", "\(lines.last?.json ?? [:])")
            #expect((lines.last?.json["mismatched"] as? [String])?.isEmpty == true, "\(lines.last?.json ?? [:])")
            #expect(!output.findingIDs.contains("counter-mismatch"), "\(output.text)")
            let last = try #require(lines.last)
            // Every client whose connect() completed is a child the kernel created.
            let passiveOpens = after["TcpPassiveOpens"] - before["TcpPassiveOpens"]
            #expect(passiveOpens == Int64(50 + traffic.overflowConnected))
            #expect(last.kernel("TcpPassiveOpens") == passiveOpens)
            #expect(last.model("TcpPassiveOpens") == passiveOpens)
            #expect(last.kernel("TcpExtListenOverflows") > 0)
            for name in ["TcpExtListenOverflows", "TcpExtListenDrops", "TcpExtTCPReqQFullDrop", "TcpExtEmbryonicRsts"] {
                #expect(last.kernel(name) == last.model(name), "\(name): \(last.json)")
            }
            #expect(output.findingIDs.contains("syn-dropped-accept-queue-full"))
        }

        @Test func theFaultKnobRaisesACounterMismatchNamingTheCounter() throws {
            let sandbox = try NetworkNamespaceSandbox()
            let trace = try TraceRun(
                namespace: try sandbox.run { try Traffic.namespacePath() }, duration: 6,
                extra: ["--counters-fault", "skew-passive-opens"])
            let traffic = try sandbox.run { try Traffic(clean: 10, overflowClients: 0) }
            let output = try trace.finish()
            withExtendedLifetime(traffic) {}

            let mismatches = output.findings.filter { $0["id"] as? String == "counter-mismatch" }
            #expect(mismatches.count == 1, "\(output.text)")
            let evidence = try #require(mismatches.first?["counter_evidence"] as? [String: Any])
            #expect(evidence["counter"] as? String == "TcpPassiveOpens", "\(output.text)")
            #expect(evidence["direction"] as? String == "model-exceeded")
            #expect((evidence["interval_ns"] as? Int ?? 0) >= 900_000_000)
            #expect(mismatches.first?["category"] as? String == "divergence")
            #expect(output.counters.contains { $0.status == "mismatch" })
        }
    }
}

/// Real traffic inside the sandbox: clean connections accepted and closed,
/// then clients of a backlog-1 listener that never accepts (two fill its
/// accept queue, the rest have their SYNs dropped, again at each retransmit).
/// The sockets stay open while the object lives.
private final class Traffic {
    let overflowListener: TCPSocket?
    let overflowClients: [TCPSocket]
    let overflowConnected: Int

    init(clean: Int, overflowClients count: Int) throws {
        let listener = try TCPSocket(family: AF_INET)
        try listener.bindLoopback()
        try listener.listen(backlog: 128)
        for _ in 0..<clean {
            let client = try TCPSocket(family: AF_INET)
            try client.connectLoopback(port: listener.localPort)
            try listener.accept().close()
            client.close()
        }
        let (full, clients) = try Traffic.overflow(count)
        overflowListener = full
        overflowClients = clients
        overflowConnected = clients.filter(Traffic.isConnected).count
    }

    private static func overflow(_ count: Int) throws -> (TCPSocket?, [TCPSocket]) {
        guard count > 0 else { return (nil, []) }
        let full = try TCPSocket(family: AF_INET)
        try full.bindLoopback()
        try full.listen(backlog: 1)
        var clients: [TCPSocket] = []
        for _ in 0..<count {
            let client = try TCPSocket(family: AF_INET)
            _ = fcntl(client.descriptor, F_SETFL, fcntl(client.descriptor, F_GETFL) | O_NONBLOCK)
            do {
                try client.connectLoopback(port: full.localPort)
            } catch {
                if error.code != EINPROGRESS { throw error }
            }
            clients.append(client)
            usleep(50_000)
        }
        usleep(200_000)
        return (full, clients)
    }

    private static func isConnected(_ socket: TCPSocket) -> Bool {
        var entry = pollfd(fd: socket.descriptor, events: Int16(POLLOUT), revents: 0)
        guard poll(&entry, 1, 0) == 1 else { return false }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(socket.descriptor, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0
    }

    /// A file naming the calling thread's network namespace (call inside the sandbox).
    static func namespacePath() throws -> String {
        "/proc/" + (try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")) + "/ns/net"
    }
}

/// `synshadow trace --netns PATH --counters 1 --json --findings-only`,
/// started and awaited past its first counters reading; stdout goes to a file so a
/// long run never blocks on a full pipe.
private final class TraceRun {
    struct Output {
        var text: String
        var objects: [[String: Any]]

        var counters: [CountersLine] { objects.filter { $0["type"] as? String == "counters" }.map(CountersLine.init) }
        var findings: [[String: Any]] { objects.filter { $0["type"] as? String == "finding" } }
        var findingIDs: Set<String> { Set(findings.compactMap { $0["id"] as? String }) }
    }

    struct CountersLine {
        var json: [String: Any]
        var status: String? { json["status"] as? String }

        init(_ json: [String: Any]) { self.json = json }

        private func value(_ name: String, _ side: String) -> Int64 {
            let counters = json["counters"] as? [String: Any]
            return Int64((counters?[name] as? [String: Any])?[side] as? Int ?? -1)
        }

        func kernel(_ name: String) -> Int64 { value(name, "kernel") }
        func model(_ name: String) -> Int64 { value(name, "model") }
    }

    private let process = Process()
    private let errors = Pipe()
    private var seen = ""
    private let outputPath = NSTemporaryDirectory() + "synshadow-counters-\(UUID().uuidString).jsonl"

    init(namespace: String, duration: Int, extra: [String] = []) throws {
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: Run.binary)
        process.arguments =
            ["trace", "--netns", namespace, "--counters", "1", "--json", "--findings-only", "--duration", String(duration)]
            + extra
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardError = errors
        try process.run()
        // The base is read right after the "counters: comparing" note; traffic
        // in the next few milliseconds would be ambiguous to it (see CounterLedger).
        while !seen.contains("counters: comparing") {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        guard seen.contains("counters: comparing") else {
            process.waitUntilExit()
            throw TraceFailure(stderr: seen)
        }
        usleep(300_000)
    }

    struct TraceFailure: Error { var stderr: String }

    func finish() throws -> Output {
        seen += String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let text = try String(contentsOfFile: outputPath, encoding: .utf8)
        let objects = text.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        let exit = "exit \(process.terminationStatus) (\(process.terminationReason == .exit ? "status" : "signal"))\n"
        return Output(text: exit + "stderr:\n" + seen + "stdout:\n" + text, objects: objects)
    }
}
