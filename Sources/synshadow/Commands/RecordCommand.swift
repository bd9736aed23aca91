import ArgumentParser
import SynShadowCore
import SynShadowTracer

struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Trace live and write the raw event stream to a file that `replay` can rerun.",
        discussion: """
            The file holds a header (format version, event ABI version, kernel release, tier, host, \
            clock origin, the kernel's drop-reason names and TCP sysctls) and every record exactly as \
            the kernel wrote it, plus the loss reports and clock ticks the model saw, so that \
            `synshadow replay FILE` reaches the same findings the live run printed. Findings are \
            printed while recording; events are not, unless --events.

            EXAMPLES:
              sudo synshadow record -o incident.synshadow --port 443 --duration 300
              synshadow replay incident.synshadow
            """
    )

    @Option(name: .shortAndLong, help: ArgumentHelp("The trace file to write.", valueName: "file"))
    var output: String

    @Flag(help: "Also print every event.")
    var events = false

    @OptionGroup var tracing: TracingOptions
    @OptionGroup var outputOptions: OutputOptions
    @OptionGroup(title: "Metrics") var metrics: MetricsOptions

    func validate() throws { try outputOptions.check() }

    func run() throws {
        do {
            var run = outputOptions.liveRun(tracing: tracing, recordPath: output, quiet: !events)
            run.metrics = metrics
            try run.run()
        } catch let error as TraceFileError {
            throw ExitCode(Terminal.fail(SessionError("cannot write \(output): \(error)"), verbose: false))
        }
    }
}
