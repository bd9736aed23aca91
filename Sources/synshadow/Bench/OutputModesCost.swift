import Foundation
import SynShadowCore
import SynShadowTestbed
import SynShadowTracer

/// SynShadow as users run it, each way at once beside one continuous
/// loopback load at the machine's full rate: `trace` printing every event,
/// `trace --json`, `record` and `top`, each a process of this very binary
/// with its output in a file. Between two runs of a mode, a window with no
/// SynShadow at all; each traced window is compared with the untraced
/// windows either side of it, as the interleaved bench does.
///
/// What each mode costs is read from outside, in its steady state (start-up
/// and the self-check excluded): the CPU time of the process's threads (the
/// scheduler's nanoseconds) and the run time of its BPF programs (the
/// kernel's statistics, on for the whole bench), per 1,000 connections.
struct OutputModesCost {
    enum Mode: CaseIterable {
        case trace, traceJSON, record, top

        var name: String {
            switch self {
            case .trace: "trace"
            case .traceJSON: "trace --json"
            case .record: "record"
            case .top: "top"
            }
        }

        /// The command line; `output` is where the events go (`record`'s file).
        func arguments(port: UInt16, output: String) -> [String] {
            let filter = ["--port", String(port)]
            switch self {
            case .trace: return ["trace"] + filter
            case .traceJSON: return ["trace", "--json"] + filter
            case .record: return ["record", "-o", output] + filter
            case .top: return ["top"] + filter
            }
        }
    }

    struct Figures {
        var mode: Mode
        /// Each traced window's rate over its untraced neighbours' mean.
        var ratios: [Double] = []
        var windowConnections = 0
        var cpuNanoseconds: UInt64 = 0
        var bpfNanoseconds: UInt64 = 0
        /// Over the process's whole traced life (ready to stopped).
        var tracedConnections = 0
        var outputBytes = 0
        var events: UInt64 = 0
        var lost: UInt64 = 0
        var shedLines: UInt64 = 0
        var failures: [String] = []

        func perThousandConnections(_ nanoseconds: UInt64) -> Double {
            windowConnections > 0 ? Double(nanoseconds) / 1e6 / Double(windowConnections) * 1000 : 0
        }

        var bytesPerConnection: Double {
            tracedConnections > 0 ? Double(outputBytes) / Double(tracedConnections) : 0
        }
    }

    var windowSeconds: Double = 2
    var rounds: Int = 3
    /// The tier each process insists on (the one the bench measured).
    var tier: Tier
    /// Left out after a process is ready: its first drains catch up.
    var settle: Double = 0.3

    func measure(clients: Int) throws -> [Figures] {
        let directory = NSTemporaryDirectory() + "synshadow-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let load = try ConnectionLoad()
        let loadEnded = DispatchSemaphore(value: 0)
        Thread {
            _ = load.run(clientThreads: clients)
            loadEnded.signal()
        }.start()
        defer {
            load.finish()
            loadEnded.wait()
        }
        var figures = Mode.allCases.map { Figures(mode: $0) }
        var previousUntraced = untracedRate(load)
        for round in 1...rounds {
            for (index, mode) in Mode.allCases.enumerated() {
                Terminal.note("output modes: round \(round)/\(rounds), \(mode.name)")
                let traced = try run(mode, port: load.port, load: load, directory: directory, into: &figures[index])
                let untraced = untracedRate(load)
                if let traced, previousUntraced + untraced > 0 {
                    figures[index].ratios.append(traced / ((previousUntraced + untraced) / 2))
                }
                previousUntraced = untraced
            }
        }
        return figures
    }

    private func untracedRate(_ load: ConnectionLoad) -> Double {
        Thread.sleep(forTimeInterval: settle)
        let start = (Date(), load.acceptedSoFar)
        Thread.sleep(forTimeInterval: windowSeconds)
        return Double(load.acceptedSoFar - start.1) / Date().timeIntervalSince(start.0)
    }

    /// One process of `mode`: ready, a measured window, stopped. The window's
    /// connection rate, or nil when the process failed (noted in `figures`).
    private func run(
        _ mode: Mode, port: UInt16, load: ConnectionLoad, directory: String, into figures: inout Figures
    ) throws -> Double? {
        let output = directory + "/out"
        let errors = directory + "/err"
        let recorded = directory + "/trace.synshadow"
        for path in [output, errors, recorded] { try? FileManager.default.removeItem(atPath: path) }
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        _ = FileManager.default.createFile(atPath: errors, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.ownExecutable())
        process.arguments = mode.arguments(port: port, output: recorded) + ["--tier", tier.name]
        process.standardOutput = FileHandle(forWritingAtPath: output)
        process.standardError = FileHandle(forWritingAtPath: errors)
        let loadedSince = BPFStatistics.bootNanoseconds()
        try process.run()
        defer {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
        }
        guard Self.waitUntilReady(process, errors: errors) else {
            figures.failures.append("\(mode.name) never became ready: " + Self.tail(errors))
            return nil
        }
        let ready = load.acceptedSoFar
        Thread.sleep(forTimeInterval: settle)
        let start = (Date(), load.acceptedSoFar, ThreadCPU.nanoseconds(ofProcess: process.processIdentifier),
                     BPFStatistics.synShadowPrograms(loadedSince: loadedSince))
        Thread.sleep(forTimeInterval: windowSeconds)
        let connections = load.acceptedSoFar - start.1
        let seconds = Date().timeIntervalSince(start.0)
        figures.cpuNanoseconds += ThreadCPU.nanoseconds(ofProcess: process.processIdentifier) - start.2
        figures.bpfNanoseconds += BPFStatistics.synShadowPrograms(loadedSince: loadedSince)
            .since(start.3).runTimeNanoseconds
        figures.windowConnections += connections
        figures.tracedConnections += load.acceptedSoFar - ready
        process.interrupt()
        process.waitUntilExit()
        let summary = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
        let attributes = try? FileManager.default.attributesOfItem(atPath: mode == .record ? recorded : output)
        figures.outputBytes += (attributes?[.size] as? Int) ?? 0
        let end = ExitSummary(summary)
        figures.events += end.events
        figures.lost += end.lost
        figures.shedLines += end.shedLines
        if process.terminationStatus != 0 || !end.complete {
            figures.failures.append("\(mode.name) exited \(process.terminationStatus): " + Self.tail(errors))
        }
        return Double(connections) / seconds
    }

    /// The process said its self-check passed: its hooks are live.
    private static func waitUntilReady(_ process: Process, errors: String) -> Bool {
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, Date() < deadline {
            if let text = try? String(contentsOfFile: errors, encoding: .utf8), text.contains("self-check: every hook") {
                return true
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    private static func tail(_ path: String) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(3).joined(separator: " / ")
    }

    /// This binary, so the modes measured are the build being benchmarked.
    private static func ownExecutable() throws -> String {
        try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    }
}

/// What a `trace`/`record`/`top` process says on standard error as it
/// detaches: "detached: N events, M lost, ..." and, when its standard
/// output fell behind, "output: ... A event lines and B other lines shed".
struct ExitSummary {
    var events: UInt64 = 0
    var lost: UInt64 = 0
    var shedLines: UInt64 = 0
    /// The detach line was there: the process ended its session itself.
    var complete = false

    init(_ text: String) {
        for line in text.split(separator: "\n") {
            if let range = line.range(of: "detached: ") {
                complete = true
                let words = line[range.upperBound...].split(separator: " ")
                events = words.first.flatMap { UInt64($0) } ?? 0
                if let index = words.firstIndex(where: { $0.hasPrefix("lost") }), index > 0 {
                    lost = UInt64(words[index - 1]) ?? 0
                }
            }
            if line.contains("lines shed") {
                let words = line.split(separator: " ")
                for (index, word) in words.enumerated() where word == "event" || word == "other" {
                    if index > 0, let count = UInt64(words[index - 1]) { shedLines += count }
                }
            }
        }
    }
}
