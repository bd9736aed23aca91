import ArgumentParser
import SynShadowCore
import SynShadowLive

struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Trace the passive open live: every SYN, request, handshake ACK, child and accept.",
        discussion: """
            Starts with a self-check (a loopback handshake of its own that must fire every hook of \
            the chosen tier), snapshots the listeners, requests and queued children that already \
            exist, then prints each step as the kernel takes it. Ctrl-C (SIGINT) or SIGTERM detaches \
            every probe and prints a summary on stderr.

            EXAMPLES:
              sudo synshadow trace --port 443
              sudo synshadow trace --json --duration 60 > handshakes.jsonl
              sudo synshadow trace --netns /var/run/netns/blue
            """
    )

    @OptionGroup var tracing: TracingOptions

    @Flag(help: "One JSON object per line (stable field names) instead of aligned text.")
    var json = false

    @Option(help: ArgumentHelp("Stop after this many seconds.", valueName: "seconds"))
    var duration: Double?

    @Option(help: ArgumentHelp("Ring buffer size in MiB (a power of two).", valueName: "MiB"))
    var ringMb: UInt32 = 16

    func validate() throws {
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        if ringMb == 0 || ringMb & (ringMb - 1) != 0 || ringMb > 1024 {
            throw ValidationError("--ring-mb must be a power of two between 1 and 1024")
        }
    }

    func run() throws {
        SignalTrap.install()
        var configuration = tracing.tracerConfiguration()
        configuration.ringBytes = ringMb << 20
        let tracer: LiveTracer
        do {
            tracer = try LiveTracer(configuration: configuration)
        } catch {
            throw ExitCode(Terminal.fail(error, verbose: tracing.verbose))
        }
        defer { tracer.close() }
        Terminal.note(tracer.selection.summary)
        let consumer = PrintingConsumer(
            formatter: EventFormatter(origin: tracer.origin, dropReasons: tracer.session.dropReasonTable()),
            json: json)
        do {
            let report = try tracer.start(into: consumer)
            Terminal.note("self-check: \(report.outcomes.filter { $0.hits > 0 }.count) hooks fired in \(report.milliseconds) ms")
            for outcome in report.outcomes where outcome.note != nil {
                Terminal.note("  \(outcome.hook.name): \(outcome.note!)")
            }
        } catch let error as SessionError {
            throw ExitCode(Terminal.fail(error, verbose: tracing.verbose))
        }
        let deadline = duration.map { monotonicNanoseconds() + UInt64($0 * 1e9) }
        try tracer.run(into: consumer) {
            SignalTrap.stopSignal != nil || deadline.map { monotonicNanoseconds() >= $0 } ?? false
        }
        let counters = tracer.session.counters()
        tracer.close()
        Terminal.note(
            "detached: \(counters.events) events, \(counters.lost) lost, \(counters.filtered) filtered in the kernel")
    }
}
