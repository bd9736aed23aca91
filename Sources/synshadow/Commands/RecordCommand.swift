import ArgumentParser
import SynShadowCore
import SynShadowTracer

struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Trace live and write the event stream to a file that `replay` can rerun.",
        discussion: """
            The file holds a header (format version, event ABI version, kernel release, tier, host, \
            clock origin, the kernel's drop-reason names and TCP sysctls) and every record as the \
            kernel wrote it (stored compactly, about 10 bytes a record, and rebuilt byte for \
            byte), plus the loss reports and clock ticks the model saw, so that \
            `synshadow replay FILE` reaches the same findings the live run printed. Findings are \
            printed while recording; events are not, unless --events.

            The file holds personal and operational data: client IP addresses and ports, the \
            process ids and names owning the listeners, the host name and the kernel \
            release. It is created readable by its owner alone (mode 0600), never through a \
            symbolic link, and an existing file is kept unless --force (which replaces it, or the \
            link, by a new file once tracing has started). A file whose recorder was killed \
            (SIGKILL, power loss) lacks its end marker; replay says so.

            EXAMPLES:
              sudo synshadow record -o incident.synshadow --port 443 --duration 300
              synshadow replay incident.synshadow
            """
    )

    @Option(name: .shortAndLong, help: ArgumentHelp("The trace file to write.", valueName: "file"))
    var output: String

    @Flag(help: "Also print every event.")
    var events = false

    @Flag(help: "Replace the file (or the symbolic link) if it exists.")
    var force = false

    @OptionGroup var tracing: TracingOptions
    @OptionGroup var outputOptions: OutputOptions
    @OptionGroup(title: "Metrics") var metrics: MetricsOptions

    func validate() throws { try outputOptions.check() }

    func run() throws {
        // Before anything is attached: a path that cannot be written fails first.
        let file = try CommandFailure.reported {
            do {
                return try TraceOutputFile(creating: output, existing: force ? .replace : .keep)
            } catch TraceOutputFile.Failure.exists {
                throw SessionError("\(output) already exists; it is kept", fix: "pass --force to replace it")
            }
        }
        var run = outputOptions.liveRun(tracing: tracing, recordFile: file, quiet: !events)
        run.metrics = metrics
        try run.run()
    }
}
