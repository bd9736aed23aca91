/// The report's time axis: fixed buckets from the trace's clock origin. The
/// replay is one pass and its length unknown (a trace may come from a pipe),
/// so buckets start `initialWidth` wide and double whenever a time falls past
/// the last one, each series merging its buckets in pairs: never more than
/// `maximumBuckets`, whatever the trace's length or number of events.
struct TimeAxis {
    let origin: UInt64
    let maximumBuckets: Int
    private(set) var width: UInt64

    init(origin: UInt64, maximumBuckets: Int, initialWidth: UInt64 = 1_000_000) {
        self.origin = origin
        self.maximumBuckets = max(maximumBuckets, 2)
        width = max(initialWidth, 1)
    }

    /// The bucket holding `time` (a time before the origin falls in the
    /// first), or nil when the axis must first be made coarser.
    func bucket(of time: UInt64) -> Int? {
        let index = time > origin ? (time - origin) / width : 0
        return index < UInt64(maximumBuckets) ? Int(index) : nil
    }

    mutating func coarsen() { width &*= 2 }

    /// Seconds since the origin of `time`.
    func seconds(_ time: UInt64) -> Double {
        time >= origin ? Double(time - origin) / 1e9 : -Double(origin - time) / 1e9
    }
}

/// A level per bucket (a queue's length): its lowest, highest and last value
/// in the bucket. A bucket no step touched holds the level it was left at, so
/// a peak is never lost to downsampling and a flat stretch stays flat.
struct GaugeSeries {
    private(set) var low: [Int32] = []
    private(set) var high: [Int32] = []
    private(set) var last: [Int32] = []
    /// The level before the first bucket written (none seen: 0).
    private var current: Int32 = 0
    private(set) var peak: Int32 = 0
    /// The first bucket with a value (nothing is drawn before it); nil before any.
    private(set) var first: Int?

    var hasValue: Bool { first != nil }
    var count: Int { last.count }

    mutating func set(_ value: Int, at bucket: Int) {
        let level = Int32(clamping: value)
        if first == nil {
            // Buckets before it hold this level too (undrawn): merged with
            // the first when the axis coarsens, they make no false dip.
            first = bucket
            current = level
        }
        extend(to: bucket + 1)
        if low[bucket] > level { low[bucket] = level }
        if high[bucket] < level { high[bucket] = level }
        last[bucket] = level
        current = level
        if level > peak { peak = level }
    }

    /// Buckets up to `count` exist, the new ones at the current level.
    mutating func extend(to count: Int) {
        guard count > last.count else { return }
        let added = count - last.count
        low.append(contentsOf: repeatElement(current, count: added))
        high.append(contentsOf: repeatElement(current, count: added))
        last.append(contentsOf: repeatElement(current, count: added))
    }

    /// Pairs of buckets become one (the axis doubled its width).
    mutating func halve() {
        first = first.map { $0 / 2 }
        low = Self.pairs(low) { min($0, $1) }
        high = Self.pairs(high) { max($0, $1) }
        last = Self.pairs(last) { $1 }
    }

    static func pairs<T>(_ values: [T], _ merge: (T, T) -> T) -> [T] {
        var merged: [T] = []
        merged.reserveCapacity((values.count + 1) / 2)
        var index = 0
        while index < values.count {
            merged.append(index + 1 < values.count ? merge(values[index], values[index + 1]) : values[index])
            index += 2
        }
        return merged
    }
}

/// Readings per bucket (the kernel's queue figures, when events carried
/// them): lowest and highest, -1 in a bucket without a reading.
struct SampleSeries {
    private(set) var low: [Int32] = []
    private(set) var high: [Int32] = []
    private(set) var peak: Int32 = -1

    var count: Int { high.count }

    mutating func add(_ value: Int, at bucket: Int) {
        let level = Int32(clamping: max(value, 0))
        if bucket >= high.count {
            low.append(contentsOf: repeatElement(-1, count: bucket + 1 - high.count))
            high.append(contentsOf: repeatElement(-1, count: bucket + 1 - high.count))
        }
        if low[bucket] < 0 || low[bucket] > level { low[bucket] = level }
        if high[bucket] < level { high[bucket] = level }
        if level > peak { peak = level }
    }

    mutating func halve() {
        low = GaugeSeries.pairs(low) { $0 < 0 ? $1 : ($1 < 0 ? $0 : min($0, $1)) }
        high = GaugeSeries.pairs(high) { max($0, $1) }
    }
}

/// How many things happened in each bucket (SYNs, accepts, drops, findings).
struct CountSeries {
    private(set) var counts: [UInt32] = []
    private(set) var total: UInt64 = 0

    var count: Int { counts.count }

    mutating func add(_ amount: UInt64, at bucket: Int) {
        guard amount > 0 else { return }
        if bucket >= counts.count { counts.append(contentsOf: repeatElement(0, count: bucket + 1 - counts.count)) }
        let (sum, overflow) = counts[bucket].addingReportingOverflow(UInt32(clamping: amount))
        counts[bucket] = overflow ? .max : sum
        total &+= amount
    }

    /// Moves `amount` already counted in one bucket to another (the total
    /// stays); nothing moves when `from` holds less.
    mutating func move(_ amount: UInt32, from: Int, to: Int) {
        guard from != to, from < counts.count, counts[from] >= amount else { return }
        counts[from] -= amount
        if to >= counts.count { counts.append(contentsOf: repeatElement(0, count: to + 1 - counts.count)) }
        counts[to] = counts[to] > UInt32.max - amount ? .max : counts[to] + amount
    }

    mutating func halve() {
        counts = GaugeSeries.pairs(counts) { $0 > UInt32.max - $1 ? .max : $0 + $1 }
    }

    /// The largest count in any bucket.
    var maximum: UInt32 { counts.max() ?? 0 }

    subscript(bucket: Int) -> UInt32 { bucket < counts.count ? counts[bucket] : 0 }
}
