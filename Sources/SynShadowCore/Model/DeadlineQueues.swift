/// The model's timers: one FIFO per kind of wait. Each FIFO receives waits of
/// one fixed length in event-time order, so its head is always the next one
/// due: O(1) scheduling and expiry with no heap, no per-event allocation.
struct DeadlineQueues: ~Copyable {
    /// What a queue waits for; the raw value is its index.
    enum Lane: Int, CaseIterable {
        /// Tracepoint tier: a step's race window closes (ahead of its settle
        /// decision, which it must precede when both fall due at once).
        case raceWindow = 0
        /// Settle-window decisions: "nothing followed this step".
        case settle
        /// Accepted flows kept briefly to catch double accepts and late children.
        case accepted
        /// Syncookie flows waiting for their ACK.
        case cookie
        /// Snapshot requests of unknown age: released at the longest lifetime.
        case snapshotRequest
        /// Function tiers: a step waiting for the return that decides it.
        case exitWait
        /// Request timers after 0...7+ SYN-ACK retransmits.
        case retransmit0, retransmit1, retransmit2, retransmit3, retransmit4, retransmit5, retransmit6, retransmit7

        static func retransmit(_ count: Int) -> Lane {
            Lane(rawValue: Lane.retransmit0.rawValue + min(max(count, 0), 7))!
        }

        var retransmitCount: Int? {
            rawValue >= Lane.retransmit0.rawValue ? rawValue - Lane.retransmit0.rawValue : nil
        }
    }

    /// How many lanes there are (a computed constant: no lazy global, no array).
    static var laneCount: Int { Lane.retransmit7.rawValue + 1 }

    private let lanes: UnsafeMutablePointer<RingStorage<Deadline>>
    /// Each lane's head due time (UInt64.max when empty), kept beside the
    /// lanes so that finding the next one due reads one short array instead
    /// of every lane's storage: this runs for nearly every event.
    private let headDues: UnsafeMutablePointer<UInt64>
    /// Bit i set: lane i holds deadlines. A step uses a handful of the
    /// fourteen lanes, so the search visits only those.
    private var occupied: UInt32 = 0
    /// The earliest due time over all lane heads (UInt64.max when empty).
    private(set) var nextDue: UInt64 = .max

    init() {
        lanes = .allocate(capacity: Self.laneCount)
        headDues = .allocate(capacity: Self.laneCount)
        for index in 0..<Self.laneCount {
            (lanes + index).initialize(to: RingStorage())
            (headDues + index).initialize(to: .max)
        }
    }

    deinit {
        for index in 0..<Self.laneCount { lanes[index].release() }
        lanes.deallocate()
        headDues.deallocate()
    }

    @inline(__always)
    mutating func schedule(_ lane: Lane, slot: UInt32, generation: UInt32, due: UInt64) {
        let index = lane.rawValue
        lanes[index].append(Deadline(slot: slot, generation: generation, due: due))
        if occupied & (1 << index) == 0 {
            occupied |= 1 << index
            headDues[index] = due
        }
        if due < nextDue { nextDue = due }
    }

    /// Removes and returns the earliest head that is due at `now`, if any
    /// (the lowest lane first when heads are due at the same time).
    mutating func popDue(at now: UInt64) -> (lane: Lane, deadline: Deadline)? {
        guard nextDue <= now else { return nil }
        // One pass finds the earliest head and the earliest of the others,
        // which is the next due time unless the popped lane's new head is earlier.
        var best = -1
        var bestDue = UInt64.max
        var otherDue = UInt64.max
        var remaining = occupied
        while remaining != 0 {
            let index = remaining.trailingZeroBitCount
            remaining &= remaining &- 1
            let due = headDues[index]
            if due < bestDue {
                otherDue = bestDue
                bestDue = due
                best = index
            } else if due < otherDue {
                otherDue = due
            }
        }
        guard bestDue <= now else {
            nextDue = bestDue
            return nil
        }
        let deadline = removeHead(best)
        nextDue = min(otherDue, headDues[best])
        return (Lane(rawValue: best)!, deadline)
    }

    /// Removes and returns the head of one lane regardless of time (finish()).
    mutating func popFirst(_ lane: Lane) -> Deadline? {
        guard !lanes[lane.rawValue].isEmpty else { return nil }
        let deadline = removeHead(lane.rawValue)
        recomputeNextDue()
        return deadline
    }

    var count: Int { (0..<Self.laneCount).reduce(0) { $0 + lanes[$1].count } }
    var allocatedBytes: Int {
        (0..<Self.laneCount).reduce(0) { $0 + lanes[$1].allocatedBytes } + Self.laneCount * 8
    }

    /// Takes a lane's head and notes its new one.
    private mutating func removeHead(_ index: Int) -> Deadline {
        let deadline = lanes[index].removeFirst()
        if let head = lanes[index].first {
            headDues[index] = head.due
        } else {
            headDues[index] = .max
            occupied &= ~(1 << index)
        }
        return deadline
    }

    private mutating func recomputeNextDue() {
        var due = UInt64.max
        for index in 0..<Self.laneCount where headDues[index] < due { due = headDues[index] }
        nextDue = due
    }
}
