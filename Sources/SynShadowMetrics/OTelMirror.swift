import CoreMetrics
import Synchronization

/// The samples held in swift-metrics handles made by swift-otel's factory,
/// which its periodic reader exports over OTLP. Same names and labels as
/// the Prometheus endpoint; histograms are explicit-bucket histograms on
/// `LatencyHistogram.upperBounds`, fed the same exact-count replay.
final class OTelMirror: Sendable {
    private enum Handle {
        case counter(any CounterHandler)
        case gauge(any RecorderHandler)
        case histogram(any TimerHandler)
    }

    private struct State {
        var deltas = SampleDeltas()
        var handles: [MetricSample.Key: Handle] = [:]
    }

    private let factory: any MetricsFactory
    private let state = Mutex(State())

    init(factory: any MetricsFactory) {
        self.factory = factory
    }

    func update(_ samples: [MetricSample]) {
        state.withLock { state in
            var handles = state.handles
            state.deltas.apply(
                samples,
                update: { sample, update in apply(update, to: sample, handles: &handles) },
                remove: { key in
                    guard let handle = handles.removeValue(forKey: key) else { return }
                    destroy(handle)
                })
            state.handles = handles
        }
    }

    private func apply(_ update: SampleDeltas.Update, to sample: MetricSample, handles: inout [MetricSample.Key: Handle]) {
        let key = sample.key
        // swift-otel reads "description" and "unit" as the instrument's, not as attributes.
        var dimensions = [("description", sample.help)] + sample.labels.map { ($0.name, $0.value) }
        switch update {
        case .counter(let increment, let reset):
            let counter: any CounterHandler
            if case .counter(let existing)? = handles[key] {
                counter = existing
            } else {
                counter = factory.makeCounter(label: sample.name, dimensions: dimensions)
                handles[key] = .counter(counter)
            }
            if reset { counter.reset() }
            if increment > 0 { counter.increment(by: Int64(clamping: increment)) }
        case .gauge(let value):
            let gauge: any RecorderHandler
            if case .gauge(let existing)? = handles[key] {
                gauge = existing
            } else {
                gauge = factory.makeRecorder(label: sample.name, dimensions: dimensions, aggregate: false)
                handles[key] = .gauge(gauge)
            }
            gauge.record(value)
        case .histogram(let runs, let reset):
            dimensions.append(("unit", "s"))
            var timer: any TimerHandler
            if case .histogram(let existing)? = handles[key] {
                timer = existing
                if reset {
                    factory.destroyTimer(existing)
                    timer = factory.makeTimer(label: sample.name, dimensions: dimensions)
                }
            } else {
                timer = factory.makeTimer(label: sample.name, dimensions: dimensions)
            }
            handles[key] = .histogram(timer)
            for run in runs {
                let nanoseconds = Int64(clamping: run.nanoseconds)
                for _ in 0..<run.repeats { timer.recordNanoseconds(nanoseconds) }
            }
        }
    }

    private func destroy(_ handle: Handle) {
        switch handle {
        case .counter(let counter): factory.destroyCounter(counter)
        case .gauge(let gauge): factory.destroyRecorder(gauge)
        case .histogram(let timer): factory.destroyTimer(timer)
        }
    }
}
