/// Function tiers: an ACK that reaches a listener itself (no request sock
/// matched it) goes through cookie_v{4,6}_check, whose return decides it:
/// the child (a valid cookie), NULL (a valid cookie, counted in
/// SyncookiesRecv, whose child could not be made: a full accept queue), or
/// the listener (the cookie failed, or was not checked at all). Without
/// these two hooks a syncookie ACK dropped on a full accept queue was
/// invisible, and its three counters unclaimed.
extension ModelCore {
    mutating func onCookieCheckEntry(_ event: KernelEvent) {
        let lookup = flows.lookUp(event.flow)
        guard let found = lookup.slot else {
            guard let listenerSlot = listenerSlot(for: event),
                let slot = createFlow(lookup, listenerSlot: listenerSlot, event: event)
            else { return }
            observe(listenerSlot, event)
            let flow = flows.record(slot)
            flow.pointee.state = .strayAck
            awaitCookieCheck(slot, event)
            return
        }
        let flow = flows.record(found)
        observe(flow.pointee.listener, event)
        resolveRace(found, followedBy: .ack)
        switch flow.pointee.state {
        case .cookieSent, .cookieAck:
            flow.pointee.state = .cookieAck
            awaitCookieCheck(found, event)
        case .strayAck:
            awaitCookieCheck(found, event)
        default:
            // The flow's request or child went away on another CPU just
            // before this segment's lookup: not a handshake step.
            tallies.unmatchedSegments &+= 1
        }
    }

    private mutating func awaitCookieCheck(_ slot: UInt32, _ event: KernelEvent) {
        let flow = flows.record(slot)
        noteStep(flow, event)
        noteFigures(flow, event)
        widenAcceptFigure(flow, event)
        schedule(.exitWait, flow, slot: slot, due: now &+ configuration.exitWaitLimit)
    }

    /// The fuller of the probe's reading and the model's count: another CPU
    /// may have queued a child after the probe read the queue.
    @inline(__always)
    func widenAcceptFigure(_ flow: FlowPointer, _ event: KernelEvent) {
        var accept = UInt32(clamping: listener(flow.pointee.listener).pointee.children)
        if event.flags.contains(.queuesValid) { accept = max(accept, event.queues.acceptQueue) }
        if flow.pointee.figureAccept == FlowRecord.noFigure || flow.pointee.figureAccept < accept {
            flow.pointee.figureAccept = accept
        }
    }

    mutating func onCookieCheckDone(_ event: KernelEvent) {
        let key = event.flow
        guard let found = flows.find(key, hash: flows.hash(key)) else { return }
        let flow = flows.record(found)
        let state = flow.pointee.state
        guard state == .cookieAck || state == .strayAck else { return }
        if event.child != 0 {
            // A child: PASSIVE_ESTABLISHED follows on this CPU and decides.
            schedule(.exitWait, flow, slot: found, due: now &+ configuration.exitWaitLimit)
            return
        }
        // Read right after the check failed, the exit's figure holds a
        // child another CPU queued in between.
        widenAcceptFigure(flow, event)
        if event.result == 0 {
            cookieChildNotMade(found, event)
        } else if state == .cookieAck {
            cookieACKFailed(found)
        } else {
            decideStrayACK(found, checkFailed: true)
        }
    }

    /// The cookie was valid (SyncookiesRecv) but no child came of it.
    mutating func cookieChildNotMade(_ slot: UInt32, _ exit: KernelEvent) {
        let flow = flows.record(slot)
        let owner = listener(flow.pointee.listener)
        let accept = Int64(flow.pointee.figureAccept)
        let limit = Int64(owner.pointee.limit)
        let key = flow.pointee.key
        let evidence = [flowEvidence(flow), Evidence(exit)]
        if owner.pointee.limitKnown && accept > limit {
            report(.ackDroppedAcceptQueueFull, listener: flow.pointee.listener, flow: key, flowIsOld: isOld(flow),
                alsoCounts: [.syncookiesReceived], evidence: { evidence }) {
                "syncookie ACK from \(FlowSummary(key)) dropped: accept queue full (\(accept) > \(limit)); its cookie was valid"
            }
        } else {
            // Room by every reading, yet no child: the child's allocation
            // failed (ListenDrops), or a child queued and accepted between
            // two readings overflowed the queue. The model cannot say which.
            report(.ackIgnored, listener: flow.pointee.listener, flow: key, flowIsOld: isOld(flow),
                alsoCounts: [.syncookiesReceived], evidence: { evidence }) {
                "valid syncookie ACK from \(FlowSummary(key)) created no child although the accept queue had room (\(accept)/\(limit))"
            }
            if ledger?.netns == owner.pointee.netns { ledger?.doubt() }
        }
        if flow.pointee.state == .cookieAck {
            flow.pointee.state = .cookieSent
            schedule(.cookie, flow, slot: slot, due: now &+ configuration.cookieLinger)
        } else {
            dropFlow(slot)
        }
    }
}
