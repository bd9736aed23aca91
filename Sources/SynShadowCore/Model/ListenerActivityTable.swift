/// What each listener has been doing, in flat buffers parallel to the
/// listener table (indexed by slot, reset when a slot is reused): the hot
/// path only increments plain counters and histogram buckets through
/// pointers, with no allocation, hashing or copy-on-write checks;
/// `ListenerActivity` values are built only when someone asks (`snapshot`).
struct ListenerActivityTable: ~Copyable {
    /// The fixed-size part of one listener's activity.
    struct Counters {
        var syns: UInt64 = 0
        var handshakes: UInt64 = 0
        var accepts: UInt64 = 0
        /// The kernel's latest figures; `noFigure` until an event carried them.
        var kernelRequests: UInt32 = Counters.noFigure
        var kernelChildren: UInt32 = Counters.noFigure
        var handshakeTime = DurationTally()
        var acceptWait = DurationTally()
        /// How many listeners have held this slot, this one included: with
        /// the slot, it names one listener even after the slot is reused.
        var generation: UInt32 = 0

        static let noFigure = UInt32.max
    }

    /// How many durations were measured, and their sum (a histogram's count and sum).
    struct DurationTally {
        var count: UInt64 = 0
        var sum: UInt64 = 0
    }

    private let kinds = FindingKind.allCases.count
    private let buckets = LatencyHistogram.bucketCount
    /// The histogram bounds, copied once so a lookup touches no global.
    private let bounds: UnsafeMutableBufferPointer<UInt64>
    private var capacity = 0
    private var counters: UnsafeMutablePointer<Counters>
    /// `kinds` counts per slot, by `FindingKind` raw value.
    private var findings: UnsafeMutablePointer<UInt64>
    /// Two histograms per slot (handshake time, then accept wait), `buckets` each.
    private var histograms: UnsafeMutablePointer<UInt64>
    /// Whether slots whose figures change are noted for `takeChanges`
    /// (`ShadowModel.tracksListenerChanges`); off, a change costs one branch.
    var tracksChanges = false
    /// Per slot: 1 while the slot waits in `changedSlots`.
    private var changeMarks: UnsafeMutablePointer<UInt8>
    /// The slots changed since `takeChanges` last ran, each once (room for every slot).
    private var changedSlots: UnsafeMutablePointer<UInt32>
    private let changedCount: UnsafeMutablePointer<Int>

    init() {
        bounds = .allocate(capacity: LatencyHistogram.upperBounds.count)
        _ = bounds.initialize(from: LatencyHistogram.upperBounds)
        counters = .allocate(capacity: 0)
        findings = .allocate(capacity: 0)
        histograms = .allocate(capacity: 0)
        changeMarks = .allocate(capacity: 0)
        changedSlots = .allocate(capacity: 0)
        changedCount = .allocate(capacity: 1)
        changedCount.initialize(to: 0)
    }

    deinit {
        bounds.deallocate()
        counters.deallocate()
        findings.deallocate()
        histograms.deallocate()
        changeMarks.deallocate()
        changedSlots.deallocate()
        changedCount.deallocate()
    }

    /// Zeroes a slot for a new listener (its next generation), growing the
    /// buffers to reach it.
    mutating func reset(_ slot: UInt32) {
        let index = Int(slot)
        if index >= capacity { grow(to: max(index + 1, capacity * 2, 16)) }
        let generation = counters[index].generation &+ 1
        counters[index] = Counters()
        counters[index].generation = generation
        touch(slot)
        (findings + index * kinds).update(repeating: 0, count: kinds)
        (histograms + index * 2 * buckets).update(repeating: 0, count: 2 * buckets)
    }

    private mutating func grow(to newCapacity: Int) {
        let newCounters = UnsafeMutablePointer<Counters>.allocate(capacity: newCapacity)
        newCounters.moveInitialize(from: counters, count: capacity)
        (newCounters + capacity).initialize(repeating: Counters(), count: newCapacity - capacity)
        counters.deallocate()
        counters = newCounters
        findings = Self.grown(findings, from: capacity * kinds, to: newCapacity * kinds)
        histograms = Self.grown(histograms, from: capacity * 2 * buckets, to: newCapacity * 2 * buckets)
        let newMarks = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newMarks.moveInitialize(from: changeMarks, count: capacity)
        (newMarks + capacity).initialize(repeating: 0, count: newCapacity - capacity)
        changeMarks.deallocate()
        changeMarks = newMarks
        let newChanged = UnsafeMutablePointer<UInt32>.allocate(capacity: newCapacity)
        newChanged.moveInitialize(from: changedSlots, count: changedCount.pointee)
        changedSlots.deallocate()
        changedSlots = newChanged
        capacity = newCapacity
    }

    private static func grown(_ old: UnsafeMutablePointer<UInt64>, from: Int, to: Int) -> UnsafeMutablePointer<UInt64> {
        let new = UnsafeMutablePointer<UInt64>.allocate(capacity: to)
        new.moveInitialize(from: old, count: from)
        (new + from).initialize(repeating: 0, count: to - from)
        old.deallocate()
        return new
    }

    @inline(__always)
    func noteSYN(_ slot: UInt32) {
        counters[Int(slot)].syns &+= 1
        touch(slot)
    }

    @inline(__always)
    func noteQueues(_ slot: UInt32, _ figures: QueueFigures) {
        let entry = counters + Int(slot)
        entry.pointee.kernelRequests = figures.requestQueue
        entry.pointee.kernelChildren = figures.acceptQueue
        touch(slot)
    }

    /// A child created; `duration` is SYN → child when the flow's SYN was seen.
    @inline(__always)
    func noteHandshake(_ slot: UInt32, duration: UInt64?) {
        (counters + Int(slot)).pointee.handshakes &+= 1
        touch(slot)
        guard let duration else { return }
        note(duration, in: &(counters + Int(slot)).pointee.handshakeTime, histogram: Int(slot) * 2)
    }

    /// A child accepted; `wait` is child → accept when its creation was seen.
    @inline(__always)
    func noteAccept(_ slot: UInt32, wait: UInt64?) {
        (counters + Int(slot)).pointee.accepts &+= 1
        touch(slot)
        guard let wait else { return }
        note(wait, in: &(counters + Int(slot)).pointee.acceptWait, histogram: Int(slot) * 2 + 1)
    }

    @inline(__always)
    private func note(_ duration: UInt64, in tally: inout DurationTally, histogram: Int) {
        tally.count &+= 1
        tally.sum &+= duration
        histograms[histogram * buckets + bucket(duration)] &+= 1
    }

    @inline(__always)
    func noteFinding(_ slot: UInt32, _ kind: FindingKind) {
        findings[Int(slot) * kinds + Int(kind.rawValue)] &+= 1
        touch(slot)
    }

    /// Notes that a slot's figures (queues, counts, owner, state) changed,
    /// when changes are tracked: once until the next `takeChanges`.
    @inline(__always)
    func touch(_ slot: UInt32) {
        guard tracksChanges, changeMarks[Int(slot)] == 0 else { return }
        changeMarks[Int(slot)] = 1
        changedSlots[changedCount.pointee] = slot
        changedCount.pointee &+= 1
    }

    /// Hands over the slots changed since the last call, in the order they
    /// first changed, and starts noting afresh.
    func takeChanges(_ body: (UInt32) -> Void) {
        let count = changedCount.pointee
        changedCount.pointee = 0
        for index in 0..<count {
            let slot = changedSlots[index]
            changeMarks[Int(slot)] = 0
            body(slot)
        }
    }

    func generation(_ slot: UInt32) -> UInt32 { counters[Int(slot)].generation }

    func findingCount(_ slot: UInt32, _ kind: FindingKind) -> UInt64 {
        findings[Int(slot) * kinds + Int(kind.rawValue)]
    }

    /// The plain figures of one slot (no allocation); the caller fills in
    /// what the listener table holds (queues as the model counts them, owner).
    func figures(_ slot: UInt32) -> ListenerFigures {
        let index = Int(slot)
        let entry = counters[index]
        var total: UInt64 = 0
        let start = findings + index * kinds
        for kind in 0..<kinds { total &+= start[kind] }
        return ListenerFigures(slot: slot, generation: entry.generation, counts: counts(entry), findings: total)
    }

    /// The counts one slot's counters hold; the caller fills in what the
    /// listener table holds (openness, backlog, the model's queues).
    private func counts(_ entry: Counters, isOpen: Bool = true, backlog: UInt32? = nil) -> ListenerCounts {
        ListenerCounts(
            isOpen: isOpen, backlog: backlog,
            kernelRequestQueue: entry.kernelRequests == Counters.noFigure ? nil : Int(entry.kernelRequests),
            kernelAcceptQueue: entry.kernelChildren == Counters.noFigure ? nil : Int(entry.kernelChildren),
            syns: entry.syns, handshakes: entry.handshakes, accepts: entry.accepts)
    }

    @inline(__always)
    private func bucket(_ nanoseconds: UInt64) -> Int {
        LatencyHistogram.bucketIndex(nanoseconds: nanoseconds, bounds: UnsafeBufferPointer(bounds))
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
        let handshakeStart = histograms + index * 2 * buckets
        let acceptStart = handshakeStart + buckets
        return ListenerActivity(
            listener: listener, counts: counts(figures, isOpen: isOpen, backlog: backlog), findings: byKind,
            handshakeTime: LatencyHistogram(
                counts: Array(UnsafeBufferPointer(start: handshakeStart, count: buckets)),
                count: figures.handshakeTime.count, sumNanoseconds: figures.handshakeTime.sum),
            acceptWait: LatencyHistogram(
                counts: Array(UnsafeBufferPointer(start: acceptStart, count: buckets)),
                count: figures.acceptWait.count, sumNanoseconds: figures.acceptWait.sum))
    }

    var allocatedBytes: Int {
        capacity * (MemoryLayout<Counters>.stride + (kinds + 2 * buckets) * 8 + 5)
    }
}
