import Synchronization

/// The one mirror of the model's figures that every exporter reads: the
/// tracing thread hands the latest snapshot in (a swap under a lock), and
/// whoever exports next — a scrape, the OTLP exporter, the final flush —
/// turns it into samples. The samples are the snapshot's exact figures;
/// each exporter writes them in its own format, nothing is re-aggregated.
final class MetricsMirror: Sendable {
    private let pending = Mutex<MetricsSnapshot?>(nil)
    /// The samples of the latest snapshot turned so far; held while one is
    /// turned, so an older snapshot never replaces a newer one.
    private let current = Mutex<[MetricSample]>([])
    private let maxListeners: Int
    /// Figures of the exporters themselves (OTLP failures), current at each read.
    private let ownFigures: @Sendable () -> [MetricSample]

    init(maxListeners: Int, ownFigures: @escaping @Sendable () -> [MetricSample] = { [] }) {
        self.maxListeners = maxListeners
        self.ownFigures = ownFigures
    }

    /// From the tracing thread: never waits on an exporter.
    func hand(_ snapshot: MetricsSnapshot) {
        pending.withLock { $0 = snapshot }
    }

    /// The latest snapshot's samples, then the exporters' own.
    func samples() -> [MetricSample] {
        let snapshotSamples = current.withLock { samples in
            if let snapshot = pending.withLock({ $0.take() }) {
                samples = MetricsCatalogue.samples(from: snapshot, maxListeners: maxListeners)
            }
            return samples
        }
        return snapshotSamples + ownFigures()
    }
}
