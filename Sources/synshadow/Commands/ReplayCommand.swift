import ArgumentParser
import SynShadowCore
import SynShadowTracer

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Run the shadow model over a recorded trace file and print its findings.",
        discussion: """
            Needs no root and no BPF: the model is pure Swift, so a trace recorded on a production \
            server can be examined anywhere. A truncated, corrupted, empty, foreign or future-version \
            file is reported in one line with the byte offset, and a non-zero exit.

            EXAMPLES:
              synshadow replay incident.synshadow
              synshadow replay incident.synshadow --events --json | jq 'select(.type == "finding")'
            """
    )

    @Argument(help: "A file written by `synshadow record`.")
    var file: String

    @Flag(help: "One JSON object per line.")
    var json = false

    @Flag(help: "Also print every event.")
    var events = false

    @Option(help: ArgumentHelp("Report children that waited longer than this for accept().", valueName: "ms"))
    var acceptThresholdMs: UInt64 = 100

    func run() throws {
        let reader: TraceFileReader
        do {
            reader = try TraceFileReader(path: file)
        } catch {
            throw ExitCode(Terminal.fail(SessionError("\(file): \(error)"), verbose: false))
        }
        let header = reader.header
        Terminal.note(
            "\(file): recorded on \(header.hostName), kernel \(header.kernelRelease), tier \(header.tier.name)")
        let origin = header.clockOrigin.monotonicNanoseconds
        let eventFormatter = EventFormatter(origin: origin, dropReasons: header.dropReasons)
        let findingFormatter = FindingFormatter(origin: origin)
        let (json, showEvents) = (self.json, self.events)
        let result: ReplayResult
        do {
            result = try Replay.run(
                reader,
                adjust: { $0.acceptLatencyThreshold = acceptThresholdMs * 1_000_000 },
                onEvent: showEvents
                    ? { event in Terminal.output(json ? eventFormatter.jsonLine(event) : eventFormatter.humanLine(event)) }
                    : nil,
                onFindings: { findings in
                    for finding in findings {
                        Terminal.output(json ? findingFormatter.jsonLine(finding) : findingFormatter.humanLine(finding))
                    }
                })
        } catch {
            throw ExitCode(Terminal.fail(SessionError("\(file): \(error)"), verbose: false))
        }
        Terminal.flush()
        Terminal.note(
            "\(result.events) events replayed, \(result.findings.count) findings"
                + (result.isComplete ? "" : " (the recording has no end marker: it was cut short)"))
    }
}
