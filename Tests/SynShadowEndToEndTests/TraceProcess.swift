import Foundation
import SynShadowCore

/// `synshadow trace --json ...` running as a user runs it, its standard
/// output kept in a file: the whole live pipeline (drain, watermarks,
/// ordering, model, output thread), judged from what it printed.
final class TraceProcess {
    let process = Process()
    let outputPath: String
    private let errors = Pipe()
    private(set) var stderr = ""

    init(_ arguments: [String]) throws {
        outputPath = NSTemporaryDirectory() + "synshadow-trace-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).jsonl"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: Run.binary)
        process.arguments = arguments
        process.standardError = errors
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        try process.run()
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(atPath: outputPath)
    }

    /// Reads stderr until the self-check passed; false if the run ended first.
    func waitUntilTracing() -> Bool {
        while !stderr.contains("self-check: every hook") {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { return false }
            stderr += String(decoding: chunk, as: UTF8.self)
        }
        return true
    }

    /// SIGINT, then everything it printed, one JSON object per line.
    func stop() -> (status: Int32, objects: [[String: Any]]) {
        if process.isRunning { kill(process.processIdentifier, SIGINT) }
        let child = process
        DispatchQueue.global().asyncAfter(deadline: .now() + 60) { if child.isRunning { child.terminate() } }
        stderr += String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let objects = text.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
        return (process.terminationStatus, objects)
    }
}

/// What a trace printed, read back.
struct TraceOutput {
    let objects: [[String: Any]]

    var findings: [[String: Any]] { objects.filter { $0["type"] as? String == "finding" } }
    var losses: [[String: Any]] { objects.filter { $0["type"] as? String == "loss" } }
    var finalCounters: [String: Any]? {
        objects.last { $0["type"] as? String == "counters" && $0["status"] as? String == "final" }
    }

    func findingIDs(before time: UInt64 = .max) -> [String] {
        findings.filter { (($0["timestamp"] as? NSNumber)?.uint64Value ?? 0) < time }.compactMap { $0["id"] as? String }
    }

    var divergences: [String] {
        findings.filter { $0["category"] as? String == "divergence" }.compactMap { "\($0["id"] ?? "?"): \($0["explanation"] ?? "")" }
    }

    /// (kernel delta, model count, of which ambiguous) of one counter in the
    /// final reading: the kernel must lie in model - ambiguous ... model.
    func finalCount(_ name: String) -> (kernel: Int64, model: Int64, ambiguous: Int64)? {
        guard let counters = finalCounters?["counters"] as? [String: Any], let row = counters[name] as? [String: Any],
            let kernel = (row["kernel"] as? NSNumber)?.int64Value, let model = (row["model"] as? NSNumber)?.int64Value
        else { return nil }
        return (kernel, model, (row["ambiguous"] as? NSNumber)?.int64Value ?? 0)
    }

    /// "id ×count" for every finding, sorted: the figures a note reports.
    var findingCounts: String {
        Dictionary(grouping: findingIDs(), by: { $0 }).map { "\($0.key)×\($0.value.count)" }.sorted()
            .joined(separator: ",")
    }
}
