#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A copy of this test binary that serves metrics with RLIMIT_NOFILE
/// lowered to a few descriptors above what it has open, so the attack can
/// come from this process without starving it. Files in a scratch
/// directory carry the port one way and "stop" the other.
final class DescriptorLimitChild {
    static let variable = "SYNSHADOW_DESCRIPTOR_LIMIT_CHILD"
    /// Descriptors the child may open past those open when the limit is set.
    static let headroom = 16

    private let process = Process()
    private let directory: URL

    static func start(test: String) throws -> DescriptorLimitChild {
        try DescriptorLimitChild(test: test)
    }

    private init(test: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("synshadow-fd-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("stderr").path, contents: nil)
        process.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        process.arguments = ["--testing-library", "swift-testing", "--filter", test]
        process.environment = ProcessInfo.processInfo.environment.merging([Self.variable: directory.path]) { $1 }
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: directory.appendingPathComponent("stderr").path)
        try process.run()
    }

    /// The port the child serves on, once it says so.
    func port(within seconds: Double) -> UInt16? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, process.isRunning {
            if let text = try? String(contentsOf: directory.appendingPathComponent("port"), encoding: .utf8),
                let port = UInt16(text)
            {
                return port
            }
            usleep(50_000)
        }
        return nil
    }

    func probe(port: UInt16) -> ScrapeProbe { ScrapeProbe(port: port) }

    var standardError: String {
        (try? String(contentsOf: directory.appendingPathComponent("stderr"), encoding: .utf8)) ?? ""
    }

    /// Asks the child to finish and waits (20 s at most): its exit status and what it wrote on stderr.
    @discardableResult
    func stop() -> (status: Int32, standardError: String) {
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("stop").path, contents: nil)
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return (process.terminationStatus, standardError)
    }

    /// The child's side: serve, lower the limit, say the port, wait for "stop".
    static func serve(in path: String) throws {
        let directory = URL(fileURLWithPath: path)
        let probe = try ScrapeProbe()
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 64
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = rlim_t(open + headroom)
        setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        try "\(probe.port)".write(to: directory.appendingPathComponent("port"), atomically: false, encoding: .utf8)
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("stop").path), Date() < deadline {
            usleep(50_000)
        }
        probe.finish()
    }
}
