/// Tracepoint tier: the probe reads the accept queue when a segment reaches
/// the listener; the kernel tests it a few microseconds later in the same
/// softirq. A child queued, or taken by accept(), on another CPU in between
/// can turn the kernel's answer the other way (a cookie becomes an overflow,
/// a failed cookie a valid one dropped on a full queue). When the model's
/// own events show that could have happened, the verdict is undecidable: no
/// finding is given, and each side's counters are claimed as ambiguous, so
/// the counters cross-check and `validate` accept the kernel's figure
/// anywhere between the two — until the flow's next segment tells (a cookie
/// SYN is answered by the client's ACK, a dropped one is resent; a dropped
/// cookie ACK is followed by more of the client's segments, a failed one by
/// none: the client got a RST). The function tiers read the return instead.
enum Race: UInt8 {
    case none = 0
    /// A SYN: a cookie was sent, or the accept queue overflowed.
    case cookieOrOverflow = 1
    /// A syncookie ACK: the cookie failed, or it was valid and dropped on a full accept queue.
    case failedOrDropped = 2
    /// A request's ACK: ignored, or dropped on a full accept queue.
    case ignoredOrDropped = 3
    /// A SYN dropped with room in both queues, or on a full accept queue.
    case droppedOrOverflow = 4
}

extension ModelCore {
    /// A floor for the same-softirq step before any has been measured.
    static let minimumRaceStep: UInt64 = 50_000

    /// From the step's reading to the latest moment another CPU's change
    /// could still have come before the kernel's check: the check is at most
    /// one same-softirq step after the reading, and that CPU's record at
    /// most one step after its change — unless the listener was locked by
    /// accept() and the segment waited in its backlog, so at least the
    /// configured cross-CPU skew (`raceWindow`, 5 ms; 100 ms in a guest).
    /// Only other CPUs count: the step's own CPU finishes its softirq, check
    /// included, before it records anything else.
    private func raceWindow(of flow: FlowPointer) -> ClosedRange<UInt64> {
        let start = flow.pointee.stepTime
        // A damaged stream's step latencies can stretch the span past the
        // clock's end: the window stops there instead of wrapping (a crash).
        let (end, overflow) = start.addingReportingOverflow(raceSpan)
        return start...(overflow ? .max : end)
    }

    /// The length of a step's race window (see `raceWindow(of:)`).
    @inline(__always)
    var raceSpan: UInt64 {
        max(max(slowestSoftirqStep, Self.minimumRaceStep) &* 2, configuration.raceWindow)
    }

    /// Waits for the step's verdict: the settle window, and in the
    /// tracepoint tier the close of its race window before it.
    mutating func scheduleSettle(_ flow: FlowPointer, slot: UInt32, from time: UInt64) {
        schedule(.settle, flow, slot: slot, due: time &+ verdictWait)
        guard !observesFunctions else { return }
        // One FIFO: dues never go back (the span only grows).
        let due = max(flow.pointee.stepTime &+ raceSpan, lastRaceWindowDue)
        lastRaceWindowDue = due
        deadlines.schedule(.raceWindow, slot: slot, generation: flow.pointee.generation, due: due)
    }

    /// The step's race window has closed: count what other CPUs did in it
    /// now, while the listener's recent instants still cover it. The verdict
    /// comes later (the settle window is ten times longer on the host), when
    /// a busy listener's instants have long moved past the window.
    mutating func closeRaceWindow(_ slot: UInt32) {
        let flow = flows.record(slot)
        let window = raceWindow(of: flow)
        guard window.upperBound <= now else { return }  // the span grew: counted live at the verdict
        let owner = listener(flow.pointee.listener)
        let cpu = flow.pointee.stepCPU
        flow.pointee.windowCounts = WindowCounts(
            children: owner.pointee.recentChildren.count(in: window, otherThan: cpu),
            accepts: owner.pointee.recentAccepts.count(in: window, otherThan: cpu)
        ).rawValue
    }

    /// Children queued on other CPUs in the step's race window: as counted
    /// when it closed; while it is still open (the flow's next segment came
    /// first and asks for a verdict now), records yet to come may fall in
    /// it, so "many".
    private func childrenInWindow(_ flow: FlowPointer) -> Int {
        inWindow(flow, counted: \.children, instants: \.recentChildren)
    }

    /// The same for children accepted on other CPUs.
    private func acceptsInWindow(_ flow: FlowPointer) -> Int {
        inWindow(flow, counted: \.accepts, instants: \.recentAccepts)
    }

    private func inWindow(
        _ flow: FlowPointer, counted: KeyPath<WindowCounts, Int>, instants: KeyPath<ListenerRecord, RecentInstants>
    ) -> Int {
        let counts = WindowCounts(rawValue: flow.pointee.windowCounts)
        if counts.isCounted { return counts[keyPath: counted] }
        if raceWindowIsOpen(flow) { return RecentInstants.many }
        return listener(flow.pointee.listener).pointee[keyPath: instants].count(
            in: raceWindow(of: flow), otherThan: flow.pointee.stepCPU)
    }

    /// The stream has not yet passed the end of the step's race window (at
    /// the end of the stream nothing more can come: it is closed).
    func raceWindowIsOpen(_ flow: FlowPointer) -> Bool {
        !finishing && raceWindow(of: flow).upperBound > now
    }

    /// The reading showed room, but children queued on other CPUs right after
    /// it could have filled the queue before the kernel's check. In the
    /// function tiers, the return's reading (`exit`, right after the check)
    /// says whether the queue was full by then.
    func acceptQueueMayHaveFilled(_ flow: FlowPointer, accept: Int64, limit: Int64, exit: KernelEvent? = nil) -> Bool {
        guard accept <= limit, listener(flow.pointee.listener).pointee.limitKnown else { return false }
        if observesFunctions {
            guard let exit, exit.flags.contains(.queuesValid) else { return false }
            return Int64(exit.queues.acceptQueue) > limit
        }
        return accept + Int64(childrenInWindow(flow)) > limit
    }

    /// The reading showed a full queue, but accept() on other CPUs right
    /// after it could have made room before the kernel's check.
    func acceptQueueMayHaveDrained(_ flow: FlowPointer, accept: Int64, limit: Int64, exit: KernelEvent? = nil) -> Bool {
        guard accept > limit, listener(flow.pointee.listener).pointee.limitKnown else { return false }
        if observesFunctions {
            guard let exit, exit.flags.contains(.queuesValid) else { return false }
            return Int64(exit.queues.acceptQueue) <= limit
        }
        return accept - Int64(acceptsInWindow(flow)) <= limit
    }

    /// One of two verdicts happened and the stream cannot tell which (yet).
    /// `resolvable`: whether the flow's next segment may still tell.
    mutating func undecidable(_ slot: UInt32, _ race: Race, resolvable: Bool = true) {
        let flow = flows.record(slot)
        let owner = listener(flow.pointee.listener)
        tallies.racedVerdicts &+= 1
        let counters = race.counters
        for counter in counters { tallies.racedClaims[counter, default: 0] &+= 1 }
        if ledger?.netns == owner.pointee.netns, !isOld(flow) {
            ledger?.claimPossibly(counters, at: flow.pointee.stepTime)
        }
        flow.pointee.race = resolvable ? race.rawValue : 0
    }

    /// The flow's next segment arrived: its pending race, if any, is decided
    /// by it (`followedBy`: .ack or .syn), with a finding at the raced step's
    /// time. Call before the segment's own step is noted.
    mutating func resolveRace(_ slot: UInt32, followedBy next: EventKind) {
        let flow = flows.record(slot)
        guard let race = Race(rawValue: flow.pointee.race), race != .none else { return }
        flow.pointee.race = 0
        let verdict: FindingKind?
        switch (race, next) {
        case (.cookieOrOverflow, .ack): verdict = .syncookieSent
        case (.cookieOrOverflow, .syn): verdict = .synDroppedAcceptQueueFull
        case (.failedOrDropped, .ack): verdict = .ackDroppedAcceptQueueFull
        default: verdict = nil
        }
        guard let verdict else { return }
        let owner = listener(flow.pointee.listener)
        tallies.racedVerdicts &-= 1
        for counter in race.counters { tallies.racedClaims[counter, default: 0] &-= 1 }
        if ledger?.netns == owner.pointee.netns, !isOld(flow) {
            ledger?.withdrawPossibly(race.counters, at: flow.pointee.stepTime)
        }
        let key = flow.pointee.key
        let stepEvidence = flowEvidence(flow)
        let limit = owner.pointee.limit
        switch verdict {
        case .syncookieSent:
            owner.pointee.lastCookieTime = now
            report(.syncookieSent, listener: flow.pointee.listener, flow: key, flowIsOld: isOld(flow),
                evidence: { [stepEvidence] }) {
                "syncookie sent to \(FlowSummary(key)) (the client's ACK shows it; another CPU queued a child"
                    + " as the SYN was read, so the accept queue could have been full)"
            }
        case .synDroppedAcceptQueueFull:
            report(.synDroppedAcceptQueueFull, listener: flow.pointee.listener, flow: key, flowIsOld: isOld(flow),
                evidence: { [stepEvidence] }) {
                "SYN \(FlowSummary(key)) dropped: accept queue full (limit \(limit)), filled by another CPU right"
                    + " after the SYN was read (the client resent it)"
            }
        default:
            report(.ackDroppedAcceptQueueFull, listener: flow.pointee.listener, flow: key, flowIsOld: isOld(flow),
                alsoCounts: [.syncookiesReceived], evidence: { [stepEvidence] }) {
                "syncookie ACK from \(FlowSummary(key)) dropped: accept queue full (limit \(limit)), filled by another"
                    + " CPU right after the ACK was read (the client kept sending); its cookie was valid"
            }
        }
    }
}

extension Race {
    /// Both sides' counters (each moved by one side only).
    var counters: [KernelCounter] {
        let sides: [FindingKind]
        var extra: [KernelCounter] = []
        switch self {
        case .none: return []
        case .cookieOrOverflow: sides = [.syncookieSent, .synDroppedAcceptQueueFull]
        case .failedOrDropped:
            sides = [.syncookieFailed, .ackDroppedAcceptQueueFull]
            extra = [.syncookiesReceived]
        case .ignoredOrDropped: sides = [.ackIgnored, .ackDroppedAcceptQueueFull]
        case .droppedOrOverflow: sides = [.synDropped, .synDroppedAcceptQueueFull]
        }
        return Array(Set(sides.flatMap(\.counters) + extra)).sorted { $0.rawValue < $1.rawValue }
    }
}

/// What other CPUs did in a step's race window, packed into the flow's one
/// spare byte: children queued (bits 0-2) and accepts (bits 3-5), each up to
/// six, seven standing for "seven or more" (as good as unbounded to a
/// verdict); bit 6 says they were counted.
struct WindowCounts {
    var rawValue: UInt8

    private static let counted: UInt8 = 0x40
    private static let saturated = 7

    init(rawValue: UInt8) { self.rawValue = rawValue }

    init(children: Int, accepts: Int) {
        rawValue = Self.counted | UInt8(min(children, Self.saturated))
            | UInt8(min(accepts, Self.saturated)) << 3
    }

    var isCounted: Bool { rawValue & Self.counted != 0 }
    var children: Int { Self.expand(Int(rawValue & 7)) }
    var accepts: Int { Self.expand(Int(rawValue >> 3 & 7)) }

    private static func expand(_ value: Int) -> Int { value == saturated ? RecentInstants.many : value }
}
