import Synchronization

/// The one place the tracing thread and the exporters meet: the tracing
/// thread drops the latest snapshot in (a swap under a lock), and whoever
/// exports next — a scrape, the OTLP ticker, the final flush — turns it
/// into series. Older snapshots are simply replaced: figures are cumulative.
final class SnapshotHandoff: Sendable {
    private let pending = Mutex<MetricsSnapshot?>(nil)
    /// Held while a snapshot becomes series, so two exporters never apply
    /// an older snapshot after a newer one.
    private let applying = Mutex<Void>(())
    private let maxListeners: Int
    private let prometheus: PrometheusMirror?
    private let otel: OTelMirror?

    init(maxListeners: Int, prometheus: PrometheusMirror?, otel: OTelMirror?) {
        self.maxListeners = maxListeners
        self.prometheus = prometheus
        self.otel = otel
    }

    func hand(_ snapshot: MetricsSnapshot) {
        pending.withLock { $0 = snapshot }
    }

    func applyPending() {
        applying.withLock { _ in
            guard let snapshot = pending.withLock({ $0.take() }) else { return }
            let samples = MetricsCatalogue.samples(from: snapshot, maxListeners: maxListeners)
            prometheus?.update(samples)
            otel?.update(samples)
        }
    }
}
