/// The tracked listeners: plain records in one growable buffer, found by
/// kernel id (with a one-entry cache: consecutive events are mostly for the
/// same listener) and, for records that carry no id, by bound address.
struct ListenerTable: ~Copyable {
    let limit: Int
    private var records: UnsafeMutablePointer<ListenerRecord>
    private var capacity: Int
    private var highWater = 0
    private var freeSlots: [UInt32] = []
    private var byID: [UInt64: UInt32] = [:]
    /// Slot per bound address, with how many open listeners share it
    /// (SO_REUSEPORT): a shared address names no single listener.
    private var byAddress: [ListenerAddress: (slot: UInt32, sharers: Int)] = [:]
    private var cachedID: UInt64 = 0
    private var cachedSlot: UInt32 = 0
    private(set) var count = 0

    init(limit: Int) {
        self.limit = max(1, limit)
        capacity = 16
        records = .allocate(capacity: capacity)
    }

    deinit { records.deallocate() }

    @inline(__always)
    func record(_ slot: UInt32) -> UnsafeMutablePointer<ListenerRecord> { records + Int(slot) }

    @inline(__always)
    mutating func slot(id: UInt64) -> UInt32? {
        if id == cachedID && id != 0 { return cachedSlot }
        // 0 (unknown) is never indexed: no need to hash it.
        guard id != 0, let slot = byID[id] else { return nil }
        cachedID = id
        cachedSlot = slot
        return slot
    }

    var isFull: Bool { count >= limit }

    /// Whether `slot` has ever held a listener (a freed one still holds its record).
    func hasHeld(_ slot: UInt32) -> Bool { Int(slot) < highWater }

    /// The freed slot the next `add` reuses, if any.
    var nextReusedSlot: UInt32? { freeSlots.last }

    /// Adds a listener and indexes it by id; nil at the listener limit.
    mutating func add(_ listener: ListenerRecord) -> UInt32? {
        let slot: UInt32
        if let reused = freeSlots.popLast() {
            slot = reused
        } else {
            guard highWater < limit else { return nil }
            if highWater == capacity {
                let bigger = UnsafeMutablePointer<ListenerRecord>.allocate(capacity: capacity * 2)
                bigger.moveInitialize(from: records, count: highWater)
                records.deallocate()
                records = bigger
                capacity *= 2
            }
            slot = UInt32(highWater)
            highWater += 1
        }
        (records + Int(slot)).initialize(to: listener)
        count += 1
        if listener.id != 0 {
            if let previous = byID[listener.id] { record(previous).pointee.isIndexed = false }
            byID[listener.id] = slot
            if cachedID == listener.id { cachedSlot = slot }
        } else {
            record(slot).pointee.isIndexed = false
        }
        return slot
    }

    /// Frees a closed listener no flow refers to any more. Its record stays
    /// as it was (id included) until the slot is reused: the model hands it
    /// over as forgotten then (`ShadowModel.takeListenerChanges`).
    mutating func releaseIfUnused(_ slot: UInt32) {
        let pointer = record(slot)
        guard !pointer.pointee.isOpen, pointer.pointee.flowCount == 0, !pointer.pointee.isIndexed else { return }
        pointer.pointee.inUse = false
        freeSlots.append(slot)
        count -= 1
    }

    /// Drops a closed listener from the id index (to make room), then frees it.
    mutating func retire(_ slot: UInt32) {
        let pointer = record(slot)
        if pointer.pointee.isIndexed, byID[pointer.pointee.id] == slot {
            byID[pointer.pointee.id] = nil
            if cachedID == pointer.pointee.id { cachedID = 0 }
        }
        pointer.pointee.isIndexed = false
        releaseIfUnused(slot)
    }

    /// A closed listener with no flows left, to make room for a new one.
    func reclaimable() -> UInt32? {
        for index in 0..<highWater {
            let pointer = records + index
            if pointer.pointee.inUse && !pointer.pointee.isOpen && pointer.pointee.flowCount == 0 {
                return UInt32(index)
            }
        }
        return nil
    }

    mutating func indexAddress(_ slot: UInt32) {
        let key = addressKey(slot)
        if let existing = byAddress[key] {
            byAddress[key] = (existing.slot, existing.sharers + 1)
        } else {
            byAddress[key] = (slot, 1)
        }
    }

    mutating func unindexAddress(_ slot: UInt32) {
        let key = addressKey(slot)
        guard let existing = byAddress[key] else { return }
        if existing.sharers <= 1 {
            byAddress[key] = nil
            return
        }
        // Find the remaining sharer again (rare: SO_REUSEPORT groups).
        var remaining = existing.slot
        if remaining == slot {
            for index in 0..<highWater where UInt32(index) != slot {
                let other = records + index
                if other.pointee.isOpen && other.pointee.addressKnown && addressKey(UInt32(index)) == key {
                    remaining = UInt32(index)
                    break
                }
            }
        }
        byAddress[key] = (remaining, existing.sharers - 1)
    }

    /// The one open listener bound where `flow` arrived: the exact address,
    /// the wildcard, then (for IPv4 flows) a dual-stack IPv6 wildcard.
    func slot(servingLocalSideOf flow: FlowKey) -> UInt32? {
        let zero = IPAddress(high: 0, low: 0)
        var candidates = [
            ListenerAddress(netns: flow.netns, family: flow.family, address: flow.localAddress, port: flow.localPort),
            ListenerAddress(netns: flow.netns, family: flow.family, address: zero, port: flow.localPort),
        ]
        if flow.family == .ipv4 {
            candidates.append(ListenerAddress(netns: flow.netns, family: .ipv6, address: zero, port: flow.localPort))
        }
        for key in candidates {
            if let entry = byAddress[key] { return entry.sharers == 1 ? entry.slot : nil }
        }
        return nil
    }

    /// Every slot in use, in slot order.
    var liveSlots: [UInt32] {
        (0..<highWater).compactMap { index in (records + index).pointee.inUse ? UInt32(index) : nil }
    }

    var allocatedBytes: Int {
        capacity * MemoryLayout<ListenerRecord>.stride + byID.capacity * 16 + byAddress.capacity * 48
    }

    private func addressKey(_ slot: UInt32) -> ListenerAddress {
        let pointer = record(slot)
        return ListenerAddress(
            netns: pointer.pointee.netns, family: pointer.pointee.family, address: pointer.pointee.address,
            port: pointer.pointee.port)
    }
}
