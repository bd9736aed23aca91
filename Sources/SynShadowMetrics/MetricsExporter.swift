#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SynShadowCore
import Synchronization

/// What the tracing loop talks to: it offers a snapshot after a drain, at
/// most once per `publishNanoseconds`, and goes on. The offer only swaps a
/// value under a lock (`MetricsMirror`); turning snapshots into series
/// happens on a scrape or on the OTLP exporter's thread, and the network is
/// only ever touched from those threads.
public final class MetricsExporter: Sendable {
    public struct Configuration: Sendable {
        public var listen: MetricsEndpoint?
        public var otlpEndpoint: String?
        public var maxListeners: Int
        /// How often the tracing loop hands over a snapshot.
        public var publishNanoseconds: UInt64 = 1_000_000_000
        /// How often OTLP metrics are sent (OTEL_METRIC_EXPORT_INTERVAL, in ms, overrides).
        public var otlpExportInterval: Duration = .seconds(10)
        /// How long one OTLP POST may take, connection included.
        public var otlpTimeout: Duration = .seconds(5)
        public var serverLimits = MetricsServerLimits()
        /// Where warnings go: one line each, stderr by default.
        public var warn: @Sendable (String) -> Void = MetricsExporter.writeToStandardError

        public init(
            listen: MetricsEndpoint? = nil, otlpEndpoint: String? = nil, maxListeners: Int = ListenerFolding.defaultLimit
        ) {
            self.listen = listen
            self.otlpEndpoint = otlpEndpoint
            self.maxListeners = maxListeners
        }
    }

    public let configuration: Configuration
    private let mirror: MetricsMirror
    private let lastOffer = Atomic<UInt64>(0)
    private let server: MetricsHTTPServer?
    private let otlp: OTLPExporter?

    /// Binds the endpoint and starts the OTLP exporter; throws one line
    /// naming the cause (port in use, bad URL).
    public init(configuration: Configuration) throws(MetricsExportError) {
        self.configuration = configuration
        let endpoint = try configuration.otlpEndpoint.map { text throws(MetricsExportError) in try OTLPEndpoint(parsing: text) }
        let report = endpoint.map { ExportFailureReport(endpoint: $0.description, warn: configuration.warn) }
        let mirror = MetricsMirror(maxListeners: configuration.maxListeners) { report?.samples ?? [] }
        self.mirror = mirror
        server = try configuration.listen.map { listen throws(MetricsExportError) in
            try MetricsHTTPServer(endpoint: listen, limits: configuration.serverLimits, warn: configuration.warn) {
                PrometheusExposition.render(mirror.samples())
            }
        }
        otlp = endpoint.map { endpoint in
            OTLPExporter(
                endpoint: endpoint,
                settings: .init(
                    intervalNanoseconds: Self.exportInterval(configuration.otlpExportInterval),
                    timeoutNanoseconds: Self.nanoseconds(configuration.otlpTimeout)),
                mirror: mirror, report: report!)
        }
    }

    /// From the tracing loop after a drain: builds and hands over a snapshot
    /// when the last one is older than `publishNanoseconds` (`now` on any
    /// monotonic clock). Never waits on a scrape or the network.
    public func offer(now: UInt64, snapshot: () -> MetricsSnapshot) {
        let last = lastOffer.load(ordering: .relaxed)
        guard last == 0 || now &- last >= configuration.publishNanoseconds else { return }
        lastOffer.store(now, ordering: .relaxed)
        mirror.hand(snapshot())
    }

    /// Every finding, as an OTLP log record (nothing without --otlp-endpoint).
    public func log(_ findings: [Finding]) {
        otlp?.log(findings)
    }

    /// The last word at detach: publishes `final`, lets OTLP send it and the
    /// queued findings (within 5 s), and closes the endpoint.
    public func finish(final: MetricsSnapshot?) {
        if let final { mirror.hand(final) }
        otlp?.shutdown(seconds: 5)
        server?.stop()
    }

    /// `synshadow: <line>` on stderr, in one write.
    public static let writeToStandardError: @Sendable (String) -> Void = { line in
        let bytes = Array("synshadow: \(line)\n".utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            if written <= 0 && errno != EINTR { return }
            offset += max(written, 0)
        }
    }

    private static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(clamping: max(seconds, 0)) &* 1_000_000_000 &+ UInt64(clamping: max(attoseconds, 0) / 1_000_000_000)
    }

    /// OTEL_METRIC_EXPORT_INTERVAL (milliseconds, as the OpenTelemetry SDKs read it) wins over `configured`.
    private static func exportInterval(_ configured: Duration) -> UInt64 {
        if let text = ProcessInfo.processInfo.environment["OTEL_METRIC_EXPORT_INTERVAL"], let milliseconds = UInt64(text),
            milliseconds > 0
        {
            return min(milliseconds, 86_400_000) * 1_000_000
        }
        return max(nanoseconds(configured), 1_000_000)
    }
}
