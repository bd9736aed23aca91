/// Listeners: listen(), close, the start-up snapshot, and finding the
/// listener of records that do not name one.
extension ModelCore {
    /// The listener an event names, creating an uncertain one on first sight
    /// (traffic for a listener that existed before tracing, without snapshot).
    mutating func listenerSlot(for event: KernelEvent) -> UInt32? {
        if event.listener != 0 {
            if let slot = listeners.slot(id: event.listener) {
                // A closed listener takes no new flows; late records for it
                // (ring order around the close) are only counted.
                guard listener(slot).pointee.isOpen else {
                    tallies.unattributedEvents &+= 1
                    return nil
                }
                noteOwner(slot, event)
                return slot
            }
            return addListener(from: event, certain: false)
        }
        if let slot = listeners.slot(servingLocalSideOf: event.flow) { return slot }
        tallies.unattributedEvents &+= 1
        return nil
    }

    /// Adds a listener. An uncertain one takes its counts from the kernel's
    /// figures once two readings agree (see ModelCore+Queues).
    mutating func addListener(from event: KernelEvent, certain: Bool) -> UInt32? {
        if listeners.isFull, let victim = listeners.reclaimable() { listeners.retire(victim) }
        var record = ListenerRecord(
            id: event.listener, netns: event.flow.netns, family: event.flow.family,
            address: event.flow.localAddress, port: event.flow.localPort, epoch: epoch, time: event.timestamp)
        record.isResyncing = !certain
        record.resyncNotBefore = now
        if activity.tracksChanges, let reused = listeners.nextReusedSlot { noteForgotten(reused) }
        guard let slot = listeners.add(record) else {
            tallies.refusedListeners &+= 1
            if ledger?.netns == event.flow.netns { ledger?.doubt() }
            if globalFindingCounts[Int(FindingKind.listenerLimit.rawValue)] == 0 {
                let key = event.flow
                let limit = configuration.maximumListeners
                report(.listenerLimit, listener: nil, flow: nil, evidence: { [Evidence(event)] }) {
                    "listener on port \(key.localPort) not tracked: \(limit) listeners already tracked"
                }
            }
            return nil
        }
        if !certain { tallies.resynchronisations &+= 1 }
        let kinds = FindingKind.allCases.count
        let needed = (Int(slot) + 1) * kinds
        if findingCounts.count < needed {
            findingCounts.append(contentsOf: repeatElement(0, count: needed - findingCounts.count))
        }
        for index in Int(slot) * kinds..<needed { findingCounts[index] = 0 }
        activity.reset(slot)
        noteOwner(slot, event)
        noteLimit(slot, event)
        return slot
    }

    @inline(__always)
    func noteOwner(_ slot: UInt32, _ event: KernelEvent) {
        guard event.flags.contains(.ownerKnown), event.pid != 0 else { return }
        let record = listener(slot)
        guard !record.pointee.ownerKnown || event.kind.describesListener else { return }
        if record.pointee.pid != event.pid || !record.pointee.ownerKnown { activity.touch(slot) }
        record.pointee.pid = event.pid
        record.pointee.comm = event.comm
        record.pointee.ownerKnown = true
    }

    /// A freed slot is about to take a new listener: its last one's figures
    /// and activity are kept for `takeListenerChanges`.
    private mutating func noteForgotten(_ slot: UInt32) {
        forgottenListeners.append((figures(of: slot), activity(of: slot)))
    }

    func noteLimit(_ slot: UInt32, _ event: KernelEvent) {
        guard event.flags.contains(.queuesValid) else { return }
        let record = listener(slot)
        record.pointee.limit = event.queues.acceptQueueLimit
        record.pointee.limitKnown = true
    }

    mutating func onListenStart(_ event: KernelEvent) {
        if let slot = listeners.slot(id: event.listener) {
            if listener(slot).pointee.isOpen {
                // inet_listen() runs the callback only on CLOSE -> LISTEN.
                report(.illegalTransition, listener: slot, flow: nil, step: .listen, evidence: { [Evidence(event)] }) {
                    "listen() reported for a socket the model already has listening"
                }
                return
            }
            listeners.retire(slot)
        }
        guard let slot = addListener(from: event, certain: true) else { return }
        listener(slot).pointee.addressKnown = true
        listeners.indexAddress(slot)
    }

    mutating func onListenStop(_ event: KernelEvent) {
        guard let slot = listeners.slot(id: event.listener) else {
            tallies.unattributedEvents &+= 1
            return
        }
        let record = listener(slot)
        guard record.pointee.isOpen else {
            report(.illegalTransition, listener: slot, flow: nil, step: .listen, evidence: { [Evidence(event)] }) {
                "listener closed twice"
            }
            return
        }
        // LISTEN -> CLOSE fires before inet_csk_listen_stop() drains the queues.
        observe(slot, event)
        settleCheckNow(slot)
        let valid = event.flags.contains(.queuesValid)
        let requests = valid ? Int64(event.queues.requestQueue) : record.pointee.requests
        let children = valid ? Int64(event.queues.acceptQueue) : record.pointee.children
        if children > 0 || (requests > 0 && !record.pointee.isResyncing) {
            report(.listenerClosedWithQueue, listener: slot, flow: nil, evidence: { [Evidence(event)] }) {
                "listener closed with \(children) connection(s) in the accept queue and \(requests) in the request queue"
            }
        }
        record.pointee.isOpen = false
        record.pointee.check.isActive = false
        record.pointee.requests = 0
        record.pointee.children = 0
        record.pointee.freshRequests = 0
        record.pointee.freshChildren = 0
        record.pointee.unknownRequests = 0
        record.pointee.unknownChildren = 0
        if record.pointee.addressKnown { listeners.unindexAddress(slot) }
        activity.touch(slot)
    }

    /// A listener found at start-up: its figures are the kernel's counts,
    /// all of them unknown until the snapshot names its requests and children.
    mutating func onSnapshotListener(_ event: KernelEvent) {
        if let slot = listeners.slot(id: event.listener), listener(slot).pointee.isOpen {
            observe(slot, event)
            return
        }
        guard let slot = addListener(from: event, certain: event.flags.contains(.queuesValid)) else { return }
        let record = listener(slot)
        record.pointee.addressKnown = true
        listeners.indexAddress(slot)
        guard event.flags.contains(.queuesValid) else { return }
        record.pointee.requests = Int64(event.queues.requestQueue)
        record.pointee.children = Int64(event.queues.acceptQueue)
        record.pointee.unknownRequests = record.pointee.requests
        record.pointee.unknownChildren = record.pointee.children
        record.pointee.unknownDeadline = now &+ maximumRequestLifetime
        activity.touch(slot)
    }

    /// A flow for a request or child the start-up snapshot found; nil when
    /// the model already follows that 4-tuple (the live events came first)
    /// or has no room.
    private mutating func snapshotFlow(_ event: KernelEvent, listenerSlot: UInt32) -> UInt32? {
        let lookup = flows.lookUp(event.flow)
        guard lookup.slot == nil else { return nil }
        return createFlow(lookup, listenerSlot: listenerSlot, event: event)
    }

    mutating func onSnapshotRequest(_ event: KernelEvent) {
        guard let listenerSlot = listenerSlot(for: event) else { return }
        guard let slot = snapshotFlow(event, listenerSlot: listenerSlot) else { return }
        let flow = flows.record(slot)
        flow.pointee.state = .requestQueued
        flow.pointee.identity = event.request
        flow.pointee.flags.insert(.fromSnapshot)
        if !claimUnknownRequest(flow) { countRequest(flow) }
        // Its age is unknown: it may expire at any time, and surely has by
        // the longest request lifetime.
        setMayHaveLeft(flow, true)
        schedule(.snapshotRequest, flow, slot: slot, due: now &+ maximumRequestLifetime)
    }

    mutating func onSnapshotChild(_ event: KernelEvent) {
        guard let listenerSlot = listeners.slot(servingLocalSideOf: event.flow) else {
            tallies.unattributedEvents &+= 1
            return
        }
        guard let slot = snapshotFlow(event, listenerSlot: listenerSlot) else { return }
        let flow = flows.record(slot)
        flow.pointee.state = .childQueued
        flow.pointee.identity = event.child
        flow.pointee.childState = event.newState == 0 ? TCPState.established.rawValue : event.newState
        flow.pointee.flags.insert([.fromSnapshot, .childEventSeen])
        if !claimUnknownChild(flow) { countChild(flow) }
    }

    func summary(of slot: UInt32) -> ListenerSummary {
        let record = listener(slot).pointee
        return ListenerSummary(
            id: record.id, netns: record.netns, family: record.family.name,
            address: record.addressKnown ? record.address.formatted(as: record.family) : "",
            port: record.port, pid: record.ownerKnown ? record.pid : nil,
            comm: record.ownerKnown ? record.comm.description : nil)
    }
}
