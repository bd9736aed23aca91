/// Loss and eviction: the model says when it cannot be trusted instead of
/// guessing. Both are findings of their own; neither may become a divergence.
extension ModelCore {
    /// `count` events were lost, stamped between the model's time now and
    /// `time` (the live feed reports loss at the watermark it follows, so no
    /// event after `now` has been judged yet). Every listener becomes
    /// uncertain (loss is not attributable) until the stream is past the
    /// loss and its queue figures agree again; every flow with a step in that
    /// span is treated as having gaps (its inferences are withheld); held
    /// inferences are withdrawn; the loss itself is reported. Model time does
    /// not move: events between `now` and `time` are still to come.
    mutating func noteLoss(count: UInt64, at time: UInt64) {
        tallies.lostEvents &+= count
        tallies.lossReports &+= 1
        ledger?.doubt()
        let start = now
        if time > lossHorizon { lossHorizon = time }
        for slot in listeners.liveSlots where listener(slot).pointee.isOpen {
            enterResync(slot)
            let owner = listener(slot)
            owner.pointee.resyncNotBefore = max(owner.pointee.resyncNotBefore, lossHorizon &+ configuration.raceWindow)
        }
        var kept: [Finding] = []
        kept.reserveCapacity(held.count)
        for finding in held {
            if finding.kind.requiresCompleteStream {
                tallies.suppressed &+= 1
                tallies.reported &-= 1
            } else {
                kept.append(finding)
            }
        }
        held = kept
        report(.eventsLost, listener: nil, flow: nil, step: .trace, evidence: { [] }) {
            "\(count) event(s) lost, stamped between \(start) and \(time) ns: flows with steps in that span are not judged, and every listener is uncertain until two queue readings agree again"
        }
    }

    /// Forgets the oldest flow to make room. Flows that weigh on a count or
    /// an inference leave their listener uncertain; lingering ones do not.
    mutating func evict(_ slot: UInt32) {
        let flow = flows.record(slot)
        tallies.evictedFlows &+= 1
        let weighs: Bool
        switch flow.pointee.state {
        case .cookieSent, .accepted, .strayAck, .free: weighs = false
        default: weighs = true
        }
        let listenerSlot = flow.pointee.listener
        dropFlow(slot)
        if weighs { noteEviction(of: listenerSlot) }
    }

    /// A flow of this listener was evicted or refused.
    mutating func noteEviction(of slot: UInt32) {
        let owner = listener(slot)
        guard owner.pointee.isOpen else { return }
        if ledger?.netns == owner.pointee.netns { ledger?.doubt() }
        enterResync(slot)
        guard !owner.pointee.evictionReported else { return }
        owner.pointee.evictionReported = true
        let limit = configuration.maximumFlows
        report(.flowsEvicted, listener: slot, flow: nil, step: .trace, evidence: { [] }) {
            "flow limit (\(limit)) reached: the model forgot flows of this listener and is uncertain until its queues are re-read"
        }
    }
}
