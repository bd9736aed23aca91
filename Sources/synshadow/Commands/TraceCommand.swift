import ArgumentParser
import SynShadowCore
import SynShadowTracer

struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Trace the passive open live, and report every finding of the shadow model.",
        discussion: """
            Starts with a self-check (a loopback handshake of its own that must fire every hook of \
            the chosen tier), snapshots the listeners, requests and queued children that already \
            exist, then prints each step as the kernel takes it and each finding as the model makes \
            it: SYNs dropped on a full queue, syncookies, ACKs dropped, handshakes expired, children \
            reset while queued, slow accept(), and any disagreement between kernel and model. \
            Ctrl-C (SIGINT) or SIGTERM detaches every probe and prints a summary on stderr. \
            --counters adds a periodic cross-check of the model's counts with the namespace's own \
            nstat counters (a counters line, and a counter-mismatch finding when they disagree).

            EXAMPLES:
              sudo synshadow trace --port 443
              sudo synshadow trace --findings-only --accept-threshold-ms 50
              sudo synshadow trace --json --duration 60 > handshakes.jsonl
              sudo synshadow trace --netns /var/run/netns/blue
              sudo synshadow trace --findings-only --comm nginx
              sudo synshadow trace --cgroup /system.slice/nginx.service --local-address 10.0.0.5
              sudo synshadow trace --metrics-listen 127.0.0.1:9464 --findings-only
              sudo synshadow trace --otlp-endpoint http://127.0.0.1:4318
              sudo synshadow trace --netns /var/run/netns/blue --counters
              sudo synshadow trace --findings-only --json --counters 10
            """
    )

    @OptionGroup var tracing: TracingOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup(title: "Metrics") var metrics: MetricsOptions
    @OptionGroup var counters: CounterOptions

    func validate() throws {
        try output.check()
        try counters.check()
    }

    func run() throws {
        var run = output.liveRun(tracing: tracing, recordFile: nil)
        run.metrics = metrics
        run.countersInterval = counters.interval
        run.countersFault = counters.fault
        try run.run()
    }
}

/// Output and timing flags shared by `trace` and `record`.
struct OutputOptions: ParsableArguments {
    @Flag(
        help: "One JSON object per line (\"type\": \"event\", \"finding\", \"loss\" or \"counters\") instead of aligned text.")
    var json = false

    @Flag(help: "Print findings only, not every event.")
    var findingsOnly = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Stop after this many seconds.", valueName: "seconds"))
    var duration: Double?

    @Option(parsing: .unconditional, help: ArgumentHelp("Ring buffer size in MiB (a power of two).", valueName: "MiB"))
    var ringMb = Int(LiveTracer.Configuration.defaultRingBytes >> 20)

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Report children that wait longer than this for accept().", valueName: "ms"))
    var acceptThresholdMs: Int = 100

    func check() throws {
        try OptionRange.duration.check(duration)
        try OptionRange("--ring-mb", 1...1024, unit: "MiB, a power of two").check(ringMb)
        if ringMb & (ringMb - 1) != 0 {
            throw ValidationError("--ring-mb \(ringMb): not a power of two; accepted: 1, 2, 4 ... 1024 MiB")
        }
        try OptionRange.acceptThreshold.check(acceptThresholdMs)
    }

    func liveRun(tracing: TracingOptions, recordFile: TraceOutputFile?, quiet: Bool = false) -> LiveRun {
        LiveRun(
            tracing: tracing, json: json, showEvents: !findingsOnly && !quiet, showFindings: true,
            duration: duration, ringMegabytes: UInt32(ringMb), acceptThresholdMilliseconds: UInt64(acceptThresholdMs),
            recordFile: recordFile)
    }
}
