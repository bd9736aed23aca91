import CoreMetrics
import Foundation
import Logging
import OTel
import ServiceLifecycle
import SynShadowCore
import Synchronization

/// OTLP/HTTP (protobuf) export through swift-otel: the metrics (a periodic
/// reader over `OTelMirror`'s handles) and every finding as a log record.
/// The backends are made once per process and used through explicit
/// factories, not the global LoggingSystem/MetricsSystem, so nothing else in
/// the process starts exporting by accident. Service name "synshadow".
final class OTelExport: Sendable {
    let mirror: OTelMirror
    private let logger: Logger
    private let group: ServiceGroup
    private let running: Mutex<Task<Void, Never>?>
    private static let made = Atomic<Bool>(false)

    /// `endpoint` is the collector's base URL (`http://127.0.0.1:4318`);
    /// metrics go to `/v1/metrics`, logs to `/v1/logs` under it.
    init(endpoint: String, exportInterval: Duration) throws(MetricsExportError) {
        guard let url = URL(string: endpoint), let scheme = url.scheme, ["http", "https"].contains(scheme),
            url.host != nil
        else {
            throw MetricsExportError(
                "--otlp-endpoint '\(endpoint)' is not an http(s) URL",
                fix: "write the collector's OTLP/HTTP base URL, e.g. http://127.0.0.1:4318")
        }
        guard !Self.made.exchange(true, ordering: .relaxed) else {
            throw MetricsExportError("OTLP export started twice in one process", fix: "start it once")
        }
        let base = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        var configuration = OTel.Configuration.default
        configuration.serviceName = "synshadow"
        configuration.diagnosticLogger = .custom(Logger(label: "synshadow.otel", factory: { StreamLogHandler.standardError(label: $0) }))
        configuration.diagnosticLogLevel = .error
        configuration.traces.enabled = false
        configuration.metrics.exportInterval = exportInterval
        configuration.metrics.otlpExporter.protocol = .httpProtobuf
        configuration.metrics.otlpExporter.endpoint = base + "/v1/metrics"
        let buckets = LatencyHistogram.upperBounds.map { Duration.nanoseconds(Int64($0)) }
        for name in MetricsCatalogue.histograms { configuration.metrics.durationHistogramBuckets[name] = buckets }
        configuration.logs.otlpExporter.protocol = .httpProtobuf
        configuration.logs.otlpExporter.endpoint = base + "/v1/logs"
        configuration.logs.level = .info
        do {
            let metrics = try OTel.makeMetricsBackend(configuration: configuration)
            let logs = try OTel.makeLoggingBackend(configuration: configuration)
            mirror = OTelMirror(factory: metrics.factory)
            logger = Logger(label: "synshadow", factory: logs.factory)
            group = ServiceGroup(
                services: [metrics.service, logs.service],
                logger: Logger(label: "synshadow.otel", factory: { _ in SwiftLogNoOpLogHandler() }))
        } catch {
            throw MetricsExportError("cannot start OTLP export to \(endpoint): \(error)", fix: "check --otlp-endpoint")
        }
        let group = self.group
        running = Mutex(Task { try? await group.run() })
    }

    /// Queues the findings as log records; the batch processor sends them.
    func log(_ findings: [Finding]) {
        for finding in findings {
            let record = FindingLogRecord(finding)
            logger.log(level: record.level, "\(record.message)", metadata: record.metadata)
        }
    }

    /// Shuts the exporters down gracefully: the metric reader exports once
    /// more and the log processor sends what it holds, within `seconds`.
    func shutdown(seconds: Double) {
        guard let task = running.withLock({ $0.take() }) else { return }
        let group = self.group
        BlockingWait.run(seconds: seconds) {
            await group.triggerGracefulShutdown()
            await task.value
        }
    }
}
