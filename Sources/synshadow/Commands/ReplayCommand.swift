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
            file is reported in one line with the byte offset, and a non-zero exit. A file that ends \
            without its end marker (its recorder was killed, or the machine stopped) is replayed up \
            to there and said to be cut. FILE may be - for standard input; a FIFO has \
            \(TraceFileInput.writerTimeout) s to start delivering.

            EXAMPLES:
              synshadow replay incident.synshadow
              ssh server cat incident.synshadow | synshadow replay -
              synshadow replay incident.synshadow --events --json | jq 'select(.type == "finding")'
            """
    )

    @Argument(help: "A file written by `synshadow record`, or - for standard input.")
    var file: String

    @Flag(help: "One JSON object per line.")
    var json = false

    @Flag(help: "Also print every event.")
    var events = false

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Report children that waited longer than this for accept().", valueName: "ms"))
    var acceptThresholdMs: Int = 100

    func validate() throws { try OptionRange.acceptThreshold.check(acceptThresholdMs) }

    func run() throws {
        let name = TraceFileInput.name(of: file)
        let reader = try CommandFailure.reported(context: name) { try TraceFileInput.open(file, command: "replay") }
        let header = reader.header
        Terminal.note(
            "\(name): recorded on \(header.hostName.terminalSafe), kernel \(header.kernelRelease.terminalSafe), "
                + "tier \(header.tier.name)")
        let origin = header.clockOrigin.monotonicNanoseconds
        let eventFormatter = EventFormatter(origin: origin, dropReasons: header.dropReasons)
        let findingFormatter = FindingFormatter(origin: origin)
        let (json, showEvents) = (self.json, self.events)
        var replayed: UInt64 = 0
        let result: ReplayResult
        do {
            result = try Replay.run(
                reader,
                adjust: { $0.acceptLatencyThreshold = UInt64(acceptThresholdMs) * 1_000_000 },
                onEvent: { event in
                    replayed += 1
                    guard showEvents else { return }
                    Terminal.output { line in
                        if json { eventFormatter.appendJSONLine(event, to: &line) } else { eventFormatter.appendHumanLine(event, to: &line) }
                    }
                },
                onFindings: { findings in
                    for finding in findings {
                        Terminal.output(json ? findingFormatter.jsonLine(finding) : findingFormatter.humanLine(finding))
                    }
                })
        } catch {
            Terminal.flush()
            var cut = ""
            if case .truncated = error {
                cut = " (file ends without its end marker: cut after \(replayed) events)"
            }
            throw ExitCode(Terminal.fail(SessionError("\(name): \(error)\(cut)"), verbose: false))
        }
        Terminal.flush()
        Terminal.note(
            "\(result.events) events replayed, \(result.findings.count) findings"
                + (result.isComplete
                    ? ""
                    : "; file ends without its end marker: cut after \(result.events) events "
                        + "(its recorder was killed or the machine stopped)"))
    }
}
