/// The flow store: records in fixed pages (no copying when it grows, so the
/// footprint is what is used) and an open-addressing index of 8-byte buckets
/// kept at most half full. Lookups hash the FlowKey with a seeded mix, so a
/// SYN flood with chosen ports cannot aim at one bucket chain.
struct FlowTable: ~Copyable {
    private static let pageShift = 12
    private static let pageSize = 1 << pageShift
    private static let noSlot = UInt32.max

    /// Creation order, for evicting the oldest flow: (slot, low bits of its
    /// first time) so a reused slot's old entry is recognised as stale.
    private struct OrderEntry {
        var slot: UInt32
        var stamp: UInt32
    }

    let limit: Int
    private(set) var count = 0
    private(set) var peakCount = 0
    private var pages: [UnsafeMutablePointer<FlowRecord>] = []
    private var highWater: UInt32 = 0
    private var freeHead: UInt32 = FlowTable.noSlot
    private var buckets: UnsafeMutablePointer<UInt64>
    private var bucketCount: Int
    private var bucketShift: UInt64
    private var order = RingStorage<OrderEntry>()
    private let seed: UInt64

    init(limit: Int, seed: UInt64) {
        self.limit = max(1, min(limit, Int(UInt32.max - 1)))
        self.seed = seed
        bucketCount = 1024
        bucketShift = 64 - 10
        buckets = .allocate(capacity: bucketCount)
        buckets.initialize(repeating: 0, count: bucketCount)
    }

    deinit {
        for page in pages { page.deallocate() }
        buckets.deallocate()
        order.release()
    }

    var isFull: Bool { count >= limit }

    @inline(__always)
    func record(_ slot: UInt32) -> UnsafeMutablePointer<FlowRecord> {
        pages[Int(slot >> UInt32(FlowTable.pageShift))] + Int(slot & UInt32(FlowTable.pageSize - 1))
    }

    @inline(__always)
    func hash(_ key: FlowKey) -> UInt64 {
        @inline(__always) func mum(_ a: UInt64, _ b: UInt64) -> UInt64 {
            let product = a.multipliedFullWidth(by: b)
            return product.high ^ UInt64(product.low)
        }
        let ports = UInt64(key.netns) | UInt64(key.localPort) << 32 | UInt64(key.remotePort) << 48
        let first = mum(key.remoteAddress.high ^ seed, key.remoteAddress.low ^ 0x243F_6A88_85A3_08D3)
        let second = mum(
            key.localAddress.high ^ 0x1319_8A2E_0370_7344,
            key.localAddress.low ^ (UInt64(key.family.rawValue) << 56) ^ 0xA409_3822_299F_31D0)
        return mum(first ^ second ^ ports, 0x9E37_79B9_7F4A_7C15 ^ seed)
    }

    @inline(__always)
    private func home(_ tag: UInt32) -> Int {
        Int(truncatingIfNeeded: (UInt64(tag) &* 0x9E37_79B9_7F4A_7C15) >> bucketShift)
    }

    /// `key`'s hash and slot in one step: what an event handler needs either
    /// to follow the flow or, when it is unknown, to start one for it.
    @inline(__always)
    func lookUp(_ key: FlowKey) -> FlowLookup {
        let hash = self.hash(key)
        return FlowLookup(key: key, hash: hash, slot: find(key, hash: hash))
    }

    func find(_ key: FlowKey, hash: UInt64) -> UInt32? {
        let tag = UInt32(truncatingIfNeeded: hash >> 32)
        let mask = bucketCount - 1
        var index = home(tag)
        while true {
            let entry = buckets[index]
            if entry == 0 { return nil }
            if UInt32(truncatingIfNeeded: entry >> 32) == tag {
                let slot = UInt32(truncatingIfNeeded: entry) &- 1
                if record(slot).pointee.matches(key) { return slot }
            }
            index = (index + 1) & mask
        }
    }

    /// Stores a new record for `key` (not already present); nil when full.
    mutating func insert(_ key: FlowKey, hash: UInt64, listener: UInt32, epoch: UInt32, time: UInt64) -> UInt32? {
        guard count < limit else { return nil }
        let slot: UInt32
        // A reused slot keeps counting generations: deadlines scheduled for
        // its previous flow must stay stale.
        var generation: UInt32 = 0
        if freeHead != FlowTable.noSlot {
            slot = freeHead
            freeHead = UInt32(truncatingIfNeeded: record(slot).pointee.identity)
            generation = record(slot).pointee.generation &+ 1
        } else {
            if Int(highWater) == pages.count << FlowTable.pageShift {
                pages.append(.allocate(capacity: FlowTable.pageSize))
            }
            slot = highWater
            highWater += 1
        }
        record(slot).initialize(to: FlowRecord(key: key, listener: listener, epoch: epoch, time: time))
        record(slot).pointee.generation = generation
        if (count + 1) * 2 > bucketCount { growIndex() }
        place(tag: UInt32(truncatingIfNeeded: hash >> 32), slot: slot)
        count += 1
        if count > peakCount { peakCount = count }
        appendOrder(slot)
        return slot
    }

    /// Forgets a record: unindexes it and recycles its slot.
    mutating func remove(_ slot: UInt32) {
        let pointer = record(slot)
        let tag = UInt32(truncatingIfNeeded: hash(pointer.pointee.key) >> 32)
        let mask = bucketCount - 1
        var index = home(tag)
        let wanted = UInt64(tag) << 32 | UInt64(slot + 1)
        while buckets[index] != wanted {
            if buckets[index] == 0 { preconditionFailure("flow slot \(slot) is not indexed") }
            index = (index + 1) & mask
        }
        var hole = index
        var next = (index + 1) & mask
        while buckets[next] != 0 {
            let natural = home(UInt32(truncatingIfNeeded: buckets[next] >> 32))
            let stays = hole <= next ? (natural > hole && natural <= next) : (natural > hole || natural <= next)
            if !stays {
                buckets[hole] = buckets[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        buckets[hole] = 0
        pointer.pointee.state = .free
        pointer.pointee.generation &+= 1
        pointer.pointee.identity = UInt64(freeHead)
        freeHead = slot
        count -= 1
    }

    /// Marks a record as a new attempt (same key, new first time), so the
    /// eviction order sees it as young again.
    mutating func restart(_ slot: UInt32, time: UInt64) {
        record(slot).pointee.firstTime = time
        appendOrder(slot)
    }

    /// The oldest live flow, for eviction.
    mutating func oldest() -> UInt32? {
        while let entry = order.first {
            let pointer = record(entry.slot)
            if pointer.pointee.state != .free && UInt32(truncatingIfNeeded: pointer.pointee.firstTime) == entry.stamp {
                return entry.slot
            }
            order.removeFirst()
        }
        return nil
    }

    /// Every live slot, in slot order (finish-time sweeps; not a hot path).
    func liveSlots() -> [UInt32] {
        var slots: [UInt32] = []
        for slot in 0..<highWater where record(slot).pointee.state != .free { slots.append(slot) }
        return slots
    }

    var allocatedBytes: Int {
        pages.count * FlowTable.pageSize * MemoryLayout<FlowRecord>.stride + bucketCount * 8
            + order.allocatedBytes + pages.capacity * MemoryLayout<UnsafeMutablePointer<FlowRecord>>.stride
    }

    var recordBytes: Int { pages.count * FlowTable.pageSize * MemoryLayout<FlowRecord>.stride }
    var indexBytes: Int { bucketCount * 8 }
    var orderBytes: Int { order.allocatedBytes }

    private mutating func appendOrder(_ slot: UInt32) {
        order.append(OrderEntry(slot: slot, stamp: UInt32(truncatingIfNeeded: record(slot).pointee.firstTime)))
        if order.count > 2 * count + 1024 {
            let pages = self.pages
            order.retain { entry in
                let pointer = pages[Int(entry.slot >> UInt32(FlowTable.pageShift))]
                    + Int(entry.slot & UInt32(FlowTable.pageSize - 1))
                return pointer.pointee.state != .free
                    && UInt32(truncatingIfNeeded: pointer.pointee.firstTime) == entry.stamp
            }
        }
    }

    private mutating func place(tag: UInt32, slot: UInt32) {
        let mask = bucketCount - 1
        var index = home(tag)
        while buckets[index] != 0 { index = (index + 1) & mask }
        buckets[index] = UInt64(tag) << 32 | UInt64(slot + 1)
    }

    private mutating func growIndex() {
        let old = buckets
        let oldCount = bucketCount
        bucketCount *= 2
        bucketShift -= 1
        buckets = .allocate(capacity: bucketCount)
        buckets.initialize(repeating: 0, count: bucketCount)
        for index in 0..<oldCount where old[index] != 0 {
            let entry = old[index]
            place(tag: UInt32(truncatingIfNeeded: entry >> 32), slot: UInt32(truncatingIfNeeded: entry) &- 1)
        }
        old.deallocate()
    }
}
