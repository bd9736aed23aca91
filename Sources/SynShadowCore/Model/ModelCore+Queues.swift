/// Comparing the kernel's queue figures with the model's counts, and
/// re-synchronising when the model cannot trust its counts.
///
/// Comparison. A probe's figures are read at one point of its step: before it
/// (SYN, ACK, RST, request hashed) or after it (conn_request returned,
/// tcp_check_req returned, child created, accept). Handlers call `observe`
/// at that point, so the model's counts describe the same instant. Figures
/// read on one CPU race with steps on others, so a reading is accepted
/// within a range:
/// - request queue: down by requests that may have left silently
///   (`mayHaveLeft`, unknown requests) and by requests hashed in the last race
///   window (their increment may not be visible yet); up by requests a RST
///   may not have removed (`mayRemain`);
/// - accept queue: exact, but for the threads inside accept() when it was
///   read (the reading carries their number): each may have taken a child
///   no record reports yet (its exit hook comes later, possibly much later
///   if the thread was preempted), or be about to report a child whose
///   creation callback it runs itself (a child owned by the accepting thread
///   is established in its release_sock).
/// A reading outside the range opens a check; every step reported within the
/// race window after it widens the range in its direction (its effect may
/// already have been in the reading). When the window passes and the reading
/// is still outside, the model reports `queue-mismatch`.
///
/// Re-synchronisation. After a loss, an eviction, a divergence, or for a
/// listener first seen mid-stream, the listener is uncertain: no divergence is
/// reported for it. It becomes certain again when two consecutive readings,
/// the first at least a race window after it became uncertain, give the same
/// offset (kernel minus model) for both queues. The model then adopts the
/// kernel's counts; what its own flows do not explain becomes "unknown"
/// requests and children, which later events may name, and unknown requests
/// are written off after the longest request lifetime.
extension ModelCore {
    mutating func observe(_ slot: UInt32, _ event: KernelEvent) {
        guard event.flags.contains(.queuesValid) else { return }
        noteLimit(slot, event)
        activity.noteQueues(slot, event.queues)
        let owner = listener(slot)
        guard owner.pointee.isOpen else { return }
        writeOffUnknownRequests(owner)
        let kernelRequests = Int64(event.queues.requestQueue)
        let kernelChildren = Int64(event.queues.acceptQueue)
        if owner.pointee.isResyncing {
            observeWhileResyncing(owner, requests: kernelRequests, children: kernelChildren)
            return
        }
        let recent = owner.pointee.recentRequests(at: event.timestamp, window: configuration.raceWindow)
        // The tracepoint tier cannot see a request dropped by tcp_req_err (an
        // ICMP error for its SYN-ACK): any queued request may be gone, so a
        // request-queue shortfall is not asserted there (an excess still is).
        let lowRequests = observesFunctions
            ? owner.pointee.requests - owner.pointee.mayHaveLeft - owner.pointee.unknownRequests - recent
            : min(0, owner.pointee.requests)
        let highRequests = owner.pointee.requests + owner.pointee.mayRemain
        let children = owner.pointee.children
        let inFlight = Int64(event.queues.acceptsInFlight)
        let lowChildren = children - inFlight
        let highChildren = children + inFlight
        if kernelRequests >= lowRequests && kernelRequests <= highRequests && kernelChildren >= lowChildren
            && kernelChildren <= highChildren
        {
            return
        }
        guard !owner.pointee.check.isActive else { return }
        owner.pointee.check = QueueCheck(
            isActive: true, openedAt: event.timestamp, openedSequence: sequence, kernelRequests: kernelRequests,
            kernelChildren: kernelChildren, modelRequests: owner.pointee.requests, modelChildren: children,
            lowRequests: lowRequests, highRequests: highRequests, lowChildren: lowChildren, highChildren: highChildren,
            limit: event.queues.acceptQueueLimit, eventKind: event.kind.rawValue, eventHook: event.hook.rawValue)
        pendingChecks.append(slot)
        nextCheckDue = min(nextCheckDue, event.timestamp &+ configuration.raceWindow)
    }

    /// A step the model just applied may already have been in an open
    /// check's reading if it came within the race window.
    mutating func widenCheck(_ owner: ListenerPointer, requests: Int64, children: Int64) {
        guard owner.pointee.check.isActive, sequence > owner.pointee.check.openedSequence,
            now <= owner.pointee.check.openedAt &+ configuration.raceWindow
        else { return }
        if requests < 0 { owner.pointee.check.lowRequests += requests } else { owner.pointee.check.highRequests += requests }
        if children < 0 { owner.pointee.check.lowChildren += children } else { owner.pointee.check.highChildren += children }
        if owner.pointee.check.isSatisfied { owner.pointee.check.isActive = false }
    }

    /// Decides the checks whose race window has passed.
    mutating func settleChecks(until time: UInt64) {
        var nextDue = UInt64.max
        var index = 0
        while index < pendingChecks.count {
            let slot = pendingChecks[index]
            let owner = listener(slot)
            guard owner.pointee.check.isActive else {
                pendingChecks.swapAt(index, pendingChecks.count - 1)
                pendingChecks.removeLast()
                continue
            }
            let due = owner.pointee.check.openedAt &+ configuration.raceWindow
            if due <= time {
                owner.pointee.check.isActive = false
                pendingChecks.swapAt(index, pendingChecks.count - 1)
                pendingChecks.removeLast()
                if !owner.pointee.check.isSatisfied { reportMismatch(slot) }
                continue
            }
            nextDue = min(nextDue, due)
            index += 1
        }
        nextCheckDue = nextDue
    }

    mutating func reportMismatch(_ slot: UInt32) {
        let check = listener(slot).pointee.check
        let evidence = Evidence(
            kind: EventKind(rawValue: check.eventKind) ?? .syn, hook: Hook(rawValue: check.eventHook) ?? .cgroupSkbIngress,
            timestamp: check.openedAt,
            queues: QueueSnapshot(
                acceptQueue: UInt32(clamping: check.kernelChildren), acceptQueueLimit: check.limit,
                requestQueue: UInt32(clamping: check.kernelRequests)))
        let step: HandshakeStep = check.kernelChildren != check.modelChildren ? .accept : .synAck
        report(.queueMismatch, listener: slot, flow: nil, step: step, evidence: { [evidence] }) {
            var parts: [String] = []
            if check.kernelRequests < check.lowRequests || check.kernelRequests > check.highRequests {
                parts.append(
                    "request queue: kernel \(check.kernelRequests), model \(check.modelRequests) (accepted \(check.lowRequests)...\(check.highRequests))")
            }
            if check.kernelChildren < check.lowChildren || check.kernelChildren > check.highChildren {
                parts.append("accept queue: kernel \(check.kernelChildren), model \(check.modelChildren)")
            }
            return parts.joined(separator: "; ")
        }
    }

    /// The listener can no longer trust its counts nor its flows' histories:
    /// the flows it knew become old (their inferences are withheld) and
    /// readings will re-base the counts.
    mutating func enterResync(_ slot: UInt32) {
        let owner = listener(slot)
        guard owner.pointee.isOpen else { return }
        epoch &+= 1
        owner.pointee.freshSince = epoch
        owner.pointee.freshRequests = 0
        owner.pointee.freshChildren = 0
        beginRecount(owner)
        owner.pointee.hasOffset = false
        owner.pointee.resyncNotBefore = now &+ configuration.raceWindow
    }

    /// The counts may be off by steps of old flows: re-read them from the
    /// kernel (no divergence meanwhile); fresh flows stay fresh.
    mutating func beginRecount(_ owner: ListenerPointer) {
        guard owner.pointee.isOpen, !owner.pointee.isResyncing else { return }
        tallies.resynchronisations &+= 1
        owner.pointee.isResyncing = true
        owner.pointee.hasOffset = false
        owner.pointee.resyncNotBefore = now &+ configuration.raceWindow
        owner.pointee.check.isActive = false
    }

    /// Decides a listener's open check at once (its listener is closing: no
    /// later step can explain the reading any more).
    mutating func settleCheckNow(_ slot: UInt32) {
        let owner = listener(slot)
        guard owner.pointee.check.isActive else { return }
        owner.pointee.check.isActive = false
        if !owner.pointee.check.isSatisfied { reportMismatch(slot) }
    }

    private mutating func observeWhileResyncing(_ owner: ListenerPointer, requests: Int64, children: Int64) {
        guard now >= owner.pointee.resyncNotBefore else { return }
        let offsetRequests = requests - owner.pointee.requests
        let offsetChildren = children - owner.pointee.children
        guard owner.pointee.hasOffset, offsetRequests == owner.pointee.offsetRequests,
            offsetChildren == owner.pointee.offsetChildren
        else {
            owner.pointee.offsetRequests = offsetRequests
            owner.pointee.offsetChildren = offsetChildren
            owner.pointee.hasOffset = true
            return
        }
        owner.pointee.requests = requests
        owner.pointee.children = children
        owner.pointee.unknownRequests = max(0, requests - owner.pointee.freshRequests)
        owner.pointee.unknownChildren = max(0, children - owner.pointee.freshChildren)
        owner.pointee.unknownDeadline = now &+ maximumRequestLifetime
        owner.pointee.isResyncing = false
        owner.pointee.hasOffset = false
        owner.pointee.evictionReported = false
        tallies.adoptions &+= 1
    }

    /// Unknown requests cannot outlive the longest request lifetime.
    private func writeOffUnknownRequests(_ owner: ListenerPointer) {
        guard owner.pointee.unknownRequests > 0, now >= owner.pointee.unknownDeadline else { return }
        owner.pointee.requests -= owner.pointee.unknownRequests
        owner.pointee.unknownRequests = 0
    }
}
