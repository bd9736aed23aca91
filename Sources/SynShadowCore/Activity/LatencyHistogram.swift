/// A fixed-bucket latency histogram: recording is an increment into an array
/// (no allocation per observation), the count and the sum are exact, and the
/// bucket bounds are the same everywhere (model, `top`, Prometheus), so
/// exported buckets are the model's own counts rather than a re-estimate.
public struct LatencyHistogram: Sendable, Hashable {
    /// Upper bounds of the buckets in nanoseconds (inclusive), 1-2-5 steps
    /// from 10 µs to 10 s; one more bucket past the last bound holds
    /// everything slower.
    public static let upperBounds: [UInt64] = {
        var bounds: [UInt64] = []
        var decade: UInt64 = 10_000
        while decade <= 1_000_000_000 {
            bounds += [decade, 2 * decade, 5 * decade]
            decade *= 10
        }
        bounds.append(10_000_000_000)
        return bounds
    }()

    /// Buckets including the overflow bucket.
    public static let bucketCount = upperBounds.count + 1

    /// Per bucket (not cumulative); `counts.count == bucketCount`.
    public private(set) var counts: [UInt64]
    public private(set) var count: UInt64 = 0
    public private(set) var sumNanoseconds: UInt64 = 0

    public init() {
        counts = [UInt64](repeating: 0, count: Self.bucketCount)
    }

    /// A histogram from buckets kept elsewhere (the model's flat arrays).
    init(counts: [UInt64], count: UInt64, sumNanoseconds: UInt64) {
        precondition(counts.count == Self.bucketCount, "a histogram has \(Self.bucketCount) buckets")
        self.counts = counts
        self.count = count
        self.sumNanoseconds = sumNanoseconds
    }

    /// The bucket holding `nanoseconds`: the first whose upper bound is not
    /// below it, or the overflow bucket (binary search: it runs per connection).
    public static func bucketIndex(nanoseconds: UInt64) -> Int {
        upperBounds.withUnsafeBufferPointer { bucketIndex(nanoseconds: nanoseconds, bounds: $0) }
    }

    @inline(__always)
    static func bucketIndex(nanoseconds: UInt64, bounds: UnsafeBufferPointer<UInt64>) -> Int {
        var low = 0
        var high = bounds.count
        while low < high {
            let middle = (low &+ high) &>> 1
            if nanoseconds > bounds[middle] { low = middle &+ 1 } else { high = middle }
        }
        return low
    }

    public mutating func record(nanoseconds: UInt64) {
        counts[Self.bucketIndex(nanoseconds: nanoseconds)] &+= 1
        count &+= 1
        sumNanoseconds &+= nanoseconds
    }

    /// The upper bound of the bucket holding quantile `q` (0...1), or nil when
    /// empty; `.max` when it falls in the overflow bucket.
    public func quantile(_ q: Double) -> UInt64? {
        guard count > 0 else { return nil }
        let rank = max(UInt64((Double(count) * min(max(q, 0), 1)).rounded(.up)), 1)
        var seen: UInt64 = 0
        for (index, bucket) in counts.enumerated() {
            seen += bucket
            if seen >= rank { return index < Self.upperBounds.count ? Self.upperBounds[index] : .max }
        }
        return .max
    }
}
