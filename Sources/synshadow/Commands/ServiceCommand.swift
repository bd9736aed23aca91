import ArgumentParser
import Foundation
import SynShadowTracer

struct ServiceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service",
        abstract: "Run as a service: trace continuously from a configuration file, findings to the journal.",
        discussion: """
            What the synshadow.service unit runs. The configuration file holds options of \
            `synshadow trace`, one per line without the leading dashes (`port = 443`, \
            `metrics-listen = 127.0.0.1:9464`, `counters = 10`); blank lines and lines starting \
            with # are ignored, and a line that is not a valid option is refused with its number.

            Under systemd each finding is one journal entry, with its fields as journal fields: \
            SYNSHADOW_ID, SYNSHADOW_SEVERITY, SYNSHADOW_CATEGORY, SYNSHADOW_STEP, SYNSHADOW_LISTENER, \
            SYNSHADOW_NETNS, SYNSHADOW_COMM, SYNSHADOW_PID, SYNSHADOW_CGROUP, SYNSHADOW_FLOW, \
            SYNSHADOW_COUNTERS, SYNSHADOW_EXPLANATION, and PRIORITY 3 (error), 4 (warning) or 6 \
            (info). Elsewhere findings are printed one per line.

            SIGHUP (`systemctl reload synshadow`) reads the file again. When only metrics-listen, \
            otlp-endpoint, metrics-max-listeners or accept-threshold-ms changed, the running \
            session and its model are kept and the change applies at once; any other change (a \
            filter, the tier, the counters) starts a new session, which takes over the listeners, \
            requests and queued children that exist from the kernel's tables. A file that does not \
            parse is reported and the running configuration stays. SIGINT and SIGTERM detach every \
            probe and exit 0.

            EXAMPLES:
              sudo synshadow service
              sudo synshadow service --config ./synshadow.conf --check
              sudo systemctl reload synshadow
              journalctl -u synshadow SYNSHADOW_ID=syn-dropped-accept-queue-full
            """
    )

    @Option(help: ArgumentHelp("The configuration file.", valueName: "path"))
    var config = "/etc/synshadow/synshadow.conf"

    @Flag(help: "Check the configuration file and exit: 0 when it is usable, 1 (with the line) when not.")
    var check = false

    func run() throws {
        var current = try Self.usable { try Self.load(config) }
        let trace = try Self.usable { try Self.traceCommand(current) }
        if check {
            print("synshadow: \(config): \(current.lines.count) option(s), usable: synshadow trace \(current.traceArguments.joined(separator: " "))")
            return
        }
        var command = trace
        while true {
            var next: (ServiceConfiguration, TraceCommand)?
            var run = command.output.liveRun(tracing: command.tracing, recordFile: nil)
            run.metrics = command.metrics
            run.countersInterval = command.counters.interval
            run.findingsToJournal = JournalWriter.isStandardOutputJournal
            let running = current
            run.onHangUp = { controls in
                do {
                    let newer = try Self.load(config)
                    let newerCommand = try Self.traceCommand(newer)
                    guard running.keepsSession(under: newer) else {
                        Terminal.note("reload: \(config) changed what is traced; a new session starts")
                        next = (newer, newerCommand)
                        return .restart
                    }
                    controls.setAcceptThreshold(milliseconds: newerCommand.output.acceptThresholdMs)
                    if running.lines.filter({ $0.name.hasPrefix("metrics") || $0.name == "otlp-endpoint" })
                        != newer.lines.filter({ $0.name.hasPrefix("metrics") || $0.name == "otlp-endpoint" })
                    {
                        do {
                            try controls.replaceMetrics(with: newerCommand.metrics)
                        } catch {
                            Terminal.note("reload: the new metrics settings failed; the previous ones are restored")
                            try? controls.replaceMetrics(with: command.metrics)
                            return .keep
                        }
                    }
                    Terminal.note("reload: \(config) applied; the session and its model are kept")
                    current = newer
                    command = newerCommand
                    return .keep
                } catch {
                    Terminal.note("reload: \(error); the running configuration stays")
                    return .keep
                }
            }
            guard try run.run() == .restartRequested, let (configuration, traceCommand) = next else { return }
            current = configuration
            command = traceCommand
        }
    }

    /// The configuration file, read and parsed.
    static func load(_ path: String) throws(ServiceConfigurationError) -> ServiceConfiguration {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ServiceConfigurationError(path: path, "cannot read it: \(String(cString: strerror(errno)))")
        }
        let file = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var status = stat()
        if fstat(descriptor, &status) == 0, status.st_mode & S_IFMT != S_IFREG {
            throw ServiceConfigurationError(path: path, "not a regular file")
        }
        guard let data = try? file.readToEnd() ?? Data(), let text = String(data: data, encoding: .utf8) else {
            throw ServiceConfigurationError(path: path, "cannot read it as UTF-8 text")
        }
        return try ServiceConfiguration(parsing: text, path: path)
    }

    /// `trace` as the file configures it; an option it refuses is reported
    /// with the line it came from.
    static func traceCommand(_ configuration: ServiceConfiguration) throws(ServiceConfigurationError) -> TraceCommand {
        do {
            return try TraceCommand.parse(configuration.traceArguments)
        } catch {
            let message = TraceCommand.message(for: error)
            // The first line whose option makes the arguments fail.
            let culprit = configuration.lines.indices.first { count in
                (try? TraceCommand.parse(
                    ["--findings-only"] + configuration.lines.prefix(through: count).flatMap(\.arguments))) == nil
            }
            throw ServiceConfigurationError(
                path: configuration.path, line: culprit.map { configuration.lines[$0].number }, message)
        }
    }

    /// A configuration error as one line on stderr and exit status 1.
    private static func usable<Value>(_ body: () throws -> Value) throws -> Value {
        do {
            return try body()
        } catch {
            Terminal.note("\(error)")
            throw ExitCode.failure
        }
    }
}
