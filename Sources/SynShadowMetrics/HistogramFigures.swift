import SynShadowCore

/// A `LatencyHistogram`'s figures as plain values that can be added up:
/// the folded `other` listener is the sum of the listeners folded into it.
/// Buckets are per bucket (not cumulative), on `LatencyHistogram.upperBounds`.
public struct HistogramFigures: Sendable, Hashable {
    public var counts: [UInt64]
    public var count: UInt64
    public var sumNanoseconds: UInt64

    public static let empty = HistogramFigures(
        counts: [UInt64](repeating: 0, count: LatencyHistogram.upperBounds.count + 1), count: 0, sumNanoseconds: 0)

    public init(counts: [UInt64], count: UInt64, sumNanoseconds: UInt64) {
        self.counts = counts
        self.count = count
        self.sumNanoseconds = sumNanoseconds
    }

    public init(_ histogram: LatencyHistogram) {
        self.init(counts: histogram.counts, count: histogram.count, sumNanoseconds: histogram.sumNanoseconds)
    }

    public mutating func add(_ other: HistogramFigures) {
        for index in counts.indices where index < other.counts.count { counts[index] &+= other.counts[index] }
        count &+= other.count
        sumNanoseconds &+= other.sumNanoseconds
    }

    /// True when every bucket and the sum are at least `earlier`'s: the
    /// difference is then a set of new observations.
    public func hasGrown(from earlier: HistogramFigures) -> Bool {
        guard counts.count == earlier.counts.count, sumNanoseconds >= earlier.sumNanoseconds else { return false }
        return zip(counts, earlier.counts).allSatisfy { $0 >= $1 }
    }
}
