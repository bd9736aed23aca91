/// A fixed-bucket latency histogram: recording is an increment into an array
/// (no allocation per observation), the count and the sum are exact, and the
/// bucket bounds are the same everywhere (model, `top`, Prometheus), so
/// exported buckets are the model's own counts rather than a re-estimate.
public struct LatencyHistogram: Sendable, Hashable {
    /// Upper bounds of the buckets in nanoseconds, 1-2-5 steps from 10 µs to
    /// 10 s; one more bucket past the last bound holds everything slower.
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

    /// Per bucket (not cumulative); `counts.count == upperBounds.count + 1`.
    public private(set) var counts: [UInt64]
    public private(set) var count: UInt64 = 0
    public private(set) var sumNanoseconds: UInt64 = 0

    public init() {
        counts = [UInt64](repeating: 0, count: Self.upperBounds.count + 1)
    }

    public mutating func record(nanoseconds: UInt64) {
        var index = 0
        let bounds = Self.upperBounds
        while index < bounds.count && nanoseconds > bounds[index] { index += 1 }
        counts[index] &+= 1
        count &+= 1
        sumNanoseconds &+= nanoseconds
    }

    /// The upper bound of the bucket holding quantile `q` (0...1), or nil when
    /// empty; `.max` when it falls in the overflow bucket.
    public func quantile(_ q: Double) -> UInt64? {
        guard count > 0 else { return nil }
        let rank = UInt64((Double(count) * min(max(q, 0), 1)).rounded(.up))
        var seen: UInt64 = 0
        for (index, bucket) in counts.enumerated() {
            seen += bucket
            if seen >= max(rank, 1) { return index < Self.upperBounds.count ? Self.upperBounds[index] : .max }
        }
        return .max
    }
}
