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

    private let lanes: UnsafeMutablePointer<RingStorage<Deadline>>
    /// The earliest due time over all lane heads (UInt64.max when empty).
    private(set) var nextDue: UInt64 = .max

    init() {
        lanes = .allocate(capacity: Lane.allCases.count)
        for lane in Lane.allCases { (lanes + lane.rawValue).initialize(to: RingStorage()) }
    }

    deinit {
        for lane in Lane.allCases { lanes[lane.rawValue].release() }
        lanes.deallocate()
    }

    mutating func schedule(_ lane: Lane, slot: UInt32, generation: UInt32, due: UInt64) {
        lanes[lane.rawValue].append(Deadline(slot: slot, generation: generation, due: due))
        if due < nextDue { nextDue = due }
    }

    /// Removes and returns the earliest head that is due at `now`, if any.
    mutating func popDue(at now: UInt64) -> (lane: Lane, deadline: Deadline)? {
        guard nextDue <= now else { return nil }
        var best: Lane?
        var bestDue = UInt64.max
        for lane in Lane.allCases {
            if let head = lanes[lane.rawValue].first, head.due <= now, head.due < bestDue {
                best = lane
                bestDue = head.due
            }
        }
        guard let lane = best else {
            recomputeNextDue()
            return nil
        }
        let deadline = lanes[lane.rawValue].removeFirst()
        recomputeNextDue()
        return (lane, deadline)
    }

    /// Removes and returns the head of one lane regardless of time (finish()).
    mutating func popFirst(_ lane: Lane) -> Deadline? {
        guard !lanes[lane.rawValue].isEmpty else { return nil }
        let deadline = lanes[lane.rawValue].removeFirst()
        recomputeNextDue()
        return deadline
    }

    var count: Int { Lane.allCases.reduce(0) { $0 + lanes[$1.rawValue].count } }
    var allocatedBytes: Int {
        Lane.allCases.reduce(0) { $0 + lanes[$1.rawValue].allocatedBytes }
    }

    private mutating func recomputeNextDue() {
        var due = UInt64.max
        for lane in Lane.allCases {
            if let head = lanes[lane.rawValue].first, head.due < due { due = head.due }
        }
        nextDue = due
    }
}
