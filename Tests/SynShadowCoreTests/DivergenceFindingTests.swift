import SynShadowCore
import Testing

/// The model/kernel inconsistencies, each from a minimal sequence: queue
/// length, orphans, illegal transitions, double accept. One divergence makes
/// the listener re-read its queues, so a single fault gives a single finding.
@Suite struct DivergenceFindingTests {
    private func run(_ script: EventScript) -> ModelRun {
        ModelRun(script.events, configuration: ModelConfiguration(tier: script.tier, kernel: KernelSettings(abortOnOverflow: false)))
    }

    @Test func kernelQueueLengthDifferentFromTheModel() throws {
        var script = EventScript(tier: .tracepoint)
        script.listen()
        let flow = Fixtures.flow()
        script.syn(flow)
        script.queueRequest(flow)
        script.wait(20 * Fixtures.millisecond)
        script.children += 2  // two children the model never saw queued
        script.syn(Fixtures.flow(clientPort: 40_001))
        script.wait(20 * Fixtures.millisecond)
        script.syn(Fixtures.flow(clientPort: 40_002))
        let run = run(script)
        let finding = try #require(run.divergences.first)
        #expect(finding.kind == .queueMismatch)
        #expect(finding.category == .divergence && finding.severity == .error)
        #expect(finding.explanation.contains("accept queue: kernel 2, model 0"))
        #expect(finding.evidence.first?.kind == .syn)
        #expect(run.divergences.count == 1, "\(run.summary)")
    }

    @Test func acceptOfAChildNeverCreatedIsAnOrphan() throws {
        var script = EventScript(tier: .fentry)
        script.listen()
        script.children += 1
        script.accept(Fixtures.flow(), child: 0xFFFF_8880_DEAD_0000)
        let run = run(script)
        #expect(run.divergences.map(\.kind) == [.orphanEvent], "\(run.summary)")
        #expect(run.divergences.first?.step == .accept)
    }

    @Test func hashedRequestForAnUnseenSynIsAnOrphan() {
        var script = EventScript(tier: .fentry)
        script.listen()
        let flow = Fixtures.flow()
        script.emit(.requestQueued, .requestHashAdd, flow: flow, request: script.newIdentity())
        script.requests += 1
        let run = run(script)
        #expect(run.divergences.map(\.kind) == [.orphanEvent], "\(run.summary)")
    }

    @Test func checkReqForAnUnseenRequestIsAnOrphan() {
        var script = EventScript(tier: .kprobe)
        script.requests = 0
        script.listen()
        let flow = Fixtures.flow()
        script.ack(flow, request: 0xFFFF_8880_BEEF_0000)
        let run = run(script)
        #expect(run.divergences.map(\.kind) == [.orphanEvent], "\(run.summary)")
    }

    @Test func childStateThatContradictsTheModelIsIllegal() {
        var script = EventScript(tier: .tracepoint)
        script.listen()
        let flow = Fixtures.flow()
        script.syn(flow)
        script.queueRequest(flow)
        script.ack(flow)
        let child = script.child(flow)
        script.childState(flow, child: child, from: .closeWait, to: .close)
        let run = run(script)
        #expect(run.divergences.map(\.kind) == [.illegalTransition], "\(run.summary)")
    }

    @Test func duplicatedChildCreationIsIllegal() {
        var script = EventScript(tier: .tracepoint)
        script.listen()
        let flow = Fixtures.flow()
        script.syn(flow)
        script.queueRequest(flow)
        script.ack(flow)
        let child = script.child(flow)
        script.emit(.childCreated, .sockOpsPassiveEstablished, flow: flow, child: child, newState: .established)
        let run = run(script)
        #expect(run.divergences.map(\.kind) == [.illegalTransition], "\(run.summary)")
    }

    @Test(arguments: [Tier.tracepoint, .fentry])
    func sameChildAcceptedTwice(tier: Tier) {
        var script = EventScript(tier: tier)
        script.listen()
        let flow = Fixtures.flow()
        script.connection(flow)
        let child = script.events.last!.child
        script.children += 1
        script.accept(flow, child: child)
        let run = run(script)
        #expect(run.divergences.map(\.kind) == [.doubleAccept], "\(run.summary)")
    }

    @Test func listenReportedTwiceIsIllegal() {
        var script = EventScript(tier: .tracepoint)
        script.listen()
        script.listen()
        #expect(run(script).divergences.map(\.kind) == [.illegalTransition])
    }

    @Test func aDivergenceIsReportedOnceThenTheListenerResynchronises() {
        var script = EventScript(tier: .tracepoint)
        script.listen()
        // The kernel's request queue holds three requests the model never saw.
        script.requests = 3
        for client in 0..<10 {
            script.wait(10 * Fixtures.millisecond)
            script.connection(Fixtures.flow(clientPort: UInt16(40_000 + client)))
        }
        let run = run(script)
        #expect(run.divergences.map(\.kind) == [.queueMismatch], "\(run.summary)")
        #expect(run.statistics.adoptions >= 1)
        // Certain again: a later inconsistency is reported.
        var later = script
        later.children += 1
        later.wait(10 * Fixtures.millisecond)
        later.syn(Fixtures.flow(clientPort: 41_000))
        later.wait(10 * Fixtures.millisecond)
        later.syn(Fixtures.flow(clientPort: 41_001))
        #expect(self.run(later).divergences.map(\.kind) == [.queueMismatch, .queueMismatch])
    }
}
