/// Creating, restarting and forgetting flows, and keeping each listener's
/// counts equal to what its flows contribute. Every change to a count goes
/// through here, so freshness, unknowns and pending queue checks stay exact.
extension ModelCore {
    typealias FlowPointer = UnsafeMutablePointer<FlowRecord>
    typealias ListenerPointer = UnsafeMutablePointer<ListenerRecord>

    @inline(__always)
    func listener(_ slot: UInt32) -> ListenerPointer { listeners.record(slot) }

    @inline(__always)
    func isFresh(_ flow: FlowPointer, _ listener: ListenerPointer) -> Bool {
        flow.pointee.epoch >= listener.pointee.freshSince
    }

    @inline(__always)
    func isOld(_ flow: FlowPointer) -> Bool { !isFresh(flow, listener(flow.pointee.listener)) }

    /// A new flow record for `key`, evicting or refusing per policy when full.
    /// `trusted: false` creates it already old: its history has a gap.
    mutating func createFlow(
        _ lookup: FlowLookup, listenerSlot: UInt32, event: KernelEvent, trusted: Bool = true
    ) -> UInt32? {
        if flows.isFull {
            switch configuration.evictionPolicy {
            case .refuseNew:
                tallies.refusedFlows &+= 1
                noteEviction(of: listenerSlot)
                return nil
            case .evictOldest:
                guard let victim = flows.oldest() else { return nil }
                evict(victim)
            }
        }
        guard
            let slot = flows.insert(
                lookup.key, hash: lookup.hash, listener: listenerSlot, epoch: trusted ? epoch : 0, time: event.timestamp)
        else { return nil }
        listener(listenerSlot).pointee.flowCount += 1
        noteStep(flows.record(slot), event)
        return slot
    }

    /// Reuses a record for a new attempt on the same 4-tuple (the previous one
    /// left no counts behind), possibly for another listener.
    mutating func restartFlow(_ slot: UInt32, listenerSlot: UInt32, event: KernelEvent, trusted: Bool = true) {
        let flow = flows.record(slot)
        clearTolerances(flow)
        if flow.pointee.listener != listenerSlot {
            let previous = flow.pointee.listener
            listener(previous).pointee.flowCount -= 1
            listeners.releaseIfUnused(previous)
            listener(listenerSlot).pointee.flowCount += 1
            flow.pointee.listener = listenerSlot
        }
        flow.pointee.flags = []
        flow.pointee.race = 0
        flow.pointee.retransmits = 0
        flow.pointee.identity = 0
        flow.pointee.childState = 0
        flow.pointee.epoch = trusted ? epoch : 0
        flow.pointee.figureAccept = FlowRecord.noFigure
        flow.pointee.figureRequest = FlowRecord.noFigure
        flow.pointee.generation &+= 1
        flows.restart(slot, time: event.timestamp)
        noteStep(flow, event)
    }

    /// Forgets a flow. Counts are not touched: callers uncount first when
    /// the kernel's queues changed (see `leaveInferred`).
    mutating func dropFlow(_ slot: UInt32) {
        let flow = flows.record(slot)
        clearTolerances(flow)
        let listenerSlot = flow.pointee.listener
        flows.remove(slot)
        listener(listenerSlot).pointee.flowCount -= 1
        listeners.releaseIfUnused(listenerSlot)
    }

    /// The flow left the kernel's queues by an inference (expiry, a settled
    /// decision): it gives its counts back (an old flow's listener re-reads
    /// its queues, see below).
    mutating func leaveInferred(_ slot: UInt32) {
        let flow = flows.record(slot)
        recentlyEnded[recentlyEndedNext] = (flows.hash(flow.pointee.key), now)
        recentlyEndedNext = (recentlyEndedNext + 1) % recentlyEnded.count
        uncountRequest(flow)
        uncountChild(flow)
        dropFlow(slot)
    }

    @inline(__always)
    func noteStep(_ flow: FlowPointer, _ event: KernelEvent) {
        // A step inside a span of lost events: the flow's other steps may
        // be among them, so its history has a gap.
        if event.timestamp <= lossHorizon { flow.pointee.epoch = 0 }
        flow.pointee.stepTime = event.timestamp
        flow.pointee.stepKind = event.kind.rawValue
        flow.pointee.stepHook = event.hook.rawValue
        flow.pointee.stepCPU = UInt16(truncatingIfNeeded: event.cpu)
        flow.pointee.windowCounts = 0
    }

    @inline(__always)
    func noteFigures(_ flow: FlowPointer, _ event: KernelEvent) {
        if event.flags.contains(.queuesValid) {
            flow.pointee.figureAccept = event.queues.acceptQueue
            flow.pointee.figureRequest = event.queues.requestQueue
        } else {
            flow.pointee.figureAccept = FlowRecord.noFigure
            flow.pointee.figureRequest = FlowRecord.noFigure
        }
    }

    // MARK: Counts
    //
    // A fresh flow's step moves the counts exactly. An old flow's step (its
    // history has a gap: a loss, an eviction, a divergence) moves them too,
    // but the model cannot tell whether the kernel's counts still held that
    // flow when it last re-based them, so the listener re-reads its queues
    // (`beginRecount`) before asserting anything again.

    mutating func countRequest(_ flow: FlowPointer) { adjustCount(flow, .countsRequest, requests: 1) }

    mutating func uncountRequest(_ flow: FlowPointer) { adjustCount(flow, .countsRequest, requests: -1) }

    mutating func countChild(_ flow: FlowPointer) { adjustCount(flow, .countsChild, children: 1) }

    mutating func uncountChild(_ flow: FlowPointer) { adjustCount(flow, .countsChild, children: -1) }

    /// Gives a flow its place in its listener's count of requests or
    /// children (`flag` says it holds one), or takes it back: at most once
    /// each way, so a step seen twice never counts twice.
    private mutating func adjustCount(_ flow: FlowPointer, _ flag: FlowFlags, requests: Int64 = 0, children: Int64 = 0) {
        let adding = requests + children > 0
        guard flow.pointee.flags.contains(flag) != adding else { return }
        if adding { flow.pointee.flags.insert(flag) } else { flow.pointee.flags.remove(flag) }
        let owner = listener(flow.pointee.listener)
        guard owner.pointee.isOpen else { return }
        owner.pointee.requests += requests
        owner.pointee.children += children
        activity.touch(flow.pointee.listener)
        if children > 0 { owner.pointee.recentChildren.note(now, cpu: eventCPU) }
        if isFresh(flow, owner) {
            owner.pointee.freshRequests += requests
            owner.pointee.freshChildren += children
        } else {
            beginRecount(owner)
        }
        widenCheck(owner, requests: requests, children: children)
    }

    /// Names one of the listener's unknown requests: the flow takes it over
    /// (and its place in the count) instead of adding to it.
    mutating func claimUnknownRequest(_ flow: FlowPointer) -> Bool {
        claimUnknown(flow, from: \.unknownRequests, counting: .countsRequest, fresh: \.freshRequests)
    }

    /// The same for one of the listener's unknown children.
    mutating func claimUnknownChild(_ flow: FlowPointer) -> Bool {
        claimUnknown(flow, from: \.unknownChildren, counting: .countsChild, fresh: \.freshChildren)
    }

    private mutating func claimUnknown(
        _ flow: FlowPointer, from unknown: WritableKeyPath<ListenerRecord, Int64>, counting flag: FlowFlags,
        fresh: WritableKeyPath<ListenerRecord, Int64>
    ) -> Bool {
        let owner = listener(flow.pointee.listener)
        guard owner.pointee[keyPath: unknown] > 0, !flow.pointee.flags.contains(flag) else { return false }
        owner.pointee[keyPath: unknown] -= 1
        flow.pointee.flags.insert(flag)
        if isFresh(flow, owner) { owner.pointee[keyPath: fresh] += 1 }
        return true
    }

    /// Undoes `claimUnknownChild` after the claiming flow's child was taken
    /// off the queue (accept): the unknown child it named is still queued.
    mutating func returnUnknownChild(_ flow: FlowPointer) {
        let owner = listener(flow.pointee.listener)
        guard owner.pointee.isOpen, !owner.pointee.isResyncing else { return }
        owner.pointee.unknownChildren += 1
        owner.pointee.children += 1
        activity.touch(flow.pointee.listener)
        widenCheck(owner, requests: 0, children: 1)
    }

    // MARK: Tolerances

    /// The kernel may already have dropped this flow's request silently.
    mutating func setMayHaveLeft(_ flow: FlowPointer, _ on: Bool) {
        guard flow.pointee.flags.contains(.mayHaveLeft) != on else { return }
        let owner = listener(flow.pointee.listener)
        if on {
            flow.pointee.flags.insert(.mayHaveLeft)
            owner.pointee.mayHaveLeft += 1
            // It may have left just after an open check's reading, too.
            widenCheck(owner, requests: -1, children: 0)
        } else {
            flow.pointee.flags.remove(.mayHaveLeft)
            owner.pointee.mayHaveLeft -= 1
        }
    }

    /// The kernel may still hold a request the model has removed.
    mutating func setMayRemain(_ flow: FlowPointer, _ on: Bool) {
        guard flow.pointee.flags.contains(.mayRemain) != on else { return }
        let owner = listener(flow.pointee.listener)
        if on {
            flow.pointee.flags.insert(.mayRemain)
            owner.pointee.mayRemain += 1
            widenCheck(owner, requests: 1, children: 0)
        } else {
            flow.pointee.flags.remove(.mayRemain)
            owner.pointee.mayRemain -= 1
        }
    }

    func clearTolerances(_ flow: FlowPointer) {
        let owner = listener(flow.pointee.listener)
        if flow.pointee.flags.contains(.mayHaveLeft) { owner.pointee.mayHaveLeft -= 1 }
        if flow.pointee.flags.contains(.mayRemain) { owner.pointee.mayRemain -= 1 }
        flow.pointee.flags.remove([.mayHaveLeft, .mayRemain])
    }

    /// Whether the request may expire at its next timer (reqsk_timer_handler
    /// never expires one with fewer retransmits).
    @inline(__always)
    func isExpiryEligible(_ flow: FlowPointer) -> Bool {
        let retries = kernel(of: flow.pointee.listener).synAckRetries
        return Int(flow.pointee.retransmits) >= min(2, max(0, retries))
    }

    /// The sysctls of the listener's network namespace (each namespace is
    /// judged with its own), or the configured ones when it is unknown.
    @inline(__always)
    func kernel(of slot: UInt32) -> KernelSettings {
        kernel(of: listener(slot))
    }

    @inline(__always)
    func kernel(of owner: ListenerPointer) -> KernelSettings {
        namespaceSettings.isEmpty ? configuration.kernel : namespaceSettings[owner.pointee.netns] ?? configuration.kernel
    }
}
