/// Turning a decision into a `Finding`: withheld when the model is not sure
/// (gaps in the flow's history, an uncertain listener), rate-limited per
/// listener, built (strings and all) only when it will be reported, and held
/// for `findingDelay` so a late loss report can still withdraw it.
extension ModelCore {
    mutating func report(
        _ kind: FindingKind, listener slot: UInt32?, flow key: FlowKey?, flowIsOld: Bool = false,
        claimsAbsence: Bool? = nil, step: HandshakeStep? = nil, alsoCounts extraCounters: [KernelCounter] = [],
        action: String? = nil, evidence: () -> [Evidence], explanation: () -> String
    ) {
        let counters = kind.counters + extraCounters
        tallies.findings[Int(kind.rawValue)] &+= 1
        if let slot { activity.noteFinding(slot, kind) }
        let countsInLedger = !counters.isEmpty && ledger != nil
            && ledger?.netns == (slot.map { listener($0).pointee.netns } ?? key?.netns)
        // A claim that something did not happen needs every event of the flow.
        if (claimsAbsence ?? kind.requiresCompleteStream) && flowIsOld {
            tallies.suppressed &+= 1
            // The kernel counted what the model no longer dares to claim.
            if countsInLedger { ledger?.doubt() }
            return
        }
        // Counted even past the per-listener limit: the claim stands, only its text is spared.
        if countsInLedger { ledger?.claim(counters, at: evidence().first?.timestamp ?? now) }
        if kind.category == .divergence, let slot, listener(slot).pointee.isResyncing {
            tallies.suppressed &+= 1
            return
        }
        var withinLimit = true
        let limit = UInt32(clamping: configuration.findingLimitPerListener)
        if let slot {
            let index = Int(slot) * FindingKind.allCases.count + Int(kind.rawValue)
            if findingCounts[index] >= limit { withinLimit = false } else { findingCounts[index] += 1 }
        } else {
            let index = Int(kind.rawValue)
            if globalFindingCounts[index] >= limit { withinLimit = false } else { globalFindingCounts[index] += 1 }
        }
        if withinLimit {
            var finding = Finding(
                kind: kind, step: step, timestamp: now, listener: slot.map { summary(of: $0) },
                flow: key.map { FlowSummary($0) }, evidence: evidence(),
                explanation: explanation() + "; " + (action ?? kind.action))
            finding.counters = counters
            held.append(finding)
            tallies.reported &+= 1
        } else {
            tallies.overLimit &+= 1
        }
        // The model's view of this listener is now in doubt: stop asserting
        // until its counts are re-based on the kernel's.
        if kind.category == .divergence, let slot { enterResync(slot) }
    }

    /// An event arrived in a state where the passive open cannot take it.
    mutating func reportIllegal(_ slot: UInt32, _ event: KernelEvent, _ what: String) {
        let flow = flows.record(slot)
        let key = flow.pointee.key
        let state = flow.pointee.state
        let stepEvidence = flowEvidence(flow)
        report(.illegalTransition, listener: flow.pointee.listener, flow: key, flowIsOld: isOld(flow),
            step: step(of: event.kind), evidence: { [stepEvidence, Evidence(event)] }) {
            "\(what) (\(event.kind.name) in state \(state.name) for \(FlowSummary(key)))"
        }
        // Its history no longer adds up: later inferences about it are withheld.
        flow.pointee.epoch = 0
    }

    /// The evidence of the step the flow is in (kind, hook, time, figures).
    func flowEvidence(_ flow: FlowPointer) -> Evidence {
        let owner = listener(flow.pointee.listener)
        let queues: QueueSnapshot? = flow.pointee.figureRequest == FlowRecord.noFigure
            ? nil
            : QueueSnapshot(
                acceptQueue: flow.pointee.figureAccept, acceptQueueLimit: owner.pointee.limit,
                requestQueue: flow.pointee.figureRequest)
        return Evidence(
            kind: EventKind(rawValue: flow.pointee.stepKind) ?? .syn,
            hook: Hook(rawValue: flow.pointee.stepHook) ?? .cgroupSkbIngress, timestamp: flow.pointee.stepTime,
            queues: queues)
    }

    func step(of kind: EventKind) -> HandshakeStep {
        switch kind {
        case .listenStart, .listenStop, .snapshotListener: .listen
        case .syn, .connRequestDone, .drop: .syn
        case .requestCreated, .requestQueued, .synAckRetransmit, .snapshotRequest, .requestDropped: .synAck
        case .ack, .rst, .checkRequestDone, .cookieCheckDone: .ack
        case .childCreated, .childState, .snapshotChild: .child
        case .accept: .accept
        }
    }
}

extension FlowState {
    var name: String {
        switch self {
        case .free: "free"
        case .synReceived: "syn-received"
        case .requestCreated: "request-created"
        case .requestQueued: "request-queued"
        case .ackReceived: "ack-received"
        case .resetPending: "reset-pending"
        case .cookieSent: "cookie-sent"
        case .cookieAck: "cookie-ack"
        case .strayAck: "stray-ack"
        case .childQueued: "child-queued"
        case .accepted: "accepted"
        }
    }
}
