/// Turns successive snapshots of cumulative figures into what metrics
/// libraries take: counter increments, gauge values, histogram
/// observations. A figure that went down (a listener moved in or out of
/// `other`) comes out as a reset followed by the whole value.
struct SampleDeltas {
    enum Update {
        case counter(increment: UInt64, reset: Bool)
        case gauge(Double)
        case histogram(runs: [HistogramReplay.Run], reset: Bool)
    }

    private var last: [MetricSample.Key: MetricSample.Value] = [:]

    /// Calls `update` for each sample, then `remove` for each series the
    /// previous snapshot had and this one has not.
    mutating func apply(
        _ samples: [MetricSample], update: (MetricSample, Update) -> Void, remove: (MetricSample.Key) -> Void
    ) {
        var current: [MetricSample.Key: MetricSample.Value] = [:]
        current.reserveCapacity(samples.count)
        for sample in samples {
            let key = sample.key
            let previous = last[key]
            current[key] = sample.value
            switch sample.value {
            case .counter(let value):
                guard case .counter(let before)? = previous else {
                    update(sample, .counter(increment: value, reset: false))
                    continue
                }
                if value >= before {
                    if value > before { update(sample, .counter(increment: value - before, reset: false)) }
                } else {
                    update(sample, .counter(increment: value, reset: true))
                }
            case .gauge(let value):
                if case .gauge(let before)? = previous, before == value { continue }
                update(sample, .gauge(value))
            case .histogram(let figures):
                guard case .histogram(let before)? = previous else {
                    update(sample, .histogram(runs: HistogramReplay.runs(from: nil, to: figures), reset: false))
                    continue
                }
                if figures == before { continue }
                let grown = figures.hasGrown(from: before)
                update(sample, .histogram(runs: HistogramReplay.runs(from: before, to: figures), reset: !grown))
            }
        }
        for key in last.keys where current[key] == nil { remove(key) }
        last = current
    }
}
