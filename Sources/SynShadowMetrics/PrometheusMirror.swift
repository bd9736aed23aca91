import Prometheus
import SynShadowCore
import Synchronization

/// The samples held in a swift-prometheus registry, rendered in the text
/// exposition format for `/metrics`.
///
/// Histograms use `LatencyHistogram.upperBounds` as bucket bounds (in
/// seconds), so each `_bucket` and `_count` is the model's exact count;
/// `_sum` is the model's exact sum of the observed durations, in seconds
/// (see `HistogramReplay`).
public final class PrometheusMirror: Sendable {
    private enum Handle {
        case counter(Counter)
        case gauge(Gauge)
        case histogram(DurationHistogram)
    }

    private struct State {
        var deltas = SampleDeltas()
        var handles: [MetricSample.Key: Handle] = [:]
    }

    private let registry = PrometheusCollectorRegistry()
    private let state = Mutex(State())
    private static let buckets = LatencyHistogram.upperBounds.map { Duration.nanoseconds(Int64($0)) }

    public init() {}

    /// Brings the registry to `samples`; series absent from them are removed.
    public func update(_ samples: [MetricSample]) {
        state.withLock { state in
            var handles = state.handles
            state.deltas.apply(
                samples,
                update: { sample, update in apply(update, to: sample, handles: &handles) },
                remove: { key in
                    guard let handle = handles.removeValue(forKey: key) else { return }
                    unregister(handle)
                })
            state.handles = handles
        }
    }

    /// The text exposition format (version 0.0.4).
    public func render() -> String {
        state.withLock { _ in registry.emitToString() }
    }

    private func apply(_ update: SampleDeltas.Update, to sample: MetricSample, handles: inout [MetricSample.Key: Handle]) {
        let key = sample.key
        let labels = sample.labels.map { ($0.name, $0.value) }
        let descriptor = MetricNameDescriptor(metricName: sample.name, unitName: "", helpText: sample.help)
        switch update {
        case .counter(let increment, let reset):
            let counter: Counter
            if case .counter(let existing)? = handles[key] {
                counter = existing
            } else {
                counter = registry.makeCounter(descriptor: descriptor, labels: labels)
                handles[key] = .counter(counter)
            }
            if reset { counter.reset() }
            if increment > 0 { counter.increment(by: Int64(clamping: increment)) }
        case .gauge(let value):
            let gauge: Gauge
            if case .gauge(let existing)? = handles[key] {
                gauge = existing
            } else {
                gauge = registry.makeGauge(descriptor: descriptor, labels: labels)
                handles[key] = .gauge(gauge)
            }
            gauge.set(to: value)
        case .histogram(let runs, let reset):
            var histogram: DurationHistogram
            if case .histogram(let existing)? = handles[key] {
                histogram = existing
                if reset {
                    // swift-prometheus histograms cannot be reset: start the series afresh.
                    registry.unregisterDurationHistogram(existing)
                    histogram = registry.makeDurationHistogram(descriptor: descriptor, labels: labels, buckets: Self.buckets)
                }
            } else {
                histogram = registry.makeDurationHistogram(descriptor: descriptor, labels: labels, buckets: Self.buckets)
            }
            handles[key] = .histogram(histogram)
            for run in runs {
                let value = Duration.nanoseconds(Int64(clamping: run.nanoseconds))
                for _ in 0..<run.repeats { histogram.record(value) }
            }
        }
    }

    private func unregister(_ handle: Handle) {
        switch handle {
        case .counter(let counter): registry.unregisterCounter(counter)
        case .gauge(let gauge): registry.unregisterGauge(gauge)
        case .histogram(let histogram): registry.unregisterDurationHistogram(histogram)
        }
    }
}
