/// Tracepoint tier: the probe reads the accept queue when a segment reaches
/// the listener; the kernel tests it a few microseconds later in the same
/// softirq. A child queued, or taken by accept(), on another CPU in between
/// can turn the kernel's answer the other way (a cookie becomes an overflow,
/// a failed cookie a valid one dropped on a full queue). When the model's
/// own events show that could have happened, the verdict is undecidable: no
/// finding is given, and each side's counters are claimed as ambiguous, so
/// the counters cross-check and `validate` accept the kernel's figure
/// anywhere between the two. The function tiers read the return instead.
extension ModelCore {
    /// A floor for the same-softirq step before any has been measured.
    static let minimumRaceStep: UInt64 = 50_000

    /// Only other CPUs count: the step's own CPU finishes its softirq, check
    /// included, before it records anything else.
    /// From the step's reading to the latest moment another CPU's change
    /// could still have come before the kernel's check: the check is at most
    /// one same-softirq step after the reading, and that CPU's record at
    /// most one step after its change.
    private func raceWindow(of flow: FlowPointer) -> ClosedRange<UInt64> {
        let start = flow.pointee.stepTime
        return start...(start &+ max(slowestSoftirqStep, Self.minimumRaceStep) &* 2)
    }

    /// The reading showed room, but children queued on other CPUs right after
    /// it could have filled the queue before the kernel's check.
    func acceptQueueMayHaveFilled(_ flow: FlowPointer, accept: Int64, limit: Int64) -> Bool {
        guard !observesFunctions, accept <= limit, listener(flow.pointee.listener).pointee.limitKnown else { return false }
        let queued = listener(flow.pointee.listener).pointee.recentChildren.count(
            in: raceWindow(of: flow), otherThan: flow.pointee.stepCPU)
        return accept + Int64(queued) > limit
    }

    /// The reading showed a full queue, but accept() on other CPUs right
    /// after it could have made room before the kernel's check.
    func acceptQueueMayHaveDrained(_ flow: FlowPointer, accept: Int64, limit: Int64) -> Bool {
        guard !observesFunctions, accept > limit, listener(flow.pointee.listener).pointee.limitKnown else { return false }
        let taken = listener(flow.pointee.listener).pointee.recentAccepts.count(
            in: raceWindow(of: flow), otherThan: flow.pointee.stepCPU)
        return accept - Int64(taken) <= limit
    }

    /// One of two verdicts happened and the stream cannot tell which.
    mutating func undecidable(_ slot: UInt32, either first: [KernelCounter], or second: [KernelCounter]) {
        let flow = flows.record(slot)
        let owner = listener(flow.pointee.listener)
        tallies.racedVerdicts &+= 1
        let counters = Array(Set(first + second))
        for counter in counters { tallies.racedClaims[counter, default: 0] &+= 1 }
        if ledger?.netns == owner.pointee.netns, !isOld(flow) {
            ledger?.claimPossibly(counters, at: flow.pointee.stepTime)
        }
    }
}
