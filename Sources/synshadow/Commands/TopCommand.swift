import ArgumentParser
import SynShadowCore
import SynShadowTracer

struct TopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "A live per-listener view: queues, rates, drops by cause, handshake and accept latency.",
        discussion: """
            Traces like `trace` (the same self-check and start-up snapshot) but, instead of printing \
            every step, redraws one screen every --interval seconds: per listener its owner, backlog, \
            accept and request queues as the model counts them and as the kernel last reported them \
            (model/kernel), SYNs and accepts per second, connections dropped with the commonest cause, \
            and handshake time (SYN to child) and accept wait (child to accept()) as p50/p99; below, \
            the latest findings. Listeners are sorted by activity and the view fits the terminal.

            On a terminal it uses the alternate screen and restores it on q, Ctrl-C or SIGTERM. When \
            standard output is not a terminal (a pipe, a file, ssh without -t) it prints one plain \
            block of lines per interval, no escape codes, COLUMNS wide (default 80).

            EXAMPLES:
              sudo synshadow top
              sudo synshadow top --port 443 --interval 2
              ssh -t server sudo synshadow top --netns /var/run/netns/blue
              sudo synshadow top --duration 10 > top.txt
            """
    )

    @OptionGroup var tracing: TracingOptions
    @OptionGroup(title: "Metrics") var metrics: MetricsOptions

    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds between redraws.", valueName: "seconds"))
    var interval: Double = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("Stop after this many seconds.", valueName: "seconds"))
    var duration: Double?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Report children that wait longer than this for accept().", valueName: "ms"))
    var acceptThresholdMs: Int = 100

    func validate() throws {
        try OptionRange("--interval", 0.1...3600, unit: "seconds").check(interval)
        try OptionRange.duration.check(duration)
        try OptionRange.acceptThreshold.check(acceptThresholdMs)
    }

    func run() throws {
        let terminal = TopTerminal()
        defer { terminal.leave() }
        var run = LiveRun(
            tracing: tracing, json: false, showEvents: false, showFindings: false, duration: duration,
            ringMegabytes: LiveTracer.Configuration.defaultRingBytes >> 20, acceptThresholdMilliseconds: UInt64(acceptThresholdMs),
            recordFile: nil)
        run.observer = TopView(intervalSeconds: interval, terminal: terminal)
        run.metrics = metrics
        try run.run()
        let shed = terminal.finishOutput()
        if shed > 0 { Terminal.note("output: standard output was too slow: \(shed) frames shed") }
    }
}
