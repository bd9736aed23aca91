import SynShadowCore
import Synchronization

/// What the tracing loop talks to: it offers a snapshot after a drain, at
/// most once per `publishNanoseconds`, and goes on. The offer only swaps a
/// value under a lock (`SnapshotHandoff`); turning snapshots into series
/// happens on a scrape or on the exporter's own task, and the network is
/// only ever touched from those tasks.
public final class MetricsExporter: Sendable {
    public struct Configuration: Sendable {
        public var listen: MetricsEndpoint?
        public var otlpEndpoint: String?
        public var maxListeners: Int
        /// How often the tracing loop hands over a snapshot.
        public var publishNanoseconds: UInt64 = 1_000_000_000
        /// How often OTLP metrics are sent (OTEL_METRIC_EXPORT_INTERVAL overrides).
        public var otlpExportInterval: Duration = .seconds(10)

        public init(
            listen: MetricsEndpoint? = nil, otlpEndpoint: String? = nil, maxListeners: Int = ListenerFolding.defaultLimit
        ) {
            self.listen = listen
            self.otlpEndpoint = otlpEndpoint
            self.maxListeners = maxListeners
        }
    }

    public let configuration: Configuration
    private let handoff: SnapshotHandoff
    private let lastOffer = Atomic<UInt64>(0)
    private let server: MetricsHTTPServer?
    private let otel: OTelExport?
    private let ticker: Task<Void, Never>?

    /// Binds the endpoint and starts the OTLP exporters; throws one line
    /// naming the cause (port in use, bad URL).
    public init(configuration: Configuration) throws(MetricsExportError) {
        self.configuration = configuration
        let prometheus = configuration.listen == nil ? nil : PrometheusMirror()
        let otel = try configuration.otlpEndpoint.map { endpoint throws(MetricsExportError) in
            try OTelExport(endpoint: endpoint, exportInterval: configuration.otlpExportInterval)
        }
        self.otel = otel
        let handoff = SnapshotHandoff(maxListeners: configuration.maxListeners, prometheus: prometheus, otel: otel?.mirror)
        self.handoff = handoff
        if let listen = configuration.listen, let prometheus {
            do {
                server = try MetricsHTTPServer(endpoint: listen) {
                    handoff.applyPending()
                    return prometheus.render()
                }
            } catch {
                otel?.shutdown(seconds: 1)
                throw error
            }
        } else {
            server = nil
        }
        // OTLP reads its handles on its own schedule: keep them current.
        let interval = configuration.publishNanoseconds
        ticker =
            otel == nil
            ? nil
            : Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .nanoseconds(interval))
                    handoff.applyPending()
                }
            }
    }

    /// From the tracing loop after a drain: builds and hands over a snapshot
    /// when the last one is older than `publishNanoseconds` (`now` on any
    /// monotonic clock). Never waits on a scrape or the network.
    public func offer(now: UInt64, snapshot: () -> MetricsSnapshot) {
        let last = lastOffer.load(ordering: .relaxed)
        guard last == 0 || now &- last >= configuration.publishNanoseconds else { return }
        lastOffer.store(now, ordering: .relaxed)
        handoff.hand(snapshot())
    }

    /// Every finding, as an OTLP log record (nothing without --otlp-endpoint).
    public func log(_ findings: [Finding]) {
        otel?.log(findings)
    }

    /// The last word at detach: publishes `final`, lets OTLP send it and the
    /// queued findings (within 5 s), and closes the endpoint.
    public func finish(final: MetricsSnapshot?) {
        if let final { handoff.hand(final) }
        handoff.applyPending()
        ticker?.cancel()
        otel?.shutdown(seconds: 5)
        server?.stop()
    }
}
