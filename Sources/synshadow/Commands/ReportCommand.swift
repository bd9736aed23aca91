#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import SynShadowCore
import SynShadowReport
import SynShadowTracer

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Turn a recorded trace into one self-contained HTML page: a picture of the incident.",
        discussion: """
            Replays the trace once, as `synshadow replay` does (no root, no BPF), and draws what the \
            model saw: per listener, the accept queue and the request queue over time (the model's \
            count and the kernel's figure, against the level at which the queue is full), SYN, \
            handshake and accept rates, drops, and every finding on the timeline (colour by severity, \
            its explanation on hover), then the handshake-duration and accept-wait distributions. \
            Listeners in trouble come first (error findings, then warnings, then drops). A header gives \
            the trace's host, kernel, tier, duration, events and lost events, and a table each \
            listener's totals (SYNs, handshakes, accepts, drops, findings by id): the same figures \
            replay, top and the metrics give, embedded as JSON too \
            (<script type="application/json" id="synshadow-figures">).

            The page needs no network: inline SVG, inline style, one small inline script. Its size \
            does not grow with the number of events: series are drawn in at most 1500 time buckets, \
            each keeping its lowest and highest level (no peak is lost). It holds what the trace \
            holds (client addresses, process names, the host name), so it is created readable by its \
            owner alone (mode 0600).

            FILE may be - for standard input. The page goes to -o FILE (- for standard output); by \
            default to FILE's name with .html for its extension, in the current directory \
            (synshadow-report.html for standard input). An existing page there is replaced once the \
            new one is complete; a trace that cannot be read leaves nothing behind.

            EXAMPLES:
              synshadow report incident.sst                  # writes incident.html
              synshadow report incident.sst -o /tmp/page.html
              ssh server cat incident.sst | synshadow report - -o incident.html
              synshadow report incident.sst -o - | gzip > incident.html.gz
            """
    )

    @Argument(help: "A file written by `synshadow record`, or - for standard input.")
    var file: String

    @Option(
        name: .shortAndLong,
        help: ArgumentHelp("The page to write, or - for standard output (default: FILE's name with .html).", valueName: "file"))
    var output: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Report children that waited longer than this for accept().", valueName: "ms"))
    var acceptThresholdMs: Int = 100

    func validate() throws { try OptionRange.acceptThreshold.check(acceptThresholdMs) }

    /// Where the page goes: -o, or FILE's base name with .html in the current directory.
    var destination: String {
        if let output { return output }
        guard file != "-" else { return "synshadow-report.html" }
        var base = file.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? file
        if let dot = base.lastIndex(of: "."), dot != base.startIndex { base = String(base[..<dot]) }
        return base + ".html"
    }

    func run() throws {
        let name = TraceFileInput.name(of: file)
        let destination = self.destination
        // Before the replay (which may take a while): an output that cannot be written fails first.
        let page = try CommandFailure.reported { try PageOutput(path: destination, input: file) }
        let reader = try CommandFailure.reported(context: name) { try TraceFileInput.open(file, command: "report") }
        let header = reader.header
        Terminal.note(
            "\(name): recorded on \(header.hostName.terminalSafe), kernel \(header.kernelRelease.terminalSafe), "
                + "tier \(header.tier.name)")
        let started = monotonicNanoseconds()
        var replayed: UInt64 = 0
        let report: IncidentReport
        do {
            report = try IncidentReport.generate(
                reader, adjust: { $0.acceptLatencyThreshold = UInt64(acceptThresholdMs) * 1_000_000 },
                onEvent: { _ in replayed += 1 })
        } catch {
            page.discard()
            var cut = ""
            if case .truncated = error { cut = " (file ends without its end marker: cut after \(replayed) events)" }
            throw ExitCode(Terminal.fail(SessionError("\(name): \(error)\(cut)"), verbose: false))
        }
        let bytes = Array(report.html.utf8)
        try CommandFailure.reported { try page.write(bytes) }
        let seconds = Double(monotonicNanoseconds() - started) / 1e9
        let figures = report.figures
        Terminal.note(
            "wrote \(page.shownName) (\(Self.size(bytes.count))) in \(Self.fixed(seconds)) s: \(figures.events) events, "
                + "\(figures.listeners.count) listener(s), \(report.replay.statistics.findings.values.reduce(0, +)) findings, "
                + "\(figures.lostEvents) lost"
                + (report.replay.isComplete ? "" : "; file ends without its end marker: cut after \(figures.events) events"))
    }

    static func size(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? fixed(Double(bytes) / 1_048_576) + " MB" : "\(max(bytes / 1024, 1)) KB"
    }

    static func fixed(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
    }
}

/// The page's destination: standard output, or a file created beside the
/// path with a hidden name (mode 0600) and renamed over it once complete,
/// so a failed run leaves no half page and an old page stays until replaced.
final class PageOutput {
    let path: String
    private var descriptor: Int32 = -1
    private var pending: String?

    var shownName: String { path == "-" ? "standard output" : path.terminalSafe }

    init(path: String, input: String) throws {
        self.path = path
        guard path != "-" else {
            descriptor = STDOUT_FILENO
            return
        }
        var info = stat()
        if lstat(path, &info) == 0 {
            if info.st_mode & S_IFMT == S_IFDIR {
                throw SessionError("\(path.terminalSafe) is a directory", fix: "name the page: -o DIR/incident.html")
            }
            var source = stat()
            if input != "-", stat(input, &source) == 0, stat(path, &info) == 0, source.st_dev == info.st_dev,
                source.st_ino == info.st_ino
            {
                throw SessionError("\(path.terminalSafe) is the trace itself", fix: "name another page with -o FILE")
            }
        }
        var template = Array(Self.hiddenSibling(of: path).utf8CString)
        descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else {
            throw SessionError(
                "cannot write \(path.terminalSafe): \(String(cString: strerror(errno)))",
                fix: "choose a writable place with -o FILE (or -o - for standard output)")
        }
        pending = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        _ = fchmod(descriptor, 0o600)
    }

    deinit { discard() }

    /// Writes the whole page, then puts it in place.
    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw failure("cannot write \(shownName)") }
            offset += written
        }
        guard let pending else { return }
        guard close(descriptor) == 0 else {
            descriptor = -1
            throw failure("cannot write \(shownName)")
        }
        descriptor = -1
        guard rename(pending, path) == 0 else { throw failure("cannot put the page at \(shownName)") }
        self.pending = nil
    }

    /// Removes an unfinished page.
    func discard() {
        if let pending {
            unlink(pending)
            self.pending = nil
        }
        if descriptor > STDERR_FILENO { close(descriptor) }
        descriptor = -1
    }

    private func failure(_ what: String) -> SessionError {
        let reason = String(cString: strerror(errno))
        discard()
        return SessionError("\(what): \(reason)", fix: "choose another place with -o FILE")
    }

    private static func hiddenSibling(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." + path + ".synshadow-XXXXXX" }
        return String(path[...slash]) + "." + String(path[path.index(after: slash)...]) + ".synshadow-XXXXXX"
    }
}
