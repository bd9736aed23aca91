import SynShadowCore
import Testing

/// Loss and eviction: the model says it cannot be trusted, reports the loss
/// or eviction itself, never turns it into a divergence, and becomes certain
/// again from the kernel's figures.
@Suite struct UncertaintyTests {
    @Test(arguments: [Tier.tracepoint, .fentry])
    func lostEventsNeverBecomeDivergences(tier: Tier) {
        var script = EventScript(tier: tier)
        script.listen()
        for client in 0..<5 { script.connection(Fixtures.flow(clientPort: UInt16(40_000 + client))) }
        let lossIndex = script.events.count
        // Everything of these flows is lost up to their accept.
        let lostFlows = (0..<4).map { Fixtures.flow(clientPort: UInt16(41_000 + $0)) }
        var kept = script
        for flow in lostFlows {
            kept.syn(flow)
            let request = kept.queueRequest(flow)
            kept.ack(flow, request: request)
            kept.child(flow, request: request)
        }
        let lost = kept.events.count - lossIndex
        var visible = Array(kept.events.prefix(lossIndex))
        for flow in lostFlows {
            kept.wait(Fixtures.millisecond)
            kept.accept(flow, child: 0xFFFF_8880_AAAA_0000 + UInt64(flow.remotePort))
        }
        for client in 0..<5 {
            kept.wait(5 * Fixtures.millisecond)
            kept.connection(Fixtures.flow(clientPort: UInt16(42_000 + client)))
        }
        visible += kept.events.suffix(kept.events.count - lossIndex - lost)
        let run = ModelRun(visible, configuration: ModelConfiguration(tier: tier), losses: [lossIndex: UInt64(lost)])
        #expect(run.divergences.isEmpty, "\(run.summary)")
        #expect(run.count(.eventsLost) == 1)
        #expect(run.findings.first { $0.kind == .eventsLost }?.category == .observability)
        #expect(run.statistics.lostEvents == UInt64(lost))
        #expect(run.statistics.adoptions >= 1, "re-synchronised from the figures")
    }

    @Test func heldInferencesAreWithdrawnByALateLossReport() {
        var script = EventScript(tier: .tracepoint)
        script.listen()
        // A SYN whose request-built event was lost looks dropped...
        script.syn(Fixtures.flow())
        script.wait(60 * Fixtures.millisecond)
        script.syn(Fixtures.flow(clientPort: 40_001))
        let model = ShadowModel(configuration: ModelConfiguration(tier: .tracepoint))
        for event in script.events { model.process(event) }
        #expect(model.takeFindings().isEmpty, "still held")
        // ...until the consumer notices the loss, within the finding delay.
        model.noteLoss(count: 1, at: script.time)
        model.finish()
        let findings = model.takeFindings()
        #expect(findings.map(\.kind) == [.eventsLost])
        #expect(model.statistics.findingsSuppressed >= 1)
    }

    @Test func findingsAreReleasedAfterTheDelayInEventTime() {
        var script = EventScript(tier: .tracepoint)
        script.listen()
        script.syn(Fixtures.flow())
        let model = ShadowModel(configuration: ModelConfiguration(tier: .tracepoint))
        for event in script.events { model.process(event) }
        model.advance(to: script.time + 100 * Fixtures.millisecond)
        #expect(model.takeFindings().isEmpty)
        model.advance(to: script.time + 400 * Fixtures.millisecond)
        #expect(model.takeFindings().map(\.kind) == [.synDropped])
    }

    @Test(arguments: [EvictionPolicy.evictOldest, .refuseNew])
    func evictionIsCountedReportedAndNeverADivergence(policy: EvictionPolicy) {
        var script = EventScript(tier: .tracepoint)
        script.backlog = 512
        script.listen()
        for client in 0..<40 {
            let flow = Fixtures.flow(clientPort: UInt16(40_000 + client))
            script.syn(flow)
            script.queueRequest(flow)
        }
        for client in 0..<40 {
            let flow = Fixtures.flow(clientPort: UInt16(40_000 + client))
            script.ack(flow)
            let child = script.child(flow)
            script.accept(flow, child: child)
        }
        script.close()
        let configuration = ModelConfiguration(tier: .tracepoint, maximumFlows: 16, evictionPolicy: policy)
        let run = ModelRun(script.events, configuration: configuration)
        #expect(run.divergences.isEmpty, "\(run.summary)")
        #expect(run.count(.flowsEvicted) >= 1)
        let statistics = run.statistics
        #expect(statistics.evictedFlows + statistics.refusedFlows >= 24)
        #expect(statistics.peakFlows <= 16)
    }

    @Test func listenerLimitIsReportedOnce() {
        var script = EventScript(tier: .tracepoint)
        for index in 0..<5 {
            script.listenerID = 0xFFFF_8880_0000_0000 + UInt64(index) * 0x1000
            script.listenerKey = Fixtures.listenerKey(port: UInt16(9000 + index))
            script.listen()
        }
        let run = ModelRun(script.events, configuration: ModelConfiguration(tier: .tracepoint, maximumListeners: 3))
        #expect(run.count(.listenerLimit) == 1)
        #expect(run.statistics.refusedListeners == 2)
        #expect(run.statistics.trackedListeners == 3)
    }

    @Test func snapshotStateIsNeverOrphaned() {
        var script = EventScript(tier: .tracepoint)
        script.listenerKey = Fixtures.listenerKey(address: "::")
        script.requests = 1
        script.children = 2
        script.emit(.snapshotListener, .iterTCP, flow: script.listenerKey, newState: .listen)
        let pending = Fixtures.flow(clientPort: 40_000)
        let queued = [Fixtures.flow(clientPort: 40_001), Fixtures.flow(client: "fd00::7", clientPort: 40_002, server: "fd00::1")]
        script.emit(.snapshotRequest, .iterTCP, flow: pending, request: 0xFFFF_8880_3000_0000, newState: .newSynRecv)
        for (index, flow) in queued.enumerated() {
            script.emit(.snapshotChild, .iterTCP, flow: flow, listener: 0, figures: false, child: 0xFFFF_8880_4000_0000 + UInt64(index), newState: .established)
        }
        // Children queued before tracing: accept() names no listener (the
        // IPv4 one through the dual-stack wildcard) and reads no queues.
        for (index, flow) in queued.enumerated() {
            script.children -= 1
            script.emit(.accept, .sysExitAccept, flow: flow, listener: 0, figures: false, child: 0xFFFF_8880_4000_0000 + UInt64(index))
        }
        script.ack(pending)
        let child = script.child(pending)
        script.accept(pending, child: child)
        script.close()
        let run = ModelRun(script.events, configuration: ModelConfiguration(tier: .tracepoint))
        #expect(run.findings.isEmpty, "\(run.summary)")
    }

    @Test func listenerFirstSeenMidStreamAdoptsTheKernelsCounts() {
        var script = EventScript(tier: .tracepoint)
        // No listen(), no snapshot: 2 requests and 1 child already queued.
        script.requests = 2
        script.children = 1
        for client in 0..<6 {
            script.wait(5 * Fixtures.millisecond)
            script.connection(Fixtures.flow(clientPort: UInt16(40_000 + client)))
        }
        script.accept(Fixtures.flow(clientPort: 39_000), child: 0xFFFF_8880_5000_0000)
        script.close()
        let run = ModelRun(script.events, configuration: ModelConfiguration(tier: .tracepoint))
        #expect(run.divergences.isEmpty, "\(run.summary)")
        #expect(run.statistics.adoptions >= 1)
    }
}
