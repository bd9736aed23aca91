/// Start times of cumulative OTLP series. Every series counts from when
/// export began, unless its figure went down (a listener moved in or out of
/// `other`): OTLP then needs a new start time, after the last one reported,
/// so a backend reads a reset rather than a negative rate.
struct CumulativeStarts {
    private let origin: UInt64
    private var last: [MetricSample.Key: (value: MetricSample.Value, start: UInt64)] = [:]
    private var lastExport: UInt64

    init(origin: UInt64) {
        self.origin = origin
        lastExport = origin
    }

    /// Records this export's figures and returns a start time for each sample.
    mutating func starts(for samples: [MetricSample], time: UInt64) -> [MetricSample.Key: UInt64] {
        var next: [MetricSample.Key: (value: MetricSample.Value, start: UInt64)] = [:]
        next.reserveCapacity(samples.count)
        for sample in samples {
            let key = sample.key
            var start = origin
            if let previous = last[key] {
                start = Self.wentDown(from: previous.value, to: sample.value) ? lastExport : previous.start
            }
            next[key] = (sample.value, start)
        }
        last = next
        lastExport = time
        return next.mapValues { $0.start }
    }

    private static func wentDown(from earlier: MetricSample.Value, to later: MetricSample.Value) -> Bool {
        switch (earlier, later) {
        case (.counter(let before), .counter(let after)): after < before
        case (.histogram(let before), .histogram(let after)): !after.hasGrown(from: before)
        default: false
        }
    }
}
