/// The second half of the handshake: the ACK reaches tcp_check_req (or the
/// syncookie check), which creates the child, drops the ACK (accept queue
/// full), rejects it, or meets a RST (embryonic reset).
extension ModelCore {
    mutating func onACK(_ event: KernelEvent) {
        // Function tiers: tcp_check_req on a Fast Open child; not a handshake step.
        if event.flags.contains(.fastOpen) { return }
        if event.hook == .cookieCheckEntry {
            onCookieCheckEntry(event)
            return
        }
        let lookup = flows.lookUp(event.flow)
        guard let found = lookup.slot else {
            ackForUnknownFlow(event, lookup)
            return
        }
        let flow = flows.record(found)
        observe(flow.pointee.listener, event)
        if event.flags.contains(.secondPass) {
            ackHandedBack(found, event)
            return
        }
        resolveRace(found, followedBy: .ack)
        switch flow.pointee.state {
        case .requestQueued:
            beginACK(found, event)
        case .resetPending:
            resurrect(found)
            beginACK(found, event)
        case .requestCreated:
            // No request was hashed before the SYN-ACK went out: a cookie.
            decideCookie(found, exit: nil)
            ackForCookie(found, event)
        case .cookieSent:
            ackForCookie(found, event)
        case .cookieAck:
            // The flow's next segment reached the listener: its previous
            // ACK made no child (a child would have taken this segment).
            decideCookieACK(found)
            ackForCookie(found, event)
        case .strayAck:
            decideStrayACK(found)
            ackForUnknownFlow(event, lookup)
        case .synReceived where !observesFunctions:
            // Tracepoint tier: a cookie SYN has no event after it, so its
            // ACK can come before the settle window decides the SYN. An ACK
            // proves a SYN-ACK went out: decide now.
            decideSYNDropped(found, exit: nil)
            // This very ACK decides a race the SYN's verdict may have left.
            resolveRace(found, followedBy: .ack)
            if flow.pointee.state == .cookieSent {
                ackForCookie(found, event)
            } else {
                ackForUnknownFlow(event, lookup)
            }
        case .ackReceived where !observesFunctions:
            // Tracepoint tier: another segment of the flow reached the
            // listener, so the previous ACK made no child (a child would have
            // taken it; a flow's segments are processed one after the
            // other). Decide that ACK now — each one moves the counters —
            // and follow this one.
            resolveACKWithoutChild(found, exit: nil)
            if flows.record(found).pointee.state == .requestQueued {
                beginACK(found, event)
            } else {
                tallies.unmatchedSegments &+= 1
            }
        case .ackReceived, .synReceived, .childQueued, .accepted, .free:
            // A resent ACK, or a segment that reached the listener late.
            tallies.unmatchedSegments &+= 1
        }
    }

    /// Tracepoint tier: the listener's filter ran again for the segment just
    /// seen (SS_FLAG_SECOND_PASS), which tcp_v{4,6}_rcv does only when
    /// tcp_check_req handed it back to the listener. So that ACK made no
    /// child, and not for want of room: its acknowledgment number did not
    /// match (checked before the accept queue), and the listener answers
    /// with a RST. Not a new segment of the flow.
    private mutating func ackHandedBack(_ slot: UInt32, _ event: KernelEvent) {
        let flow = flows.record(slot)
        guard flow.pointee.state == .ackReceived else {
            tallies.unmatchedSegments &+= 1
            return
        }
        let key = flow.pointee.key
        let evidence = [flowEvidence(flow), Evidence(event)]
        report(.ackRejected, listener: flow.pointee.listener, flow: key, flowIsOld: isOld(flow), evidence: { evidence }) {
            "ACK from \(FlowSummary(key)) handed back to the listener by tcp_check_req (bad acknowledgment number): RST sent"
        }
        returnToQueue(slot)
    }

    private mutating func beginACK(_ slot: UInt32, _ event: KernelEvent) {
        let flow = flows.record(slot)
        flow.pointee.state = .ackReceived
        flow.pointee.flags.remove(.ackDropped)
        noteStep(flow, event)
        noteFigures(flow, event)
        // Whether the accept queue was full decides the ACK's fate.
        widenAcceptFigure(flow, event)
        // Until the outcome is known the kernel may have removed the request
        // (child created, or tcp_abort_on_overflow) before the model hears of it.
        setMayHaveLeft(flow, true)
        scheduleSettle(flow, slot: slot, from: event.timestamp)
    }

    private mutating func ackForCookie(_ slot: UInt32, _ event: KernelEvent) {
        let flow = flows.record(slot)
        if observesFunctions {
            // tcp_check_req never runs for a syncookie ACK: the kernel had a
            // request sock after all. Follow it.
            reportIllegal(slot, event, "tcp_check_req ran for a flow answered with a syncookie")
            countRequest(flow)
            beginACK(slot, event)
            return
        }
        flow.pointee.state = .cookieAck
        noteStep(flow, event)
        noteFigures(flow, event)
        widenAcceptFigure(flow, event)
        scheduleSettle(flow, slot: slot, from: event.timestamp)
    }

    private mutating func ackForUnknownFlow(_ event: KernelEvent, _ lookup: FlowLookup) {
        guard let listenerSlot = listenerSlot(for: event) else { return }
        observe(listenerSlot, event)
        if !observesFunctions {
            // Tracepoint tier: any ACK reaching the listener is seen. A child
            // may follow (a cookie sent before tracing), or nothing (a stray).
            guard let slot = createFlow(lookup, listenerSlot: listenerSlot, event: event) else { return }
            let flow = flows.record(slot)
            flow.pointee.state = .strayAck
            noteFigures(flow, event)
            scheduleSettle(flow, slot: slot, from: event.timestamp)
            return
        }
        // Function tiers: tcp_check_req runs only for a request sock that exists.
        guard let slot = createFlow(lookup, listenerSlot: listenerSlot, event: event) else { return }
        let flow = flows.record(slot)
        flow.pointee.state = .requestQueued
        flow.pointee.identity = event.request
        if !claimUnknownRequest(flow) {
            report(.orphanEvent, listener: listenerSlot, flow: lookup.key, step: .ack, evidence: { [Evidence(event)] }) {
                "tcp_check_req ran for a request sock the model never saw"
            }
            flow.pointee.epoch = 0
            countRequest(flow)
        }
        beginACK(slot, event)
    }

    mutating func onRST(_ event: KernelEvent) {
        guard let found = followedFlow(of: event) else { return }
        let flow = flows.record(found)
        observe(flow.pointee.listener, event)
        switch flow.pointee.state {
        case .requestQueued, .ackReceived:
            // An in-window RST makes tcp_check_req drop the request; an
            // out-of-window one is ignored. Count it gone, tolerate either.
            uncountRequest(flow)
            setMayHaveLeft(flow, false)
            setMayRemain(flow, true)
            flow.pointee.state = .resetPending
            noteStep(flow, event)
            scheduleSettle(flow, slot: found, from: event.timestamp)
        case .requestCreated:
            decideCookie(found, exit: nil)
        default:
            tallies.unmatchedSegments &+= 1
        }
    }

    /// The flow a segment's event names, or nil when the model does not follow
    /// it: counted as unmatched, its listener's figures still read.
    private mutating func followedFlow(of event: KernelEvent) -> UInt32? {
        if let found = flows.lookUp(event.flow).slot { return found }
        tallies.unmatchedSegments &+= 1
        if let listenerSlot = listeners.slot(id: event.listener) { observe(listenerSlot, event) }
        return nil
    }

    /// A RST-pending request showed life (an ACK, a retransmit, a child):
    /// the RST did not remove it.
    mutating func resurrect(_ slot: UInt32) {
        let flow = flows.record(slot)
        setMayRemain(flow, false)
        flow.pointee.state = .requestQueued
        countRequest(flow)
    }

    /// Nothing followed the RST: the request was removed (EmbryonicRsts).
    mutating func confirmReset(_ slot: UInt32) {
        let flow = flows.record(slot)
        let key = flow.pointee.key
        let stepEvidence = flowEvidence(flow)
        report(.embryonicReset, listener: flow.pointee.listener, flow: key, flowIsOld: isOld(flow), evidence: {
            [stepEvidence]
        }) {
            "RST from \(FlowSummary(key)) removed its request sock before the handshake completed"
        }
        setMayRemain(flow, false)
    }

    /// Function tiers: tcp_check_req returned the child, NULL, or the
    /// listener itself (bad ACK: the caller sends a RST).
    mutating func onCheckRequestDone(_ event: KernelEvent) {
        if event.flags.contains(.fastOpen) { return }
        // An unfollowed flow: its entry event already reported the gap (or was lost).
        guard let found = followedFlow(of: event) else { return }
        let flow = flows.record(found)
        let listenerSlot = flow.pointee.listener
        let result = UInt64(bitPattern: event.result)
        if result != 0 && result == event.listener {
            if flow.pointee.state == .ackReceived {
                let key = flow.pointee.key
                report(.ackRejected, listener: listenerSlot, flow: key, evidence: { [Evidence(event)] }) {
                    "ACK from \(FlowSummary(key)) rejected by tcp_check_req (bad acknowledgment number): RST sent"
                }
                returnToQueue(found)
            }
        } else if event.child != 0 {
            switch flow.pointee.state {
            case .ackReceived:
                makeChild(found, child: event.child, event)
            case .resetPending:
                resurrect(found)
                makeChild(found, child: event.child, event)
            case .requestQueued:
                reportIllegal(found, event, "child created without tcp_check_req's entry")
                makeChild(found, child: event.child, event)
            case .accepted where flow.pointee.flags.contains(.awaitingChild):
                break
            case .childQueued, .accepted:
                reportIllegal(found, event, "tcp_check_req created a second child for one flow")
            default:
                // A child the model did not expect: the kernel made it, follow it.
                reportIllegal(found, event, "child created for a flow with no request sock")
                makeChild(found, child: event.child, event)
            }
        } else if event.flags.contains(.requestStolen) {
            // Another CPU completed this request first: this call's child
            // (counted in TcpPassiveOpens) was freed at once. The flow goes on
            // with the winner's child.
            tallies.stolenRequests &+= 1
            if ledger?.netns == event.flow.netns { ledger?.countChild(at: event.timestamp) }
        } else if flow.pointee.state == .ackReceived {
            resolveACKWithoutChild(found, exit: event)
        }
        observe(listenerSlot, event)
    }

    /// The ACK produced no child. With the accept queue full the kernel
    /// dropped it (ListenOverflows) and kept or reset the request per
    /// tcp_abort_on_overflow; otherwise tcp_check_req ignored it.
    mutating func resolveACKWithoutChild(_ slot: UInt32, exit: KernelEvent?) {
        let flow = flows.record(slot)
        let listenerSlot = flow.pointee.listener
        let owner = listener(listenerSlot)
        let accept = flow.pointee.figureAccept != FlowRecord.noFigure
            ? max(Int64(flow.pointee.figureAccept), owner.pointee.children) : owner.pointee.children
        let limit = Int64(owner.pointee.limit)
        let key = flow.pointee.key
        let old = isOld(flow)
        var evidence = [flowEvidence(flow)]
        if let exit { evidence.append(Evidence(exit)) }
        let captured = evidence
        if exit == nil && acceptQueueMayHaveFilled(flow, accept: accept, limit: limit) {
            // Room when read, maybe full when tested: ignored, or an overflow.
            undecidable(slot, .ignoredOrDropped)
            returnToQueue(slot)
            setMayHaveLeft(flows.record(slot), true)
            return
        }
        guard owner.pointee.limitKnown && accept > limit else {
            report(.ackIgnored, listener: listenerSlot, flow: key, flowIsOld: old, evidence: { captured }) {
                "ACK from \(FlowSummary(key)) created no child although the accept queue had room (\(accept)/\(limit))"
            }
            returnToQueue(slot)
            return
        }
        flow.pointee.flags.insert(.ackDropped)
        switch kernel(of: listenerSlot).abortOnOverflow {
        case true?:
            report(.ackResetAcceptQueueFull, listener: listenerSlot, flow: key, flowIsOld: old, evidence: { captured }) {
                "ACK from \(FlowSummary(key)) hit a full accept queue (\(accept) > \(limit)): connection reset (tcp_abort_on_overflow=1)"
            }
            leaveInferred(slot)
        case false?:
            report(.ackDroppedAcceptQueueFull, listener: listenerSlot, flow: key, flowIsOld: old, evidence: { captured }) {
                "ACK from \(FlowSummary(key)) dropped: accept queue full (\(accept) > \(limit)); request kept, the client will retransmit"
            }
            returnToQueue(slot)
        case nil:
            report(.ackDroppedAcceptQueueFull, listener: listenerSlot, flow: key, flowIsOld: old, evidence: { captured }) {
                "ACK from \(FlowSummary(key)) dropped: accept queue full (\(accept) > \(limit)); request kept unless tcp_abort_on_overflow=1"
            }
            returnToQueue(slot)
            // Kept or reset: unknown without the sysctl.
            setMayHaveLeft(flows.record(slot), true)
        }
    }

    /// Back to waiting for an ACK, with the request timer re-armed.
    private mutating func returnToQueue(_ slot: UInt32) {
        let flow = flows.record(slot)
        flow.pointee.state = .requestQueued
        // An ACK that made no child marks the request acked: its timer may
        // then fire without a SYN-ACK (TCP_DEFER_ACCEPT, a full accept queue).
        flow.pointee.flags.insert(.ackDropped)
        setMayHaveLeft(flow, isExpiryEligible(flow))
        scheduleRetransmitTimer(slot, from: now)
    }

    mutating func onChildCreated(_ event: KernelEvent) {
        let lookup = flows.lookUp(event.flow)
        guard let found = lookup.slot else {
            childForUnknownFlow(event, lookup)
            return
        }
        let flow = flows.record(found)
        let listenerSlot = flow.pointee.listener
        switch flow.pointee.state {
        case .ackReceived:
            if !observesFunctions { noteSoftirqStep(from: flow.pointee.stepTime, to: event.timestamp) }
            makeChild(found, child: event.child, event)
        case .resetPending, .cookieSent, .cookieAck, .strayAck:
            makeChild(fromStepOf: found, event)
        case .requestQueued:
            reportIllegal(found, event, "child created without the handshake ACK")
            makeChild(found, child: event.child, event)
        case .requestCreated:
            // TCP Fast Open: the child is created inside conn_request, and
            // its callback runs before the kernel puts it on the accept
            // queue: the figures read here do not hold it yet.
            flow.pointee.flags.insert(.fastOpen)
            observe(listenerSlot, event)
            makeChild(found, child: event.child, event)
            return
        case .synReceived:
            reportIllegal(found, event, "child created for a SYN without a request")
            makeChild(fromStepOf: found, event)
        case .childQueued:
            if observesFunctions && !flow.pointee.flags.contains(.childEventSeen)
                && (event.child == 0 || flow.pointee.identity == 0 || event.child == flow.pointee.identity)
            {
                // tcp_check_req already reported this child.
                flow.pointee.flags.insert(.childEventSeen)
            } else {
                reportIllegal(found, event, "child created twice")
            }
        case .accepted:
            if !flow.pointee.flags.contains(.childEventSeen) {
                // accept() won the race with the creation callback.
                flow.pointee.flags.remove(.awaitingChild)
                flow.pointee.flags.insert(.childEventSeen)
                if flow.pointee.flags.contains(.acceptedUnknown) { creationAfterAccept(found, event) }
            } else {
                reportIllegal(found, event, "child created after it was accepted")
            }
        case .free:
            break
        }
        observe(listenerSlot, event)
    }

    /// A child for a flow that has not reached its child step yet, made
    /// from whichever step it is at: a RST-pending request comes back to
    /// life, a request or SYN without a handshake was Fast Open, a cookie or
    /// a stray ACK makes its own kind of child.
    mutating func makeChild(fromStepOf slot: UInt32, _ event: KernelEvent) {
        switch flows.record(slot).pointee.state {
        case .resetPending:
            resurrect(slot)
            makeChild(slot, child: event.child, event)
        case .requestCreated, .synReceived:
            flows.record(slot).pointee.flags.insert(.fastOpen)
            makeChild(slot, child: event.child, event)
        case .cookieSent, .cookieAck:
            cookieChild(slot, event)
        case .strayAck:
            childWithoutRequest(slot, event)
        default:
            makeChild(slot, child: event.child, event)
        }
    }

    mutating func cookieChild(_ slot: UInt32, _ event: KernelEvent) {
        let flow = flows.record(slot)
        let key = flow.pointee.key
        report(.syncookieAccepted, listener: flow.pointee.listener, flow: key, flowIsOld: isOld(flow), evidence: {
            [Evidence(event)]
        }) {
            "child for \(FlowSummary(key)) created from a syncookie"
        }
        flow.pointee.flags.insert(.cookieChild)
        makeChild(slot, child: event.child, event)
    }

    private mutating func childForUnknownFlow(_ event: KernelEvent, _ lookup: FlowLookup) {
        guard let listenerSlot = listenerSlot(for: event) else { return }
        guard let slot = createFlow(lookup, listenerSlot: listenerSlot, event: event) else { return }
        childWithoutRequest(slot, event)
        observe(listenerSlot, event)
    }

    /// A child (or its accept) for a flow with no request the model knows:
    /// one of the listener's unknown requests, a syncookie, or an orphan.
    mutating func childWithoutRequest(_ slot: UInt32, _ event: KernelEvent) {
        let flow = flows.record(slot)
        let listenerSlot = flow.pointee.listener
        let owner = listener(listenerSlot)
        let key = flow.pointee.key
        // Read after the child was queued: the figures tell whether a request
        // sock was consumed (an unknown request) or not (a cookie).
        let valid = event.flags.contains(.queuesValid) && event.kind != .accept
        let consumedRequest = valid
            ? Int64(event.queues.requestQueue) < owner.pointee.requests : owner.pointee.unknownRequests > 0
        if consumedRequest && claimUnknownRequest(flow) {
            makeChild(slot, child: event.child, event)
        } else if cookiePlausible(owner) {
            cookieChild(slot, event)
        } else {
            report(.orphanEvent, listener: listenerSlot, flow: key, step: .child, evidence: { [Evidence(event)] }) {
                "child created for \(FlowSummary(key)) without a request sock or a syncookie"
            }
            flow.pointee.epoch = 0
            makeChild(slot, child: event.child, event)
        }
    }

    /// Whether a child with no request sock can come from a syncookie: one
    /// was sent recently, cookies are always on, or tracing began too
    /// recently to know.
    func cookiePlausible(_ owner: ListenerPointer) -> Bool {
        let syncookies = kernel(of: owner).syncookies
        if syncookies == 2 { return true }
        if syncookies == 0 { return false }
        let age = configuration.cookieMaximumAge
        if owner.pointee.lastCookieTime != 0 && now &- owner.pointee.lastCookieTime <= age { return true }
        return now &- firstEventTime <= age
    }

    /// The child exists and sits in the accept queue: the request (if any)
    /// left the request queue, the child joined the accept queue.
    mutating func makeChild(_ slot: UInt32, child: UInt64, _ event: KernelEvent) {
        let flow = flows.record(slot)
        let sinceSYN = flow.pointee.flags.contains(.synSeen) && event.timestamp >= flow.pointee.firstTime
        activity.noteHandshake(flow.pointee.listener, duration: sinceSYN ? event.timestamp - flow.pointee.firstTime : nil)
        uncountRequest(flow)
        clearTolerances(flow)
        countChild(flow)
        flow.pointee.state = .childQueued
        if child != 0 { flow.pointee.identity = child }
        if event.kind == .childCreated { flow.pointee.flags.insert(.childEventSeen) }
        // The child's creation time is known now, even for a snapshot request.
        flow.pointee.flags.remove(.fromSnapshot)
        flow.pointee.childState = event.kind == .childCreated && event.newState != 0
            ? event.newState : TCPState.established.rawValue
        noteStep(flow, event)
        flow.pointee.generation &+= 1
    }

    /// The request timer passed with no retransmit after enough of them:
    /// reqsk_timer_handler dropped the request.
    mutating func reportExpired(_ slot: UInt32) {
        let flow = flows.record(slot)
        let key = flow.pointee.key
        let retransmits = flow.pointee.retransmits
        let configured = kernel(of: flow.pointee.listener).synAckRetries
        let stepEvidence = flowEvidence(flow)
        report(.handshakeExpired, listener: flow.pointee.listener, flow: key, flowIsOld: isOld(flow), evidence: {
            [stepEvidence]
        }) {
            let note = Int(retransmits) < configured
                ? " (before tcp_synack_retries=\(configured): the kernel prunes old requests when the request queue is over half full)"
                : ""
            return "request for \(FlowSummary(key)) expired after \(retransmits) SYN-ACK retransmit(s)\(note)"
        }
    }
}
