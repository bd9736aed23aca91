/// Decisions that need "nothing followed": taken when event time passes the
/// flow's deadline (or at `finish()`), never by reading a clock, so a replay
/// decides exactly as the live run did.
extension ModelCore {
    mutating func schedule(_ lane: DeadlineQueues.Lane, _ flow: FlowPointer, slot: UInt32, due: UInt64) {
        flow.pointee.generation &+= 1
        deadlines.schedule(lane, slot: slot, generation: flow.pointee.generation, due: due)
    }

    mutating func runDeadlines(until time: UInt64) {
        while true {
            if nextCheckDue <= time { settleChecks(until: time) }
            guard let (lane, deadline) = deadlines.popDue(at: time) else { break }
            // Most deadlines are stale (the flow took another step, or left):
            // skipped here, without the call.
            if !isStale(deadline) { fire(lane, deadline) }
        }
    }

    /// The deadline's flow moved on since it was scheduled, or is gone.
    @inline(__always)
    func isStale(_ deadline: Deadline) -> Bool {
        let flow = flows.record(deadline.slot)
        return flow.pointee.state == .free || flow.pointee.generation != deadline.generation
    }

    mutating func fire(_ lane: DeadlineQueues.Lane, _ deadline: Deadline) {
        guard !isStale(deadline) else { return }
        let flow = flows.record(deadline.slot)
        let slot = deadline.slot
        if lane == .raceWindow {
            closeRaceWindow(slot)
            return
        }
        let owner = listener(flow.pointee.listener)
        if !owner.pointee.isOpen && lane != .accepted {
            // The listener is gone; so is whatever the flow was waiting for.
            // The kernel may have counted that step (a SYN dropped just
            // before the close): the model can no longer say.
            if lane == .settle, ledger?.netns == owner.pointee.netns { ledger?.doubt() }
            dropFlow(slot)
            return
        }
        switch lane {
        case .settle:
            settle(slot, finalDecision: finishing)
        case .accepted:
            if flow.pointee.flags.contains(.awaitingChild) {
                let key = flow.pointee.key
                let stepEvidence = flowEvidence(flow)
                let unknown = flow.pointee.flags.contains(.acceptedUnknown)
                report(.orphanEvent, listener: flow.pointee.listener, flow: key, flowIsOld: isOld(flow), step: .accept,
                    evidence: { [stepEvidence] }) {
                    unknown
                        ? "accept() returned a child for \(FlowSummary(key)) that the model never saw created (no creation followed)"
                        : "accept() returned a child for \(FlowSummary(key)) whose creation was never reported"
                }
            }
            dropFlow(slot)
        case .cookie:
            dropFlow(slot)
        case .snapshotRequest:
            leaveInferred(slot)
        case .exitWait:
            let state = flow.pointee.state
            if state == .synReceived || state == .requestCreated || state == .ackReceived || state == .cookieAck
                || state == .strayAck
            {
                abandon(slot)
            }
        default:
            guard let count = lane.retransmitCount, flow.pointee.state == .requestQueued else { return }
            timerFired(slot, lane: count, at: deadline.due &- configuration.timerSlack(afterRetransmits: count))
        }
    }

    /// A settle window passed with no further step for the flow (or the
    /// stream ended: `finalDecision`, nothing can follow any more).
    private mutating func settle(_ slot: UInt32, finalDecision: Bool) {
        let flow = flows.record(slot)
        // The window grew since this wait began (a slower step was seen):
        // wait the rest of it.
        let due = flow.pointee.stepTime &+ verdictWait
        if now < due && !finalDecision {
            schedule(.settle, flow, slot: slot, due: due)
            return
        }
        let state = flow.pointee.state
        if observesFunctions && (state == .synReceived || state == .requestCreated || state == .ackReceived) {
            // fexit/kretprobe reports the return of conn_request and
            // tcp_check_req: that return decides, never a window.
            schedule(.exitWait, flow, slot: slot, due: now &+ configuration.exitWaitLimit)
            return
        }
        switch flow.pointee.state {
        case .synReceived:
            decideSYNDropped(slot, exit: nil)
        case .requestCreated:
            decideCookie(slot, exit: nil)
        case .ackReceived:
            resolveACKWithoutChild(slot, exit: nil)
        case .resetPending:
            confirmReset(slot)
            dropFlow(slot)
        case .cookieAck:
            decideCookieACK(slot)
        case .strayAck:
            decideStrayACK(slot)
        default:
            break
        }
    }

    /// A request left without a trace this tier sees: no verdict (it may have
    /// been an ICMP error, counted in ListenDrops), and its listener re-reads
    /// its counts (if it is still there after all, the kernel says so).
    mutating func requestVanished(_ slot: UInt32) {
        tallies.vanishedRequests &+= 1
        leaveWithoutVerdict(slot)
    }

    /// A function tier never reported the return that decides this flow:
    /// it leaves without a verdict, and its listener re-reads its counts.
    mutating func abandon(_ slot: UInt32) {
        undecidedFlows &+= 1
        leaveWithoutVerdict(slot)
    }

    /// The flow goes without a verdict: the namespace's counters can no
    /// longer be held exact, and its listener re-reads its counts.
    private mutating func leaveWithoutVerdict(_ slot: UInt32) {
        let owner = listener(flows.record(slot).pointee.listener)
        if ledger?.netns == owner.pointee.netns { ledger?.doubt() }
        leaveInferred(slot)
        beginRecount(owner)
    }

    /// A syncookie flow's ACK created no child: dropped on a full accept
    /// queue (the cookie was valid), or the cookie check failed. Decided when
    /// the settle window passed, or at once when the flow's next segment
    /// reaches the listener (then this one certainly made no child). Every
    /// ACK counts in the kernel's counters, so every one is claimed.
    mutating func decideCookieACK(_ slot: UInt32) {
        let flow = flows.record(slot)
        let owner = listener(flow.pointee.listener)
        let accept = flow.pointee.figureAccept != FlowRecord.noFigure
            ? Int64(flow.pointee.figureAccept) : owner.pointee.children
        let limit = Int64(owner.pointee.limit)
        let key = flow.pointee.key
        let stepEvidence = flowEvidence(flow)
        if owner.pointee.limitKnown && accept > limit {
            // The cookie itself was valid: cookie_v4_check counted it in
            // SyncookiesRecv before syn_recv_sock overflowed.
            report(.ackDroppedAcceptQueueFull, listener: flow.pointee.listener, flow: key, flowIsOld: isOld(flow),
                alsoCounts: [.syncookiesReceived], evidence: { [stepEvidence] }) {
                "syncookie ACK from \(FlowSummary(key)) dropped: accept queue full (\(accept) > \(limit)); its cookie was valid"
            }
            flow.pointee.state = .cookieSent
            schedule(.cookie, flow, slot: slot, due: now &+ configuration.cookieLinger)
        } else if acceptQueueMayHaveFilled(flow, accept: accept, limit: limit) {
            // Room when read, maybe full when tested: a failed cookie, or a
            // valid one dropped on a full accept queue. Decided before the
            // race window closed, the flow's next segment is already here:
            // it cannot tell the two apart (a client sends its data right
            // behind its ACK either way).
            undecidable(slot, .failedOrDropped, resolvable: !raceWindowIsOpen(flow))
            flow.pointee.state = .cookieSent
            schedule(.cookie, flow, slot: slot, due: now &+ configuration.cookieLinger)
        } else {
            cookieACKFailed(slot)
        }
    }

    /// A syncookie flow's ACK failed the cookie check (SyncookiesFailed):
    /// the tracepoint tier's inference, or cookie_v{4,6}_check returning the
    /// listener in the function tiers.
    mutating func cookieACKFailed(_ slot: UInt32) {
        let flow = flows.record(slot)
        let owner = listener(flow.pointee.listener)
        let key = flow.pointee.key
        let stepEvidence = flowEvidence(flow)
        if flow.pointee.flags.contains(.cookieFailed) {
            // The kernel counts every failed ACK; the flow is reported once.
            tallies.unmatchedSegments &+= 1
            if ledger?.netns == owner.pointee.netns, !isOld(flow) {
                ledger?.claim([.syncookiesFailed], at: flow.pointee.stepTime)
            }
        } else if kernel(of: owner).syncookies != 0 {
            flow.pointee.flags.insert(.cookieFailed)
            report(.syncookieFailed, listener: flow.pointee.listener, flow: key, flowIsOld: isOld(flow),
                evidence: { [stepEvidence] }) {
                "ACK from \(FlowSummary(key)) for a syncookie flow created no child (cookie check failed or too old)"
            }
        }
        flow.pointee.state = .cookieSent
        schedule(.cookie, flow, slot: slot, due: now &+ configuration.cookieLinger)
    }

    /// An ACK that matched nothing the model holds created no child.
    /// `checkFailed`: the kernel said the listener itself took it (the
    /// cookie failed or was not checked), not merely that no child came.
    mutating func decideStrayACK(_ slot: UInt32, checkFailed: Bool = false) {
        let flow = flows.record(slot)
        let owner = listener(flow.pointee.listener)
        if !checkFailed, cookieRecentlySent(owner), owner.pointee.limitKnown,
            flow.pointee.figureAccept != FlowRecord.noFigure, Int64(flow.pointee.figureAccept) > Int64(owner.pointee.limit)
        {
            // On a full accept queue a valid cookie is dropped as surely as
            // a failed one: without the drop reason the stream cannot say
            // which counters moved, so it claims neither for certain.
            undecidable(slot, .failedOrDropped)
            dropFlow(slot)
            return
        }
        if cookieRecentlySent(owner) {
            // cookie_v4_check ran on it: the listener sent cookies
            // recently (tcp_synq_no_recent_overflow is false), so the
            // kernel counted it in SyncookiesFailed.
            let key = flow.pointee.key
            let stepEvidence = flowEvidence(flow)
            report(.syncookieFailed, listener: flow.pointee.listener, flow: key, flowIsOld: isOld(flow),
                evidence: { [stepEvidence] }) {
                "ACK from \(FlowSummary(key)) matched no request sock and created no child while the listener sends syncookies (cookie check failed or too old)"
            }
        } else {
            tallies.unmatchedSegments &+= 1
        }
        dropFlow(slot)
    }

    /// Whether the kernel would check a stray ACK as a syncookie: cookies
    /// are on and this listener sent one within the cookie's lifetime.
    @inline(__always)
    func cookieRecentlySent(_ owner: ListenerPointer) -> Bool {
        guard let syncookies = kernel(of: owner).syncookies, syncookies != 0 else { return false }
        let sent = owner.pointee.lastCookieTime
        return sent != 0 && now &- sent <= configuration.cookieMaximumAge
    }

    /// A request timer fired (per the model) with no SYN-ACK retransmit:
    /// the kernel expired the request, unless it was too young to expire, in
    /// which case the timer is assumed to have fired silently.
    private mutating func timerFired(_ slot: UInt32, lane: Int, at fireTime: UInt64) {
        let flow = flows.record(slot)
        if flow.pointee.flags.contains(.ackDropped) && kernel(of: flow.pointee.listener).abortOnOverflow == nil {
            // Its ACK hit a full accept queue and nothing was heard since:
            // tcp_abort_on_overflow may have reset it. Already reported.
            leaveInferred(slot)
            return
        }
        if isExpiryEligible(flow) {
            reportExpired(slot)
            leaveInferred(slot)
            return
        }
        if !observesFunctions && !flow.pointee.flags.contains(.ackDropped) {
            // reqsk_timer_handler resends the SYN-ACK of every request too
            // young to expire unless it was acked, and none came: the request
            // left the queue in a way this tier cannot see (tcp_req_err on
            // an ICMP error for its SYN-ACK; the function tiers report it).
            requestVanished(slot)
            return
        }
        if flow.pointee.retransmits < 255 { flow.pointee.retransmits += 1 }
        if isExpiryEligible(flow) { setMayHaveLeft(flow, true) }
        scheduleRetransmitTimer(slot, from: fireTime)
    }
}
