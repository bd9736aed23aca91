/// What each listener has been doing, in flat arrays parallel to the
/// listener table (indexed by slot, reset when a slot is reused): the hot
/// path only increments plain counters and histogram buckets, with no
/// allocation and no hashing; `ListenerActivity` values are built only when
/// someone asks (`snapshot`).
struct ListenerActivityTable {
    /// The fixed-size part of one listener's activity.
    struct Counters {
        var syns: UInt64 = 0
        var handshakes: UInt64 = 0
        var accepts: UInt64 = 0
        /// The kernel's latest figures; `noFigure` until an event carried them.
        var kernelRequests: UInt32 = Counters.noFigure
        var kernelChildren: UInt32 = Counters.noFigure
        var handshakeCount: UInt64 = 0
        var handshakeSum: UInt64 = 0
        var acceptWaitCount: UInt64 = 0
        var acceptWaitSum: UInt64 = 0

        static let noFigure = UInt32.max
    }

    private var counters: [Counters] = []
    /// `kinds` counts per slot, by `FindingKind` raw value.
    private var findings: [UInt64] = []
    /// Two histograms per slot (handshake time, then accept wait), `buckets` each.
    private var histograms: [UInt64] = []
    private let kinds = FindingKind.allCases.count
    private let buckets = LatencyHistogram.bucketCount

    /// Zeroes a slot for a new listener, growing the arrays to reach it.
    mutating func reset(_ slot: UInt32) {
        let index = Int(slot)
        if counters.count <= index {
            let grown = index + 1
            counters.append(contentsOf: repeatElement(Counters(), count: grown - counters.count))
            findings.append(contentsOf: repeatElement(0, count: grown * kinds - findings.count))
            histograms.append(contentsOf: repeatElement(0, count: grown * 2 * buckets - histograms.count))
        }
        counters[index] = Counters()
        for position in index * kinds..<(index + 1) * kinds { findings[position] = 0 }
        for position in index * 2 * buckets..<(index + 1) * 2 * buckets { histograms[position] = 0 }
    }

    @inline(__always)
    mutating func noteSYN(_ slot: UInt32) {
        counters[Int(slot)].syns &+= 1
    }

    @inline(__always)
    mutating func noteQueues(_ slot: UInt32, _ figures: QueueFigures) {
        counters[Int(slot)].kernelRequests = figures.requestQueue
        counters[Int(slot)].kernelChildren = figures.acceptQueue
    }

    /// A child created; `duration` is SYN → child when the flow's SYN was seen.
    @inline(__always)
    mutating func noteHandshake(_ slot: UInt32, duration: UInt64?) {
        let index = Int(slot)
        counters[index].handshakes &+= 1
        guard let duration else { return }
        counters[index].handshakeCount &+= 1
        counters[index].handshakeSum &+= duration
        histograms[index * 2 * buckets + LatencyHistogram.bucketIndex(nanoseconds: duration)] &+= 1
    }

    /// A child accepted; `wait` is child → accept when its creation was seen.
    @inline(__always)
    mutating func noteAccept(_ slot: UInt32, wait: UInt64?) {
        let index = Int(slot)
        counters[index].accepts &+= 1
        guard let wait else { return }
        counters[index].acceptWaitCount &+= 1
        counters[index].acceptWaitSum &+= wait
        histograms[(index * 2 + 1) * buckets + LatencyHistogram.bucketIndex(nanoseconds: wait)] &+= 1
    }

    @inline(__always)
    mutating func noteFinding(_ slot: UInt32, _ kind: FindingKind) {
        findings[Int(slot) * kinds + Int(kind.rawValue)] &+= 1
    }

    /// The activity of one slot as a public value (allocates; not per event).
    func snapshot(_ slot: UInt32, listener: ListenerSummary, isOpen: Bool, backlog: UInt32?) -> ListenerActivity {
        let index = Int(slot)
        let figures = counters[index]
        var byKind: [FindingKind: UInt64] = [:]
        for kind in FindingKind.allCases {
            let count = findings[index * kinds + Int(kind.rawValue)]
            if count > 0 { byKind[kind] = count }
        }
        let handshakeStart = index * 2 * buckets
        let acceptStart = handshakeStart + buckets
        return ListenerActivity(
            listener: listener, isOpen: isOpen, backlog: backlog,
            kernelRequestQueue: figures.kernelRequests == Counters.noFigure ? nil : Int(figures.kernelRequests),
            kernelAcceptQueue: figures.kernelChildren == Counters.noFigure ? nil : Int(figures.kernelChildren),
            syns: figures.syns, handshakes: figures.handshakes, accepts: figures.accepts, findings: byKind,
            handshakeTime: LatencyHistogram(
                counts: Array(histograms[handshakeStart..<handshakeStart + buckets]),
                count: figures.handshakeCount, sumNanoseconds: figures.handshakeSum),
            acceptWait: LatencyHistogram(
                counts: Array(histograms[acceptStart..<acceptStart + buckets]),
                count: figures.acceptWaitCount, sumNanoseconds: figures.acceptWaitSum))
    }

    var allocatedBytes: Int {
        counters.capacity * MemoryLayout<Counters>.stride + (findings.capacity + histograms.capacity) * 8
    }
}
