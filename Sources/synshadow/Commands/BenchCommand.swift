import ArgumentParser
import Foundation
import SynShadowCore
import SynShadowTestbed
import SynShadowTracer
import Synchronization

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure what tracing costs: connection rate untraced, traced by SynShadow, traced by bpftrace.",
        discussion: """
            Runs a loopback connect/accept load at the machine's maximum rate and prints one table \
            with every figure measured side by side. SynShadow's hooks are detached and re-attached \
            every half second within one load, and each traced window is compared with the \
            untraced windows either side of it: the machine's own drift cancels out. Idle windows \
            between them keep every hook attached but make each return at once: the kernel's \
            dispatch of the hooks alone, so the gap to the traced ratio is SynShadow's own work \
            (BPF programs, ring buffer, decoding, model). bpftrace, \
            which cannot be paused, runs in alternating rounds against untraced rounds. Build with \
            `swift build -c release` first: a debug build measures the debugger-friendly code.

            EXAMPLE:
              sudo .build/release/synshadow bench --seconds 5 --rounds 3
            """
    )

    @Option(
        parsing: .unconditional,
        help: "Seconds per measurement (SynShadow's interleaved windows last seconds x rounds x 4 in all).")
    var seconds: Double = 5

    @Option(parsing: .unconditional, help: "Alternating rounds (the median is reported).")
    var rounds: Int = 3

    @Option(parsing: .unconditional, help: "Client threads making connections.")
    var clients: Int = 2

    @Option(parsing: .unconditional, help: "SYNs in the forced-loss flood (a namespace of its own, a 64 KiB ring).")
    var floodSyns: Int = 50_000

    @Flag(help: "Skip the bpftrace comparison.")
    var noBpftrace = false

    func validate() throws {
        try OptionRange("--seconds", 0.1...3600, unit: "seconds").check(seconds)
        try OptionRange("--rounds", 1...100).check(rounds)
        try OptionRange("--clients", 1...64).check(clients)
        try OptionRange("--flood-syns", 1...10_000_000).check(floodSyns)
    }

    func run() throws {
        // SynShadow: traced, idle and untraced windows interleaved within one
        // load (see InterleavedOverhead).
        Terminal.note("\(pairs) traced and \(pairs) idle windows (hooks attached) between untraced ones")
        var configuration = LiveTracer.Configuration()
        configuration.keepsRawRecords = true  // real records for the pipeline figure
        let tracer = try CommandFailure.reported { try LiveTracer(configuration: configuration) }
        defer { tracer.close() }
        _ = try CommandFailure.reported { try tracer.start(into: CollectingConsumer()) }
        let interleaved = try CommandFailure.reported {
            try InterleavedOverhead().measure(tracer: tracer, pairs: pairs, clients: clients)
        }
        let tracedTier = tracer.tier
        let mapMemory = tracer.session.mapMemoryBytes
        tracer.close()

        // bpftrace cannot be detached and re-attached in place: alternating
        // rounds, each against an untraced round of its own.
        var untraced: [Double] = []
        var bpftraced: [Double] = []
        if let bpftrace = noBpftrace ? nil : BpftraceComparison.locate() {
            for round in 1...rounds {
                Terminal.note("bpftrace: round \(round)/\(rounds)")
                untraced.append(try measureLoad())
                bpftraced.append(try bpftrace.measure { try measureLoad() })
            }
        }

        var table = BenchTable()
        let base = median(interleaved.untracedRates)
        table.add("untraced connections/s (windows)", String(format: "%.0f", base), "1.000")
        addWindows(
            "synshadow (model on)", rates: interleaved.tracedRates, ratios: interleaved.ratios, ratioName: "traced",
            to: &table)
        addWindows(
            "hooks attached but idle", rates: interleaved.idleRates, ratios: interleaved.idleRatios,
            ratioName: "idle", to: &table)
        if !bpftraced.isEmpty {
            table.add(
                "bpftrace printing each event connections/s", String(format: "%.0f", median(bpftraced)),
                String(format: "%.3f", median(bpftraced) / median(untraced)))
            table.add("  its untraced rounds connections/s", String(format: "%.0f", median(untraced)), "1.000")
        }
        table.add("events traced / lost at that rate", "\(interleaved.events) / \(interleaved.lost)", "")
        if interleaved.lost > 0 || interleaved.coveredRuns > 0 {
            table.add("  kernel side", interleaved.lossDetail, "")
            table.add("  skipped runs a cover program took", "\(interleaved.coveredRuns)", "not lost")
        }
        let flood = try SynFloodLoss.measure(syns: floodSyns)
        table.add(
            "SYN flood, 64 KiB ring: SYNs at listener", "\(flood.synsAtListener)",
            "\(flood.synsSent) sent, netns of its own")
        table.add(
            "  SYN records delivered + counted lost", "\(flood.synRecordsDelivered) + \(flood.synRecordsLost)",
            flood.isExact ? "exact" : "MISMATCH")
        let pipeline = PipelineThroughput.measure(records: interleaved.rawRecords, tier: tracedTier)
        table.add("decode + model, one core (events/s)", String(format: "%.0f", pipeline.eventsPerSecond), "\(pipeline.events) real events")
        let memory = HalfOpenMemory.measure(flows: 1_000_000)
        table.add("model memory, 1M half-open flows", String(format: "%.0f MB", Double(memory.modelBytes) / 1e6),
                  String(format: "%.0f B/flow", memory.bytesPerFlow))
        table.add("peak RSS with 1M half-open flows", String(format: "%.0f MB", Double(memory.peakResidentBytes) / 1e6), "")
        table.add("kernel map memory (fixed)", String(format: "%.1f MB", Double(mapMemory) / 1e6), "")
        table.lines().forEach(Terminal.output)
        Terminal.flush()
    }

    /// A kind of window: its median rate and ratio, and the middle half of
    /// its ratios to the untraced neighbours.
    private func addWindows(
        _ label: String, rates: [Double], ratios: [Double], ratioName: String, to table: inout BenchTable
    ) {
        let sorted = ratios.sorted()
        table.add(
            "\(label) connections/s", String(format: "%.0f", median(rates)), String(format: "%.3f", median(sorted)))
        table.add(
            "  \(ratioName)/untraced, middle half of pairs",
            String(format: "%.3f-%.3f", quantile(sorted, 0.25), quantile(sorted, 0.75)),
            "\(sorted.count) window pairs")
    }

    /// Traced windows, and as many idle ones: one per half second of the
    /// rounds' time.
    private var pairs: Int { max(3, Int((seconds * Double(rounds)) / 0.5)) }

    private func quantile(_ sorted: [Double], _ q: Double) -> Double {
        sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))]
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    /// One timed untraced load (bpftrace, when running, traces it).
    private func measureLoad() throws -> Double {
        try ConnectionLoad().run(clientThreads: clients, seconds: seconds).rate
    }
}

/// Raw records collected by the drain thread, read after it finished.
final class RawRecords: @unchecked Sendable {
    var bytes: [UInt8] = []
}

/// Passes everything to the model and keeps the raw records (up to 64 MiB).
final class RecordKeeper: EventConsumer {
    let driver: ModelDriver
    let records: RawRecords

    init(driver: ModelDriver, into records: RawRecords) {
        self.driver = driver
        self.records = records
    }

    func consume(_ events: [KernelEvent], rawRecords: [UInt8]) {
        if records.bytes.count < 64 << 20 { records.bytes += rawRecords }
        driver.consume(events, rawRecords: [])
    }

    func noteLoss(_ count: UInt64, at timestamp: UInt64) { driver.noteLoss(count, at: timestamp) }
    func tick(at timestamp: UInt64) { driver.tick(at: timestamp) }
}

/// Decode + model over real recorded records on this thread: the pipeline's
/// own speed, without the kernel.
enum PipelineThroughput {
    static func measure(records: [UInt8], tier: Tier) -> (events: Int, eventsPerSecond: Double) {
        let size = EventCodec.recordSize
        let count = records.count / size
        guard count > 0 else { return (0, 0) }
        var processed = 0
        let started = monotonicNanoseconds()
        // Repeat until a second has passed, each pass on a fresh model.
        repeat {
            let model = ShadowModel(configuration: ModelConfiguration(tier: tier))
            records.withUnsafeBytes { raw in
                for index in 0..<count {
                    let slice = UnsafeRawBufferPointer(rebasing: raw[index * size..<(index + 1) * size])
                    if let event = try? EventCodec.decode(slice) { model.process(event) }
                }
            }
            model.finish()
            _ = model.takeFindings()
            processed += count
        } while monotonicNanoseconds() - started < 1_000_000_000
        return (count, Double(processed) / (Double(monotonicNanoseconds() - started) / 1e9))
    }
}

/// The model's memory with a million half-open flows (a SYN flood's residue).
enum HalfOpenMemory {
    static func measure(flows: Int) -> (modelBytes: Int, bytesPerFlow: Double, peakResidentBytes: Int) {
        let model = ShadowModel(configuration: ModelConfiguration(tier: .tracepoint, maximumFlows: flows + flows / 10))
        HalfOpenFlows.fill(model, count: flows, start: 1_000_000_000_000)
        let footprint = model.memoryFootprint
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return (footprint.totalBytes, footprint.bytesPerFlow, usage.ru_maxrss * 1024)
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
                + (value.count > 15 ? value + " " : value.padding(toLength: 15, withPad: " ", startingAt: 0)) + ratio
        }
    }
}
