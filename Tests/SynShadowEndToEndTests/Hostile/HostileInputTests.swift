import Foundation
import SynShadowTracer
import Testing

/// Issue 16: SynShadow runs as root on production servers. Tried as an
/// attacker and a careless user would (options, filters, files, slow
/// readers, process names, signals), it must never crash, hang, or stay
/// attached. Each group prints its figures ("hostile: ...").
extension LiveKernelTests {
    @Suite struct HostileInputTests {}
}

/// A `synshadow` process under test: stdout to a file (or a pipe the test
/// reads), stderr collected on a thread of its own, stopped by a signal.
final class HostileProcess: @unchecked Sendable {
    let process = Process()
    let outputPath: String
    private let errors = Pipe()
    private let reader: Thread
    private let collector: Collector

    init(_ arguments: [String], standardOutput: Any? = nil) throws {
        outputPath = NSTemporaryDirectory() + "synshadow-hostile-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).out"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: Run.binary)
        process.arguments = arguments
        process.standardError = errors
        process.standardOutput = standardOutput ?? FileHandle(forWritingAtPath: outputPath)
        let handle = errors.fileHandleForReading
        let box = Collector()
        reader = Thread {
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                box.append(chunk)
            }
        }
        collector = box
        try process.run()
        reader.start()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: outputPath)
    }

    var stderr: String { collector.text }
    var stdout: Data { (try? Data(contentsOf: URL(fileURLWithPath: outputPath))) ?? Data() }

    /// Waits until stderr shows `text`; false if the process ended or `seconds` passed first.
    func waitForStderr(_ text: String, seconds: Double = 60) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while Date() < deadline {
            if stderr.contains(text) { return true }
            if !process.isRunning { return stderr.contains(text) }
            usleep(20_000)
        }
        return false
    }

    /// Waits for the end (SIGKILL after `seconds`); returns (status, exited normally, seconds waited).
    func waitForExit(seconds: Double) -> (status: Int32, exited: Bool, waited: Double) {
        let started = Date()
        let deadline = Date(timeIntervalSinceNow: seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        // Let the stderr thread take the last lines.
        for _ in 0..<50 where !collector.isFinished(process) { usleep(10_000) }
        return (process.terminationStatus, process.terminationReason == .exit, Date().timeIntervalSince(started))
    }

    func signal(_ signal: Int32) { if process.isRunning { kill(process.processIdentifier, signal) } }
}

/// Bytes read by a thread, read by the test.
private final class Collector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var quietSince = Date()

    func append(_ chunk: Data) {
        lock.lock()
        data.append(chunk)
        quietSince = Date()
        lock.unlock()
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }

    func isFinished(_ process: Process) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return !process.isRunning && Date().timeIntervalSince(quietSince) > 0.1
    }
}

/// Loopback connections to a listener of the test's own, accepted and closed:
/// traffic for the tracer to see.
enum LoopbackTraffic {
    static func connections(_ count: Int, port: UInt16, listener: TCPSocket) throws {
        for _ in 0..<count {
            let client = try TCPSocket(family: AF_INET)
            try client.connectLoopback(port: port)
            try listener.accept().close()
            client.close()
        }
    }
}
