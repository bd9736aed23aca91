import ArgumentParser
import Foundation
import SynShadowCore
import SynShadowLive
import Synchronization

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure what tracing costs: connection rate untraced, traced by SynShadow, traced by bpftrace.",
        discussion: """
            Runs a loopback connect/accept load at the machine's maximum rate, several times in \
            alternation, and prints one table with every figure measured side by side. Build with \
            `swift build -c release` first: a debug build measures the debugger-friendly code.

            EXAMPLE:
              sudo .build/release/synshadow bench --seconds 5 --rounds 3
            """
    )

    @Option(help: "Seconds per measurement.")
    var seconds: Double = 5

    @Option(help: "Alternating rounds (the median is reported).")
    var rounds: Int = 3

    @Option(help: "Client threads making connections.")
    var clients: Int = 2

    @Flag(help: "Skip the bpftrace comparison.")
    var noBpftrace = false

    func run() throws {
        var untraced: [Double] = []
        var traced: [Double] = []
        var bpftraced: [Double] = []
        var lost: UInt64 = 0
        var events: UInt64 = 0
        let bpftrace = noBpftrace ? nil : BpftraceComparison.locate()
        for round in 1...rounds {
            Terminal.note("round \(round)/\(rounds)")
            untraced.append(try measure(tracer: nil))
            let tracer: LiveTracer
            do { tracer = try LiveTracer(configuration: .init()) } catch { throw ExitCode(Terminal.fail(error, verbose: false)) }
            _ = try tracer.start(into: CollectingConsumer())
            let before = tracer.session.counters()
            traced.append(try measure(tracer: tracer))
            let after = tracer.session.counters()
            lost += after.lost - before.lost
            events += after.events - before.events
            tracer.close()
            if let bpftrace { bpftraced.append(try bpftrace.measure { try measure(tracer: nil) }) }
        }
        let base = median(untraced)
        var table = BenchTable()
        table.add("untraced connections/s", String(format: "%.0f", base), "1.000")
        table.add("synshadow (model on) connections/s", String(format: "%.0f", median(traced)), String(format: "%.3f", median(traced) / base))
        if !bpftraced.isEmpty {
            table.add("bpftrace printing each event connections/s", String(format: "%.0f", median(bpftraced)), String(format: "%.3f", median(bpftraced) / base))
        }
        table.add("events traced / lost", "\(events) / \(lost)", "")
        table.lines().forEach(Terminal.output)
        Terminal.flush()
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    /// One timed load; with a tracer, a second thread drains it meanwhile.
    private func measure(tracer: LiveTracer?) throws -> Double {
        let load = try ConnectionLoad()
        let done = Atomic<Bool>(false)
        let drained = DispatchSemaphore(value: 0)
        if let tracer {
            let box = UncheckedBox(tracer)
            Thread {
                // The full pipeline: decode, model, findings.
                let driver = ModelDriver(
                    configuration: ModelConfiguration(tier: box.value.tier, kernel: KernelSettingsReader.current()),
                    onFindings: { _ in })
                while !done.load(ordering: .relaxed) {
                    try? box.value.drainOnce(into: driver, timeoutMilliseconds: 100)
                }
                try? driver.finish()
                drained.signal()
            }.start()
        }
        let result = load.run(clientThreads: clients, seconds: seconds)
        done.store(true, ordering: .relaxed)
        if tracer != nil { drained.wait() }
        return result.rate
    }
}

/// Hands a non-Sendable value to one other thread that alone uses it.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// The classic way, for comparison: a bpftrace one-liner on the same
/// passive-open hooks that prints every event.
struct BpftraceComparison {
    let path: String
    let program: String

    static func locate() -> BpftraceComparison? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/bpftrace") else {
            Terminal.note("bpftrace not installed (apt-get install bpftrace): comparison skipped")
            return nil
        }
        let program: String
        if Preflight.kprobesAvailable {
            program = """
                kprobe:tcp_v4_conn_request, kprobe:tcp_v6_conn_request { printf("syn %d\\n", pid); }
                kprobe:tcp_check_req { printf("check_req %d\\n", pid); }
                kretprobe:inet_csk_accept { printf("accept %d %lx\\n", pid, retval); }
                tracepoint:sock:inet_sock_set_state /args->protocol == 6/ { printf("state %d %d %d\\n", args->oldstate, args->newstate, args->sport); }
                """
        } else {
            program = """
                tracepoint:sock:inet_sock_set_state /args->protocol == 6/ { printf("state %d %d %d %d\\n", args->oldstate, args->newstate, args->sport, args->dport); }
                tracepoint:syscalls:sys_exit_accept4, tracepoint:syscalls:sys_exit_accept { printf("accept %d %d\\n", pid, args->ret); }
                tracepoint:tcp:tcp_retransmit_synack { printf("synack %d\\n", args->sport); }
                """
        }
        return BpftraceComparison(path: "/usr/bin/bpftrace", program: program)
    }

    /// Runs `body` while bpftrace is attached and printing (to a pipe we drain).
    func measure(_ body: () throws -> Double) throws -> Double {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-e", program]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let reader = output.fileHandleForReading
        // bpftrace prints "Attaching N probes..." once attached.
        var banner = ""
        while !banner.contains("Attaching") {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            banner += String(decoding: chunk, as: UTF8.self)
        }
        let draining = Thread { while !reader.availableData.isEmpty {} }
        draining.start()
        let rate = try body()
        process.interrupt()
        process.waitUntilExit()
        return rate
    }
}

/// A two-column figure table with a ratio column.
struct BenchTable {
    private var rows: [(String, String, String)] = []

    mutating func add(_ name: String, _ value: String, _ ratio: String) { rows.append((name, value, ratio)) }

    func lines() -> [String] {
        let width = rows.map(\.0.count).max() ?? 10
        let header = "figure".padding(toLength: width, withPad: " ", startingAt: 0) + "  value          ratio"
        return [header] + rows.map { name, value, ratio in
            name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                + value.padding(toLength: 15, withPad: " ", startingAt: 0) + ratio
        }
    }
}
