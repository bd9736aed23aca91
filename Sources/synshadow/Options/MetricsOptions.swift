import ArgumentParser
import SynShadowCore
import SynShadowTracer
import SynShadowMetrics

/// Where the live figures go besides the terminal: a Prometheus endpoint
/// and/or an OpenTelemetry collector. Shared by every live command.
struct MetricsOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Serve Prometheus metrics at http://ADDR:PORT/metrics, e.g. \(MetricsEndpoint.suggested) or [::1]:9464.",
            valueName: "addr:port"))
    var metricsListen: String?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Listeners with series of their own (the most active); the rest are summed under listener=\"other\".",
            valueName: "n"))
    var metricsMaxListeners: Int = ListenerFolding.defaultLimit

    @Option(
        help: ArgumentHelp(
            "Send metrics and findings (as logs) over OTLP/HTTP to this collector, e.g. http://127.0.0.1:4318.",
            valueName: "url"))
    var otlpEndpoint: String?

    func validate() throws {
        try OptionRange("--metrics-max-listeners", 0...65_536).check(metricsMaxListeners)
    }

    /// nil when neither output was asked for. A bad address, a port in use
    /// or a bad URL is one line on stderr and exit status 1.
    func makeExporter() throws -> MetricsExporter? {
        guard metricsListen != nil || otlpEndpoint != nil else { return nil }
        return try CommandFailure.reported {
            do {
                let listen = try metricsListen.map { text throws(MetricsEndpoint.ParseError) in try MetricsEndpoint(parsing: text) }
                return try MetricsExporter(
                    configuration: .init(listen: listen, otlpEndpoint: otlpEndpoint, maxListeners: metricsMaxListeners))
            } catch let error as MetricsExportError {
                throw SessionError(error.cause, fix: error.fix)
            }
        }
    }
}
