/// The first half of the passive open: a SYN reaches conn_request, a request
/// is built (RWND_INIT), then either hashed into the request queue, answered
/// with a syncookie, or dropped. conn_request returns 0 even when it drops
/// the SYN, so the outcome is read from what followed, never from a result.
extension ModelCore {
    mutating func onSYN(_ event: KernelEvent) {
        let lookup = flows.lookUp(event.flow)
        let found = lookup.slot
        if event.hook == .checkRequestEntry {
            // Function tiers: a SYN for a queued request (the client resent
            // it); tcp_check_req resends the SYN-ACK.
            guard let slot = found else {
                tallies.unmatchedSegments &+= 1
                return
            }
            activity.noteSYN(flows.record(slot).pointee.listener)
            observe(flows.record(slot).pointee.listener, event)
            return
        }
        guard let listenerSlot = listenerSlot(for: event) else { return }
        activity.noteSYN(listenerSlot)
        observe(listenerSlot, event)
        guard let slot = found else {
            guard let slot = createFlow(lookup, listenerSlot: listenerSlot, event: event) else { return }
            beginSYN(slot, event)
            return
        }
        resolveRace(slot, followedBy: .syn)
        let flow = flows.record(slot)
        switch flow.pointee.state {
        case .synReceived, .requestCreated:
            // A copy of a SYN whose outcome is still being decided.
            tallies.unmatchedSegments &+= 1
        case .requestQueued, .ackReceived, .resetPending:
            if observesFunctions {
                // conn_request ran, so the kernel no longer holds a request
                // for this 4-tuple: the one the model holds left silently.
                requestVanished(slot, because: event)
                restartFlow(slot, listenerSlot: listenerSlot, event: event)
                beginSYN(slot, event)
            }
        // Tracepoint tier: a resent SYN for the queued request; what
        // follows (RWND_INIT or a SYN-ACK retransmit) tells which.
        case .cookieSent, .cookieAck, .strayAck:
            restartFlow(slot, listenerSlot: listenerSlot, event: event)
            beginSYN(slot, event)
        case .accepted:
            if flow.pointee.flags.contains(.awaitingChild) {
                tallies.unmatchedSegments &+= 1
            } else {
                restartFlow(slot, listenerSlot: listenerSlot, event: event)
                beginSYN(slot, event)
            }
        case .childQueued, .free:
            tallies.unmatchedSegments &+= 1
        }
    }

    private mutating func beginSYN(_ slot: UInt32, _ event: KernelEvent) {
        let flow = flows.record(slot)
        flow.pointee.state = .synReceived
        // The flow's first time is this SYN's: its handshake time is measurable.
        flow.pointee.flags.insert(.synSeen)
        noteStep(flow, event)
        noteFigures(flow, event)
        // Whether the request queue was full decides cookie or drop; the
        // probe may have read it before another CPU's insertion showed, so
        // keep the fuller of the reading and the model's own count.
        let owner = listener(flow.pointee.listener)
        if flow.pointee.figureRequest != FlowRecord.noFigure, !owner.pointee.isResyncing,
            Int64(flow.pointee.figureRequest) < owner.pointee.requests
        {
            flow.pointee.figureRequest = UInt32(clamping: owner.pointee.requests)
        }
        scheduleSettle(flow, slot: slot, from: event.timestamp)
    }

    /// Function tiers: conn_request returned. What happened inside it is now
    /// complete: a hashed request, a cookie, a Fast Open child, or a drop.
    mutating func onConnRequestDone(_ event: KernelEvent) {
        let key = event.flow
        guard let slot = flows.find(key, hash: flows.hash(key)) else {
            if let listenerSlot = listenerSlot(for: event) {
                report(.orphanEvent, listener: listenerSlot, flow: key, step: .syn, evidence: { [Evidence(event)] }) {
                    "conn_request returned for a SYN whose entry was never seen"
                }
                observe(listenerSlot, event)
            }
            return
        }
        let flow = flows.record(slot)
        let listenerSlot = flow.pointee.listener
        switch flow.pointee.state {
        case .synReceived:
            decideSYNDropped(slot, exit: event)
        case .requestCreated:
            decideCookie(slot, exit: event)
        case .requestQueued, .ackReceived, .resetPending:
            break
        case .childQueued where flow.pointee.flags.contains(.fastOpen):
            break
        case .accepted where flow.pointee.flags.contains(.fastOpen):
            break
        default:
            reportIllegal(slot, event, "conn_request returned twice for one SYN")
        }
        observe(listenerSlot, event)
    }

    mutating func onRequestCreated(_ event: KernelEvent) {
        let lookup = flows.lookUp(event.flow)
        guard let found = lookup.slot else {
            if let slot = adoptOrphanRequest(event, lookup, "request built (RWND_INIT) for a SYN the model never saw") {
                beginRequest(slot, event)
            }
            return
        }
        let flow = flows.record(found)
        let listenerSlot = flow.pointee.listener
        observe(listenerSlot, event)
        switch flow.pointee.state {
        case .synReceived:
            if !observesFunctions { noteSoftirqStep(from: flow.pointee.stepTime, to: event.timestamp) }
            beginRequest(found, event)
        case .resetPending:
            // The RST had removed the request; this is a new attempt.
            confirmReset(found)
            restartFlow(found, listenerSlot: listenerSlot, event: event)
            beginRequest(found, event)
        case .requestQueued, .ackReceived:
            // A new request for the 4-tuple: the old one left silently
            // (expired), or this is a duplicate.
            if flow.pointee.flags.contains(.mayHaveLeft) {
                requestVanished(found, because: event)
                restartFlow(found, listenerSlot: listenerSlot, event: event)
                beginRequest(found, event)
            } else {
                reportIllegal(found, event, "a second request built while one is queued")
            }
        case .cookieSent, .cookieAck, .strayAck, .accepted:
            reportIllegal(found, event, "request built without a SYN")
            restartFlow(found, listenerSlot: listenerSlot, event: event, trusted: false)
            beginRequest(found, event)
        default:
            reportIllegal(found, event, "a second request built for one SYN")
        }
    }

    /// A request step for a SYN the model never saw: reported as an orphan,
    /// then followed from here as an untrusted flow (nil: no listener known,
    /// or no room).
    private mutating func adoptOrphanRequest(
        _ event: KernelEvent, _ lookup: FlowLookup, _ explanation: @autoclosure () -> String
    ) -> UInt32? {
        guard let listenerSlot = listenerSlot(for: event) else { return nil }
        observe(listenerSlot, event)
        report(.orphanEvent, listener: listenerSlot, flow: event.flow, step: .synAck, evidence: { [Evidence(event)] }) {
            explanation()
        }
        return createFlow(lookup, listenerSlot: listenerSlot, event: event, trusted: false)
    }

    private mutating func beginRequest(_ slot: UInt32, _ event: KernelEvent) {
        let flow = flows.record(slot)
        flow.pointee.state = .requestCreated
        noteStep(flow, event)
        scheduleSettle(flow, slot: slot, from: event.timestamp)
    }

    mutating func onRequestQueued(_ event: KernelEvent) {
        let lookup = flows.lookUp(event.flow)
        guard let found = lookup.slot else {
            if let slot = adoptOrphanRequest(
                event, lookup, "request hashed into the request queue for a SYN the model never saw")
            {
                queueRequest(slot, event)
            }
            return
        }
        let flow = flows.record(found)
        // Read before the hash insertion: the model's count before this step.
        observe(flow.pointee.listener, event)
        switch flow.pointee.state {
        case .requestCreated:
            if !observesFunctions { noteSoftirqStep(from: flow.pointee.stepTime, to: event.timestamp) }
            queueRequest(found, event)
        case .synReceived:
            reportIllegal(found, event, "request hashed without being built (no RWND_INIT)")
            queueRequest(found, event)
        default:
            reportIllegal(found, event, "request hashed twice")
        }
    }

    private mutating func queueRequest(_ slot: UInt32, _ event: KernelEvent) {
        let flow = flows.record(slot)
        flow.pointee.state = .requestQueued
        if event.request != 0 { flow.pointee.identity = event.request }
        noteStep(flow, event)
        countRequest(flow)
        listener(flow.pointee.listener).pointee.noteRequestQueued(
            at: event.timestamp, window: configuration.raceWindow)
        if isExpiryEligible(flow) { setMayHaveLeft(flow, true) }
        scheduleRetransmitTimer(slot, from: event.timestamp)
    }

    /// Arms the request's next timer: the kernel retransmits the SYN-ACK (an
    /// event) or expires the request (none) when it fires.
    mutating func scheduleRetransmitTimer(_ slot: UInt32, from time: UInt64) {
        let flow = flows.record(slot)
        let count = Int(flow.pointee.retransmits)
        let due = time &+ configuration.synAckInterval(afterRetransmits: count) &+ configuration.timerSlack(afterRetransmits: count)
        schedule(.retransmit(count), flow, slot: slot, due: due)
    }

    mutating func onRetransmit(_ event: KernelEvent) {
        let lookup = flows.lookUp(event.flow)
        guard let found = lookup.slot else {
            guard let listenerSlot = listenerSlot(for: event) else { return }
            let owner = listener(listenerSlot)
            guard let slot = createFlow(lookup, listenerSlot: listenerSlot, event: event) else { return }
            let flow = flows.record(slot)
            flow.pointee.state = .requestQueued
            flow.pointee.identity = event.request
            if !claimUnknownRequest(flow) {
                if !owner.pointee.isResyncing {
                    report(.orphanEvent, listener: listenerSlot, flow: lookup.key, step: .synAck, evidence: { [Evidence(event)] }) {
                        "SYN-ACK retransmitted for a request the model never saw"
                    }
                }
                flow.pointee.epoch = 0
                countRequest(flow)
            }
            bumpRetransmits(slot, event)
            observe(listenerSlot, event)
            return
        }
        let flow = flows.record(found)
        switch flow.pointee.state {
        case .requestQueued, .ackReceived:
            bumpRetransmits(found, event)
        case .resetPending:
            resurrect(found)
            bumpRetransmits(found, event)
        case .childQueued, .accepted:
            // A Fast Open child's SYN-ACK is retransmitted by the child itself.
            if !flow.pointee.flags.contains(.fastOpen) {
                reportIllegal(found, event, "SYN-ACK retransmitted after the child was created")
            }
        default:
            // A retransmit proves a request sock exists for this 4-tuple: one
            // of the listener's unknown requests if it has any.
            if flow.pointee.state != .free, claimUnknownRequest(flow) {
                flow.pointee.state = .requestQueued
                flow.pointee.identity = event.request
                bumpRetransmits(found, event)
            } else {
                reportIllegal(found, event, "SYN-ACK retransmitted for a flow with no request sock")
            }
        }
        observe(flow.pointee.listener, event)
    }

    /// Counts a SYN-ACK retransmit. The kernel's own count (`num_retrans`,
    /// in `detail`) wins when higher: a request from the snapshot, or one
    /// whose client resent its SYN, has been retransmitted more than the
    /// model saw. It only makes the next deadline later, never earlier.
    private mutating func bumpRetransmits(_ slot: UInt32, _ event: KernelEvent) {
        let flow = flows.record(slot)
        let counted = max(Int(flow.pointee.retransmits) + 1, Int(min(event.detail, 255)))
        flow.pointee.retransmits = UInt8(min(counted, 255))
        // The request is alive: an ACK drop did not reset it.
        flow.pointee.flags.remove(.ackDropped)
        if isExpiryEligible(flow) { setMayHaveLeft(flow, true) }
        if flow.pointee.state == .requestQueued { scheduleRetransmitTimer(slot, from: event.timestamp) }
    }

    /// Nothing followed the SYN. A syncookie SYN looks exactly like this:
    /// tcp_conn_request allocates its request without a listener
    /// (`attach_listener = !want_cookie`), so neither RWND_INIT nor the
    /// hashing runs for it. The kernel's order (tcp_conn_request):
    /// `syncookies == 2 || reqsk_queue_is_full` decides a cookie (or, with
    /// cookies off, a TCPReqQFullDrop); then a full accept queue drops the
    /// SYN either way (ListenOverflows). The queues are read as they were
    /// when the SYN arrived.
    mutating func decideSYNDropped(_ slot: UInt32, exit: KernelEvent?) {
        let flow = flows.record(slot)
        let owner = listener(flow.pointee.listener)
        let accept = flow.pointee.figureAccept != FlowRecord.noFigure
            ? Int64(flow.pointee.figureAccept) : owner.pointee.children
        let requests = flow.pointee.figureRequest != FlowRecord.noFigure
            ? Int64(flow.pointee.figureRequest) : owner.pointee.requests
        let limit = Int64(owner.pointee.limit)
        let known = owner.pointee.limitKnown
        let syncookies = kernel(of: owner).syncookies
        let requestQueueFull = known && requests >= limit
        let wouldGetCookie = syncookies == 2 || (syncookies == 1 && requestQueueFull)
        let kind: FindingKind
        let reason: String
        if wouldGetCookie && acceptQueueMayHaveDrained(flow, accept: accept, limit: limit, exit: exit) {
            // Full when read, maybe not when tested: an overflow, or a cookie.
            undecidable(slot, .cookieOrOverflow)
            silentCookie(slot)
            return
        } else if syncookies == 0 && requestQueueFull {
            kind = .synDroppedRequestQueueFull
            reason = "request queue full (\(requests) of \(limit))"
        } else if known && accept > limit {
            kind = .synDroppedAcceptQueueFull
            reason = "accept queue full (\(accept) > limit \(limit))"
        } else if wouldGetCookie {
            if acceptQueueMayHaveFilled(flow, accept: accept, limit: limit, exit: exit) {
                // Room when read, maybe full when tested: a cookie, or an overflow.
                undecidable(slot, .cookieOrOverflow)
                silentCookie(slot)
                return
            }
            decideCookie(slot, exit: exit)
            return
        } else if syncookies == nil && requestQueueFull {
            // Dropped or answered with a cookie: unknowable without the
            // sysctl. Nothing is reported; a later ACK or child tells.
            if ledger?.netns == owner.pointee.netns { ledger?.doubt() }
            silentCookie(slot)
            return
        } else if acceptQueueMayHaveFilled(flow, accept: accept, limit: limit, exit: exit) {
            // Room when read, maybe full when tested: the likelier cause.
            undecidable(slot, .droppedOrOverflow)
            dropFlow(slot)
            return
        } else {
            kind = .synDropped
            reason = known
                ? "neither queue full (accept \(accept)/\(limit), request \(requests))" : "queues unknown"
        }
        let key = flow.pointee.key
        let stepEvidence = flowEvidence(flow)
        report(kind, listener: flow.pointee.listener, flow: key, flowIsOld: isOld(flow), evidence: {
            [stepEvidence] + (exit.map { [Evidence($0)] } ?? [])
        }) {
            "SYN \(FlowSummary(key)) dropped: \(reason)"
        }
        dropFlow(slot)
    }

    /// A SYN that was either dropped or answered with a cookie: kept as a
    /// possible cookie flow without a finding, so that its ACK or child (if
    /// any) is read as the cookie's.
    private mutating func silentCookie(_ slot: UInt32) {
        let flow = flows.record(slot)
        flow.pointee.state = .cookieSent
        schedule(.cookie, flow, slot: slot, due: now &+ configuration.cookieLinger)
    }

    /// A request was built but never hashed: the SYN-ACK carried a cookie.
    mutating func decideCookie(_ slot: UInt32, exit: KernelEvent?) {
        let flow = flows.record(slot)
        let owner = listener(flow.pointee.listener)
        let key = flow.pointee.key
        let stepEvidence = flowEvidence(flow)
        // The figure the SYN's probe read is what the kernel tested (the
        // model's count now may have moved on since).
        let requests = flow.pointee.figureRequest != FlowRecord.noFigure
            ? Int64(flow.pointee.figureRequest) : owner.pointee.requests
        let limit = owner.pointee.limit
        let always = kernel(of: owner).syncookies == 2
        report(.syncookieSent, listener: flow.pointee.listener, flow: key, flowIsOld: isOld(flow), evidence: {
            [stepEvidence] + (exit.map { [Evidence($0)] } ?? [])
        }) {
            always
                ? "syncookie sent to \(FlowSummary(key)) (tcp_syncookies=2: always; request queue \(requests) of \(limit))"
                : "syncookie sent to \(FlowSummary(key)): request queue full (\(requests) of \(limit))"
        }
        owner.pointee.lastCookieTime = now
        flow.pointee.state = .cookieSent
        schedule(.cookie, flow, slot: slot, due: now &+ configuration.cookieLinger)
    }

    /// Function tiers: tcp_req_err dropped a request on an ICMP error that
    /// quoted its SYN-ACK (the kernel counts it in ListenDrops).
    mutating func onRequestDropped(_ event: KernelEvent) {
        let key = event.flow
        guard let slot = flows.find(key, hash: flows.hash(key)) else {
            tallies.unmatchedSegments &+= 1
            if let listenerSlot = listenerSlot(for: event) { observe(listenerSlot, event) }
            return
        }
        let flow = flows.record(slot)
        let listenerSlot = flow.pointee.listener
        // The probe runs at tcp_req_err's entry: its figures still count the
        // request (compared before the model removes it).
        observe(listenerSlot, event)
        switch flow.pointee.state {
        case .requestQueued, .ackReceived, .resetPending:
            let stepEvidence = flowEvidence(flow)
            report(.requestDroppedByICMP, listener: listenerSlot, flow: key, flowIsOld: isOld(flow),
                evidence: { [Evidence(event), stepEvidence] }) {
                "request for \(FlowSummary(key)) dropped on an ICMP error for its SYN-ACK"
            }
            leaveInferred(slot)
        default:
            reportIllegal(slot, event, "an ICMP error dropped a request the model does not hold")
        }
    }

    /// The model held a request the kernel no longer has (a new SYN or
    /// request for the same 4-tuple proves it): an expiry if it was eligible,
    /// otherwise a divergence.
    mutating func requestVanished(_ slot: UInt32, because event: KernelEvent) {
        let flow = flows.record(slot)
        if isExpiryEligible(flow) || flow.pointee.state == .resetPending {
            if flow.pointee.state == .resetPending {
                confirmReset(slot)
                return
            }
            reportExpired(slot)
        } else {
            reportIllegal(slot, event, "a new SYN arrived while the model holds a queued request for it")
        }
        uncountRequest(flow)
        clearTolerances(flow)
    }
}
