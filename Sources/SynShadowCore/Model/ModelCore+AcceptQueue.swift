/// The accept queue: children waiting, their state changes while they wait,
/// and accept() taking them. accept() may be reported just before the child's
/// creation callback (another CPU); that race is tolerated, not a divergence.
extension ModelCore {
    mutating func onAccept(_ event: KernelEvent) {
        if let slot = listeners.slot(id: event.listener) { listener(slot).pointee.recentAccepts.note(event.timestamp, cpu: UInt16(truncatingIfNeeded: event.cpu)) }
        guard let found = findChild(event) else {
            acceptOfUnknownChild(event, flows.lookUp(event.flow))
            return
        }
        let flow = flows.record(found)
        let listenerSlot = flow.pointee.listener
        switch flow.pointee.state {
        case .childQueued:
            if event.child != 0 && flow.pointee.identity != 0 && event.child != flow.pointee.identity {
                reportIllegal(found, event, "accept() returned a different child than the one queued for this flow")
            }
            acceptChild(found, event)
        case .accepted:
            if event.child == 0 || flow.pointee.identity == 0 || event.child == flow.pointee.identity {
                let stepEvidence = flowEvidence(flow)
                report(.doubleAccept, listener: listenerSlot, flow: event.flow, flowIsOld: isOld(flow), evidence: {
                    [stepEvidence, Evidence(event)]
                }) {
                    "accept() returned the child of \(FlowSummary(event.flow)) twice"
                }
            } else {
                reportIllegal(found, event, "accept() returned an unknown child for an accepted flow")
            }
        case .ackReceived, .requestQueued, .resetPending, .requestCreated, .cookieSent, .cookieAck, .strayAck:
            // accept() reported before the child's creation: apply both.
            makeChild(fromStepOf: found, event)
            flow.pointee.flags.insert(.awaitingChild)
            acceptChild(found, event)
        case .synReceived, .free:
            reportIllegal(found, event, "accept() returned a child for a SYN without a request")
        }
        observe(listenerSlot, event)
    }

    /// accept() of a child the model holds no flow for: a child queued
    /// before tracing (or across a loss), or a new child whose creation
    /// callback another CPU has not reported yet (a syncookie child whose SYN
    /// the model did not see, say). Both are kept for the settle window; a
    /// creation callback in it settles the race (`creationAfterAccept`).
    private mutating func acceptOfUnknownChild(_ event: KernelEvent, _ lookup: FlowLookup) {
        guard let listenerSlot = listenerSlot(for: event) else { return }
        let owner = listener(listenerSlot)
        let mayBeQueued = owner.pointee.unknownChildren > 0 || owner.pointee.isResyncing
        guard let slot = createFlow(lookup, listenerSlot: listenerSlot, event: event) else {
            if !mayBeQueued {
                report(.orphanEvent, listener: listenerSlot, flow: lookup.key, step: .accept, evidence: { [Evidence(event)] }) {
                    "accept() returned a child for \(FlowSummary(lookup.key)) that the model never saw created"
                }
            }
            observe(listenerSlot, event)
            return
        }
        let flow = flows.record(slot)
        flow.pointee.state = .childQueued
        flow.pointee.identity = event.child
        flow.pointee.flags.insert(.acceptedUnknown)
        if mayBeQueued {
            // Most likely a child queued before tracing (or across a loss):
            // it leaves the counts now; no creation callback follows.
            flow.pointee.flags.insert(.fromSnapshot)
            if !owner.pointee.isResyncing, claimUnknownChild(flow) {
                flow.pointee.flags.insert(.claimedAtAccept)
            } else {
                countChild(flow)
            }
        } else {
            // Nothing the model knows can be this child: it must be created
            // within the settle window, or it is an orphan (see `fire`).
            flow.pointee.flags.insert(.awaitingChild)
        }
        acceptChild(slot, event)
        observe(listenerSlot, event)
    }

    /// The creation callback of a child accept() already took, for a flow the
    /// model did not hold before that accept(): the child is new. It is
    /// judged as if the callback had come first (`childWithoutRequest`: an
    /// unknown request, a syncookie, or an orphan), then accept() takes it
    /// again.
    mutating func creationAfterAccept(_ slot: UInt32, _ event: KernelEvent) {
        let flow = flows.record(slot)
        flow.pointee.flags.remove(.acceptedUnknown)
        if flow.pointee.flags.contains(.claimedAtAccept) {
            // The unknown child accept() was credited with is still queued.
            flow.pointee.flags.remove(.claimedAtAccept)
            returnUnknownChild(flow)
        }
        childWithoutRequest(slot, event)
        uncountChild(flow)
        flow.pointee.state = .accepted
        schedule(.accepted, flow, slot: slot, due: event.timestamp &+ configuration.settleWindow)
    }

    private mutating func acceptChild(_ slot: UInt32, _ event: KernelEvent) {
        let flow = flows.record(slot)
        // A child from the snapshot (or queued across a loss) has no known creation time.
        let created = flow.pointee.stepTime
        // The threshold test first: passing the event as an Optional copies it,
        // and nearly every child is accepted well within the threshold.
        if event.timestamp > created && event.timestamp - created > configuration.acceptLatencyThreshold {
            reportSlowAcceptIfDue(slot, acceptedAt: event)
        }
        let waitKnown = !flow.pointee.flags.contains(.fromSnapshot) && event.timestamp >= created
        activity.noteAccept(flow.pointee.listener, wait: waitKnown ? event.timestamp - created : nil)
        if !closedChildren.isEmpty { closedChildren.removeValue(forKey: flow.pointee.identity) }
        uncountChild(flow)
        flow.pointee.state = .accepted
        if event.child != 0 { flow.pointee.identity = event.child }
        noteStep(flow, event)
        // Kept for a settle window: a double accept or a late creation
        // callback still finds it.
        schedule(.accepted, flow, slot: slot, due: event.timestamp &+ configuration.settleWindow)
    }

    /// Reports a child that waited longer than the threshold, at accept()
    /// (with the measured latency) or at the end (still waiting).
    mutating func reportSlowAcceptIfDue(_ slot: UInt32, acceptedAt event: KernelEvent?) {
        let flow = flows.record(slot)
        guard !flow.pointee.flags.contains(.fromSnapshot), !flow.pointee.flags.contains(.awaitingChild),
            !flow.pointee.flags.contains(.latencyReported)
        else { return }
        let end = event?.timestamp ?? now
        let created = flow.pointee.stepTime
        guard end > created, end - created > configuration.acceptLatencyThreshold else { return }
        // The wait is measured between two events of one child: another
        // child reusing the 4-tuple (its own creation lost) is not it.
        if let event, event.child != 0, flow.pointee.identity != 0, event.child != flow.pointee.identity { return }
        flow.pointee.flags.insert(.latencyReported)
        let key = flow.pointee.key
        let waited = Double(end - created) / 1e6
        let threshold = Double(configuration.acceptLatencyThreshold) / 1e6
        let stepEvidence = flowEvidence(flow)
        // Across a gap in the flow's history (loss) the accept() seen may not
        // be this child's, and "still not accepted" claims none came: both
        // need the complete stream.
        report(.acceptSlow, listener: flow.pointee.listener, flow: key, flowIsOld: isOld(flow),
            claimsAbsence: true, evidence: {
            [stepEvidence] + (event.map { [Evidence($0)] } ?? [])
        }) {
            let what = event == nil ? "still not accepted after" : "accepted after"
            return "child \(FlowSummary(key)) \(what) \(formatMilliseconds(waited)) ms in the accept queue (threshold \(formatMilliseconds(threshold)) ms)"
        }
    }

    /// The flow of a child event. On the way to CLOSE, tcp_set_state()
    /// unhashes the child and inet_put_port() zeroes its inet_num before the
    /// state is reported, so a child's CLOSE and everything after it (its
    /// accept()) carry local port 0, and the probe no longer knows the
    /// listener of a closed child: the port is the listener's, or the child
    /// is found by its id.
    mutating func findChild(_ event: KernelEvent) -> UInt32? {
        var key = event.flow
        if let slot = flows.find(key, hash: flows.hash(key)) { return slot }
        guard key.localPort == 0 else { return nil }
        if event.listener != 0, let owner = listeners.slot(id: event.listener) {
            key.localPort = listener(owner).pointee.port
            if let slot = flows.find(key, hash: flows.hash(key)) { return slot }
        }
        guard event.child != 0, !closedChildren.isEmpty, let slot = closedChildren[event.child] else { return nil }
        let flow = flows.record(slot)
        let state = flow.pointee.state
        guard state == .childQueued || state == .accepted, flow.pointee.identity == event.child,
            flow.pointee.netns == event.flow.netns, flow.pointee.remotePort == event.flow.remotePort
        else {
            closedChildren.removeValue(forKey: event.child)
            return nil
        }
        return slot
    }

    /// Remembers a queued child that reached CLOSE, bounded: stale entries
    /// (the flow left without accept()) are swept when the map grows.
    private mutating func rememberClosedChild(_ slot: UInt32) {
        let flow = flows.record(slot)
        guard flow.pointee.identity != 0 else { return }
        if closedChildren.count >= 4096 {
            closedChildren = closedChildren.filter { entry in
                let record = flows.record(entry.value)
                return record.pointee.state == .childQueued && record.pointee.identity == entry.key
            }
            if closedChildren.count >= 4096 { return }
        }
        closedChildren[flow.pointee.identity] = slot
    }

    mutating func onChildState(_ event: KernelEvent) {
        let key = event.flow
        guard let found = findChild(event) else {
            guard let listenerSlot = listenerSlot(for: event) else { return }
            let owner = listener(listenerSlot)
            if owner.pointee.unknownChildren == 0 && !owner.pointee.isResyncing && owner.pointee.isOpen {
                report(.orphanEvent, listener: listenerSlot, flow: key, step: .child, evidence: { [Evidence(event)] }) {
                    "state change of a queued child the model never saw created"
                }
            }
            return
        }
        let flow = flows.record(found)
        let owner = listener(flow.pointee.listener)
        switch flow.pointee.state {
        case .childQueued:
            if event.newState == TCPState.close.rawValue && owner.pointee.isOpen { rememberClosedChild(found) }
        case .accepted:
            // A change racing with accept() is the accepted socket's business.
            return
        default:
            // Only queued children are reported: this one's creation was missed.
            reportIllegal(found, event, "state change reported for a flow with no child")
            makeChild(found, child: event.child, event)
        }
        if !owner.pointee.isOpen {
            // inet_csk_listen_stop() disposes of the queued children.
            if event.newState == TCPState.close.rawValue { dropFlow(found) }
            return
        }
        let old = TCPState(rawValue: event.oldState)
        let new = TCPState(rawValue: event.newState)
        var held = flow.pointee.childState
        // SYN_RECV -> ESTABLISHED is not reported (it follows every child's
        // creation callback); a Fast Open child makes it later, on the
        // client's ACK, so a child held in SYN_RECV may be ESTABLISHED now.
        if held == TCPState.synRecv.rawValue && event.oldState == TCPState.established.rawValue {
            held = event.oldState
        }
        if held != 0 && held != event.oldState {
            let heldName = TCPState(rawValue: held)?.name ?? "\(held)"
            reportIllegal(found, event, "child went \(old?.name ?? "?") -> \(new?.name ?? "?") but the model had it in \(heldName)")
            flow.pointee.childState = event.newState
            return
        }
        switch (old, new) {
        case (.established, .closeWait), (.synRecv, .closeWait):
            flow.pointee.flags.insert(.closedWhileQueued)
            reportQueuedChild(found, event, .childClosedWhileQueued, "closed by the client (FIN)")
        case (.established, .close), (.closeWait, .close), (.synRecv, .close):
            reportQueuedChild(found, event, .childResetWhileQueued, "reset")
        case (.synRecv, .established):
            break
        default:
            reportIllegal(found, event, "a queued child cannot go \(old?.name ?? "?") -> \(new?.name ?? "?")")
        }
        flow.pointee.childState = event.newState
    }

    private mutating func reportQueuedChild(_ slot: UInt32, _ event: KernelEvent, _ kind: FindingKind, _ what: String) {
        let flow = flows.record(slot)
        let key = flow.pointee.key
        let waited = event.timestamp > flow.pointee.stepTime ? Double(event.timestamp - flow.pointee.stepTime) / 1e6 : 0
        let stepEvidence = flowEvidence(flow)
        // A client that closes within a millisecond of connecting (a load
        // generator stopping, a health check, a scanner) did not wait for
        // the server: accepting faster would not have helped.
        let atOnce = waited < 1
        report(
            kind, listener: flow.pointee.listener, flow: key,
            action: atOnce
                ? "the client closed right after connecting (a load generator stopping, a health check, a port scan):"
                    + " nothing to do unless this is frequent" : nil,
            evidence: { [stepEvidence, Evidence(event)] }
        ) {
            "child \(FlowSummary(key)) \(what) after \(formatMilliseconds(waited)) ms in the accept queue, before accept()"
        }
    }

    mutating func onDrop(_ event: KernelEvent) {
        let listenerSlot = listenerSlot(for: event)
        let key = event.flow
        if let listenerSlot { observe(listenerSlot, event) }
        decideCookieACKByDrop(event, key: key)
        // Only drops on the way into a connection are the passive open's
        // business: a SYN, or a segment for a request sock or a handshake
        // the model follows. The rest (a FIN, ACK or RST reaching the
        // listener after its child is gone: ordinary teardown) is counted.
        let isSYN = event.tcpFlags & 0x12 == 0x02
        guard isSYN || event.request != 0 || isInHandshake(key) || endedRecently(key, at: event.timestamp) else {
            tallies.teardownSegments &+= 1
            return
        }
        let reason = configuration.dropReasonNames[event.detail] ?? "reason \(event.detail)"
        let what = segmentName(event.tcpFlags)
        report(.packetDropped, listener: listenerSlot, flow: key, step: isSYN ? .syn : .ack,
            evidence: { [Evidence(event)] }) {
            "kernel dropped a \(what) from \(FlowSummary(key)): \(reason)"
        }
    }

    /// Tracepoint tier: the kernel freed an ACK that reached the listener
    /// itself (a syncookie flow's, or one the model does not know), and the
    /// drop reason tells how cookie_v{4,6}_check ended — NO_SOCKET: the
    /// cookie was valid (SyncookiesRecv) but no child could be made;
    /// TCP_FLAGS: the cookie failed (or was not checked) and the listener
    /// answered with a RST. Stronger than the queue figures, which another
    /// CPU (or the listener's backlog, when accept() held its lock) can
    /// outdate before the check. Kernels before drop reasons on this path
    /// say NOT_SPECIFIED for both, and the figures decide as before.
    private mutating func decideCookieACKByDrop(_ event: KernelEvent, key: FlowKey) {
        // A pure ACK (ACK set; SYN and RST clear), as cookie_v{4,6}_check takes.
        guard !observesFunctions, event.tcpFlags & 0x16 == 0x10,
            let slot = flows.find(key, hash: flows.hash(key))
        else { return }
        let state = flows.record(slot).pointee.state
        guard state == .cookieAck || state == .strayAck else { return }
        switch configuration.dropReasonNames[event.detail] {
        case "NO_SOCKET":
            // Read right after the check failed: the fuller figure counts.
            widenAcceptFigure(flows.record(slot), event)
            cookieChildNotMade(slot, event)
        case "TCP_FLAGS":
            if state == .cookieAck { cookieACKFailed(slot) } else { decideStrayACK(slot, checkFailed: true) }
        default:
            break
        }
    }

    /// Whether a handshake for `key` ended by inference (reset, dropped)
    /// within the settle window: the kernel frees the segment that ended it
    /// just after the function tiers report the decision.
    private func endedRecently(_ key: FlowKey, at time: UInt64) -> Bool {
        let hash = flows.hash(key)
        return recentlyEnded.contains { $0.hash == hash && time &- $0.time <= settleWait }
    }

    /// Whether the model follows `key` between its SYN and its child. An ACK
    /// that matched nothing (a late segment of a connection already gone)
    /// is no handshake: its verdict, if any, is `syncookie-failed`.
    private func isInHandshake(_ key: FlowKey) -> Bool {
        guard let slot = flows.find(key, hash: flows.hash(key)) else { return false }
        switch flows.record(slot).pointee.state {
        case .synReceived, .requestCreated, .requestQueued, .ackReceived, .resetPending, .cookieSent, .cookieAck:
            return true
        case .strayAck, .childQueued, .accepted, .free:
            return false
        }
    }

    private func segmentName(_ flags: UInt16) -> String {
        if flags & 0x04 != 0 { return "RST" }
        if flags & 0x12 == 0x02 { return "SYN" }
        if flags & 0x10 != 0 { return "ACK" }
        return "segment"
    }
}
