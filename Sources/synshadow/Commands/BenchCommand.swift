import ArgumentParser
import Foundation
import SynShadowCore
import SynShadowTestbed
import SynShadowTracer
import Synchronization

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure what tracing costs: where the time goes, per connection, per output, per cgroup.",
        discussion: """
            Runs a loopback connect/accept load at the machine's maximum rate and prints one table \
            with every figure measured side by side, each against its goal where it has one:

              * SynShadow's hooks detached and re-attached every half second within one load: each \
            traced window compared with the untraced windows either side of it (the machine's own \
            drift cancels out). Idle windows keep every hook attached but make each return at \
            once: the kernel's dispatch of the hooks alone, so traced/idle is SynShadow's own work. \
            Ratios are medians with a 95% confidence interval (the sign test's, no distribution \
            assumed).
              * Where SynShadow's time goes: each BPF program's run time (the kernel's BPF \
            statistics, as `bpftool prog show` reports them), the drain thread's CPU, ring \
            wake-ups, decode + model alone, formatting alone.
              * `--cgroup`: the hooks attached at a cgroup the bench makes, the load inside it and \
            then in a sibling cgroup.
              * `trace`, `trace --json`, `record` and `top`, each a process of this binary with its \
            output in a file: rate beside the load, CPU per 1,000 connections (its threads and its \
            BPF programs), events lost, lines shed, bytes per connection. BPF statistics are on \
            there (their clock reads included in those ratios); the ratios above are taken with \
            them off.
              * bpftrace printing each event, in alternating rounds (it cannot be paused).

            Build with `swift build -c release` first: a debug build measures the debugger-friendly \
            code. Run it several times: the note of issue 19 gives the figures of five runs.

            EXAMPLES:
              sudo .build/release/synshadow bench
              sudo .build/release/synshadow bench --seconds 5 --rounds 3 --no-bpftrace
              sudo synshadow bench --tier fentry --no-output-modes   # in a guest with fentry
            """
    )

    @Option(
        parsing: .unconditional,
        help: "Seconds per measurement (SynShadow's interleaved windows last seconds x rounds x 4 in all).")
    var seconds: Double = 5

    @Option(
        parsing: .unconditional,
        help: "Seconds per interleaved window (longer in a slow guest, where a half second holds few connections).")
    var window: Double = 0.5

    @Option(parsing: .unconditional, help: "Alternating rounds (the median is reported).")
    var rounds: Int = 3

    @Option(parsing: .unconditional, help: "Client threads making connections.")
    var clients: Int = 2

    @Option(parsing: .unconditional, help: "SYNs in the forced-loss flood (a namespace of its own, a 64 KiB ring).")
    var floodSyns: Int = 50_000

    @Option(parsing: .unconditional, help: ArgumentHelp("Attach tier: auto, fentry, kprobe or tracepoint.", valueName: "tier"))
    var tier: TierChoice = .auto

    @Option(parsing: .unconditional, help: "Seconds per window of each output mode (trace, trace --json, record, top).")
    var outputSeconds: Double = 2

    @Flag(help: "Skip the bpftrace comparison.")
    var noBpftrace = false

    @Flag(help: "Skip the output modes (trace, trace --json, record, top as processes of their own).")
    var noOutputModes = false

    @Flag(help: "Skip the --cgroup figures (the load inside and outside a traced cgroup).")
    var noCgroup = false

    @Flag(
        help: ArgumentHelp(
            "Never detach the hooks between windows: traced windows against idle ones only.",
            discussion: "For fentry and kprobe tiers in a TCG guest (qemu without KVM), where attaching and "
                + "detaching trampolines every half second panicked the guest kernel."))
    var keepAttached = false

    func validate() throws {
        try OptionRange("--seconds", 0.1...3600, unit: "seconds").check(seconds)
        try OptionRange("--rounds", 1...100).check(rounds)
        try OptionRange("--clients", 1...64).check(clients)
        try OptionRange("--flood-syns", 1...10_000_000).check(floodSyns)
        try OptionRange("--output-seconds", 0.5...600, unit: "seconds").check(outputSeconds)
        try OptionRange("--window", 0.2...60, unit: "seconds").check(window)
    }

    func run() throws {
        // SynShadow: traced, idle and untraced windows interleaved within one
        // load (see InterleavedOverhead).
        Terminal.note("\(pairs) traced and \(pairs) idle windows (hooks attached) between untraced ones")
        let configuration = LiveTracer.Configuration(tier: tier.tier)
        let tracer = try CommandFailure.reported { try LiveTracer(configuration: configuration) }
        defer { tracer.close() }
        _ = try CommandFailure.reported { try tracer.start(into: CollectingConsumer()) }
        let interleaved = try CommandFailure.reported {
            try InterleavedOverhead(windowSeconds: window, keepsAttached: keepAttached).measure(tracer: tracer, pairs: pairs, clients: clients)
        }
        // The kernel's BPF statistics cost two clock reads per program run:
        // on only from here, for the breakdown and the output modes' CPU
        // figures, never for the ratios above.
        let statistics = try CommandFailure.reported { try BPFStatistics() }
        defer { statistics.close() }
        Terminal.note("BPF statistics on: \(max(3, pairs / 2)) more traced and idle windows for the breakdown")
        let profiled = try CommandFailure.reported {
            try InterleavedOverhead(windowSeconds: window, keepsAttached: keepAttached, keepsRecords: true)
                .measure(tracer: tracer, pairs: max(3, pairs / 2), clients: clients)
        }
        let tracedTier = tracer.tier
        let mapMemory = tracer.session.mapMemoryBytes
        tracer.close()

        statistics.close()
        if keepAttached && !noCgroup {
            Terminal.note("--keep-attached: the --cgroup figures need untraced windows; skipped")
        }
        let scope = noCgroup || keepAttached ? nil : try CommandFailure.reported {
            Terminal.note("--cgroup: the load inside the traced cgroup, then in another")
            return try CgroupScopeCost().measure(tier: tracedTier, pairs: max(3, pairs / 2), clients: clients)
        }
        let outputs: [OutputModesCost.Figures] = noOutputModes ? [] : try CommandFailure.reported {
            let statistics = try BPFStatistics()
            defer { statistics.close() }
            return try OutputModesCost(windowSeconds: outputSeconds, rounds: max(rounds, 3), tier: tracedTier)
                .measure(clients: clients)
        }

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
        table.add("tier", tracedTier.name, "\(ProcessInfo.processInfo.activeProcessorCount) CPUs")
        let base = median(interleaved.untracedRates)
        // Kept attached, the untraced windows are idle ones: the ratios are
        // to idle neighbours, and idle/idle is the method's noise floor.
        let baseline = keepAttached ? "idle" : "untraced"
        table.add(
            keepAttached ? "baseline: hooks idle, never detached, connections/s" : "untraced connections/s (windows)",
            String(format: "%.0f", base), "1.000")
        table.add(
            "synshadow traced (model on) connections/s", String(format: "%.0f", median(interleaved.tracedRates)),
            MedianInterval(interleaved.ratios).text + " traced/\(baseline), \(interleaved.ratios.count) pairs")
        table.add(
            "hooks attached but idle connections/s", String(format: "%.0f", median(interleaved.idleRates)),
            MedianInterval(interleaved.idleRatios).text + " idle/\(baseline)")
        let ownWork = MedianInterval(keepAttached ? interleaved.ratios : interleaved.ownWorkRatios)
        table.add(
            "own work: traced/idle (goal >= 0.97)", ownWork.text,
            "\(ownWork.count) cycles, " + Goal.atLeast(0.97, ownWork))

        addBreakdown(interleaved, profiled: profiled, tier: tracedTier, to: &table)
        if let scope { addScope(scope, to: &table) }
        if !outputs.isEmpty { addOutputs(outputs, to: &table) }

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
        let memory = HalfOpenMemory.measure(flows: 1_000_000)
        table.add("model memory, 1M half-open flows", String(format: "%.0f MB", Double(memory.modelBytes) / 1e6),
                  String(format: "%.0f B/flow", memory.bytesPerFlow))
        table.add("peak RSS with 1M half-open flows", String(format: "%.0f MB", Double(memory.peakResidentBytes) / 1e6), "")
        table.add("kernel map memory (fixed)", String(format: "%.1f MB", Double(mapMemory) / 1e6), "")
        table.lines().forEach(Terminal.output)
        Terminal.flush()
    }

    /// Where SynShadow's own time goes, per traced connection and per event.
    /// `result`: the ratios' run; `profiled`: the same with BPF statistics on.
    private func addBreakdown(
        _ result: InterleavedOverhead.Result, profiled: InterleavedOverhead.Result, tier: Tier, to table: inout BenchTable
    ) {
        let connections = Double(max(profiled.tracedConnections, 1))
        let attachedConnections = Double(max(result.connectionsWhileAttached, 1))
        let eventsPerConnection = Double(result.events) / attachedConnections
        table.add("where the time goes, per traced connection", "", String(format: "%.1f events/connection", eventsPerConnection))
        let bpfPerConnection = Double(profiled.tracedBPFNanoseconds) / connections
        table.add(
            "  BPF programs (kernel's statistics)", String(format: "%.0f ns", bpfPerConnection),
            String(format: "%.3f traced/untraced with statistics on", MedianInterval(profiled.ratios).median))
        for program in profiled.tracedPrograms.sorted(by: { $0.runTimeNanoseconds > $1.runTimeNanoseconds })
        where program.runCount > 0 {
            table.add(
                "    \(program.name)", String(format: "%.0f ns", Double(program.runTimeNanoseconds) / connections),
                String(format: "%.0f ns/run x %.2f runs", program.nanosecondsPerRun, Double(program.runCount) / connections))
        }
        let idlePerConnection = Double(profiled.idleBPFNanoseconds) / Double(max(profiled.idleConnections, 1))
        table.add("  the same programs idle (return at once)", String(format: "%.0f ns", idlePerConnection), "the dispatch's share of BPF time")
        let drainPerConnection = Double(result.drainThreadNanoseconds) / attachedConnections
        table.add(
            "  drain thread (ring, decode, model)", String(format: "%.0f ns", drainPerConnection),
            String(format: "%.0f ns/event", Double(result.drainThreadNanoseconds) / Double(max(result.events, 1))))
        table.add(
            "  ring wake-ups", String(format: "%.1f/s", Double(result.wakeups) / max(result.tracedSeconds, 1e-9)),
            String(format: "%.0f events each", Double(result.events) / Double(max(result.wakeups, 1))))
        let pipeline = PipelineThroughput.measure(records: profiled.rawRecords, tier: tier)
        table.add(
            "  decode + model alone, one core (goal >= 5M events/s)", String(format: "%.2fM events/s", pipeline.eventsPerSecond / 1e6),
            "\(pipeline.events) real events, " + (pipeline.eventsPerSecond >= 5e6 ? "met" : "NOT met"))
        let formatting = FormattingCost.measure(records: profiled.rawRecords)
        table.add(
            "  formatting each event, text / JSON", String(format: "%.0f / %.0f ns", formatting.text, formatting.json),
            String(format: "%.0f / %.0f ns per connection", formatting.text * eventsPerConnection, formatting.json * eventsPerConnection))
        // What those costs predict, against what the windows measured.
        let rate = median(result.tracedRates)
        let processors = Double(ProcessInfo.processInfo.activeProcessorCount)
        let predicted = (bpfPerConnection - idlePerConnection + drainPerConnection) * rate / (processors * 1e9)
        table.add(
            "  own work's share of the machine at that rate", String(format: "%.1f%%", predicted * 100),
            String(format: "measured gap 1 - traced/idle: %.1f%%", (1 - MedianInterval(result.ownWorkRatios).median) * 100))
    }

    private func addScope(_ scope: CgroupScopeCost.Result, to table: inout BenchTable) {
        let chosen = MedianInterval(scope.chosen.ratios)
        let other = MedianInterval(scope.other.ratios)
        table.add("--cgroup: hooks attached at", scope.attachedAt, "")
        table.add(
            "  load in the traced cgroup", String(format: "%.0f conn/s", median(scope.chosen.tracedRates)),
            chosen.text + " traced/untraced, \(scope.chosen.events) events")
        table.add(
            "  load in another cgroup (goal >= 0.99)", String(format: "%.0f conn/s", median(scope.other.tracedRates)),
            other.text + ", \(scope.other.events) events, " + Goal.atLeast(0.99, other))
    }

    private func addOutputs(_ outputs: [OutputModesCost.Figures], to table: inout BenchTable) {
        table.add("output modes, a process each, output to a file", "", "rate ratio; CPU per 1,000 connections")
        for figures in outputs {
            let ratio = MedianInterval(figures.ratios)
            let goal = figures.mode == .traceJSON || figures.mode == .record
                ? " (goal >= 0.90: " + Goal.atLeast(0.90, ratio) + ")" : ""
            table.add("  \(figures.mode.name)", ratio.text + goal, "\(figures.ratios.count) windows")
            table.add(
                "    CPU: threads + BPF programs",
                String(format: "%.1f + %.1f ms", figures.perThousandConnections(figures.cpuNanoseconds),
                       figures.perThousandConnections(figures.bpfNanoseconds)),
                "per 1,000 connections")
            let size = figures.mode == .record
                ? String(format: "%.0f B/connection on disk (goal <= 200: %@)", figures.bytesPerConnection,
                         figures.bytesPerConnection <= 200 ? "met" : "NOT met")
                : String(format: "%.0f B/connection of output", figures.bytesPerConnection)
            table.add("    events / lost / lines shed", "\(figures.events) / \(figures.lost) / \(figures.shedLines)", size)
            for failure in figures.failures { table.add("    FAILED", failure, "") }
        }
    }

    /// Traced windows, and as many idle ones: one per window of the rounds' time.
    private var pairs: Int { max(3, Int((seconds * Double(rounds)) / window)) }

    private func median(_ values: [Double]) -> Double { MedianInterval(values).median }

    /// One timed untraced load (bpftrace, when running, traces it).
    private func measureLoad() throws -> Double {
        try ConnectionLoad().run(clientThreads: clients, seconds: seconds).rate
    }
}

/// A figure against its goal: met only when the whole confidence interval
/// says so, not merely the median.
enum Goal {
    static func atLeast(_ goal: Double, _ interval: MedianInterval) -> String {
        if interval.lower >= goal { return "met" }
        if interval.median >= goal { return "median met, interval reaches below" }
        return "NOT met"
    }
}

/// Raw records collected by the drain thread, read after it finished.
final class RawRecords: @unchecked Sendable {
    var bytes: [UInt8] = []
    /// Bytes kept at most (0: none).
    let limit: Int

    init(limit: Int) { self.limit = limit }
}

/// Passes everything to the model and keeps the raw records (up to the limit).
final class RecordKeeper: EventConsumer {
    let driver: ModelDriver
    let records: RawRecords

    init(driver: ModelDriver, into records: RawRecords) {
        self.driver = driver
        self.records = records
    }

    func consume(_ events: [KernelEvent], rawRecords: [UInt8]) {
        if records.bytes.count < records.limit { records.bytes += rawRecords }
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
                + (value.count >= 15 ? value + " " : value.padding(toLength: 15, withPad: " ", startingAt: 0)) + ratio
        }
    }
}
