import SynShadowCore

/// Turns the growth of a model histogram into observations to record into
/// a metrics library's histogram (swift-prometheus and swift-otel only take
/// observations). Each value lies inside the bucket it came from, so the
/// exported buckets and count are the model's exact counts; the values are
/// spread inside their buckets so that they add up to the model's exact sum.
public enum HistogramReplay {
    /// `repeats` observations of `nanoseconds`.
    public struct Run: Sendable, Hashable {
        public var nanoseconds: UInt64
        public var repeats: UInt64
    }

    /// The observations that take `earlier` to `later`; from empty when
    /// `earlier` is nil or `later` has not grown from it (the caller then
    /// starts its histogram afresh). At most three runs per bucket.
    public static func runs(from earlier: HistogramFigures?, to later: HistogramFigures) -> [Run] {
        let base = earlier.flatMap { later.hasGrown(from: $0) ? $0 : nil } ?? .empty
        let bounds = LatencyHistogram.upperBounds
        var remaining = later.sumNanoseconds &- base.sumNanoseconds
        var runs: [Run] = []
        var lowers: [(index: Int, count: UInt64, lower: UInt64, upper: UInt64)] = []
        for index in later.counts.indices {
            let added = later.counts[index] - (index < base.counts.count ? base.counts[index] : 0)
            guard added > 0 else { continue }
            let lower = index == 0 ? 0 : bounds[index - 1] + 1
            let upper = index < bounds.count ? bounds[index] : UInt64.max
            lowers.append((index, added, lower, upper))
            let floor = added.multipliedReportingOverflow(by: lower)
            remaining = floor.overflow || floor.partialValue > remaining ? 0 : remaining - floor.partialValue
        }
        // Every observation starts at its bucket's lower edge; the rest of the
        // sum raises them, one at a time, up to their bucket's upper bound.
        for bucket in lowers {
            let room = bucket.upper - bucket.lower
            var full: UInt64 = 0
            if room > 0 {
                full = min(bucket.count, remaining / room)
                remaining -= full * room
            }
            if full > 0 { runs.append(Run(nanoseconds: bucket.upper, repeats: full)) }
            var left = bucket.count - full
            if left > 0 && remaining > 0 {
                runs.append(Run(nanoseconds: bucket.lower + min(remaining, room), repeats: 1))
                remaining -= min(remaining, room)
                left -= 1
            }
            if left > 0 { runs.append(Run(nanoseconds: bucket.lower, repeats: left)) }
        }
        return runs
    }
}
