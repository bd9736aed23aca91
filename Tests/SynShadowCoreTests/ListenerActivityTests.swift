import SynShadowCore
import Testing

/// `ShadowModel.listenerActivity()`: per listener counts, queue figures,
/// findings per kind (before the reporting limit) and latency histograms,
/// checked against hand-built streams whose timings are known.
@Suite struct ListenerActivityTests {
    static let shapes: [Tier] = [.tracepoint, .fentry]

    /// Feeds `events` to a fresh model; `finish` decides what is pending.
    private func model(_ script: EventScript, finish: Bool, configuration: ModelConfiguration? = nil) -> ShadowModel {
        let model = ShadowModel(
            configuration: configuration ?? ModelConfiguration(tier: script.tier, kernel: KernelSettings(abortOnOverflow: false)))
        model.process(contentsOf: script.events)
        if finish { model.finish() }
        return model
    }

    /// The time of each flow's SYN and of its child's creation (tcp_check_req
    /// returning it on function tiers, PASSIVE_ESTABLISHED on the tracepoint tier).
    private func stepTimes(of flow: FlowKey, in events: [KernelEvent]) -> (syn: UInt64, child: UInt64, accept: UInt64)? {
        let mine = events.filter { $0.flow == flow }
        guard let syn = mine.first(where: { $0.kind == .syn }),
            let child = mine.first(where: { ($0.kind == .checkRequestDone && $0.child != 0) || $0.kind == .childCreated }),
            let accept = mine.first(where: { $0.kind == .accept })
        else { return nil }
        return (syn.timestamp, child.timestamp, accept.timestamp)
    }

    @Test(arguments: shapes)
    func cleanConnectionsGiveCountsAndLatencies(tier: Tier) throws {
        let ms = Fixtures.millisecond
        let handshakeDelays: [UInt64] = [ms * 3 / 10, ms * 3 / 10, ms * 3 / 2, ms * 3 / 2, ms * 3 / 2, 30 * ms]
        let acceptDelays: [UInt64] = [ms / 20, 5 * ms, 5 * ms, 120 * ms, 2_000 * ms, 20_000 * ms]
        var script = EventScript(tier: tier)
        script.backlog = 8
        script.listen()
        var flows: [FlowKey] = []
        for index in handshakeDelays.indices {
            let flow = Fixtures.flow(clientPort: UInt16(40_000 + index))
            flows.append(flow)
            script.syn(flow)
            let request = script.queueRequest(flow)
            script.wait(handshakeDelays[index])
            script.ack(flow, request: request)
            let child = script.child(flow, request: request)
            script.wait(acceptDelays[index])
            script.accept(flow, child: child)
        }
        let model = model(script, finish: true)
        let all = model.listenerActivity()
        #expect(all.count == 1)
        let activity = try #require(all.first)

        var handshakes = LatencyHistogram()
        var waits = LatencyHistogram()
        for flow in flows {
            let times = try #require(stepTimes(of: flow, in: script.events))
            handshakes.record(nanoseconds: times.child - times.syn)
            waits.record(nanoseconds: times.accept - times.child)
        }
        #expect(activity.listener.id == script.listenerID)
        #expect(activity.listener.port == 8080 && activity.listener.comm == "server" && activity.listener.pid == 4242)
        #expect(activity.isOpen)
        #expect(activity.backlog == 8)
        #expect(activity.syns == 6 && activity.handshakes == 6 && activity.accepts == 6)
        #expect(activity.modelRequestQueue == 0 && activity.modelAcceptQueue == 0)
        #expect(activity.kernelRequestQueue == 0 && activity.kernelAcceptQueue == 0)
        #expect(activity.handshakeTime == handshakes)
        #expect(activity.acceptWait == waits)
        #expect(activity.handshakeTime.count == 6 && activity.acceptWait.count == 6)
        // The third of six handshakes took 1.5 ms (+ probe spacing): the 2 ms
        // bucket; the slowest, 30 ms: the 50 ms bucket.
        #expect(activity.handshakeTime.quantile(0.5) == 2 * ms)
        #expect(activity.handshakeTime.quantile(0.99) == 50 * ms)
        #expect(activity.acceptWait.quantile(0.5) == 10 * ms)
        // 20 s is past the last bound (10 s).
        #expect(activity.acceptWait.quantile(1) == .max)
        // Three children waited past the 100 ms threshold.
        #expect(activity.findings == [.acceptSlow: 3])
    }

    @Test(arguments: shapes)
    func queuesAndFiguresWhileChildrenWait(tier: Tier) throws {
        var script = EventScript(tier: tier)
        script.backlog = 5
        script.listen()
        for index in 0..<3 {
            let flow = Fixtures.flow(clientPort: UInt16(40_000 + index))
            script.syn(flow)
            let request = script.queueRequest(flow)
            script.ack(flow, request: request)
            script.child(flow, request: request)
        }
        let pending = Fixtures.flow(clientPort: 41_000)
        script.syn(pending)
        script.queueRequest(pending)
        let model = model(script, finish: false)
        let activity = try #require(model.listenerActivity().first)
        let last = try #require(script.events.last { $0.flags.contains(.queuesValid) })
        #expect(activity.syns == 4 && activity.handshakes == 3 && activity.accepts == 0)
        #expect(activity.modelAcceptQueue == 3 && activity.modelRequestQueue == 1)
        #expect(activity.kernelAcceptQueue == Int(last.queues.acceptQueue))
        #expect(activity.kernelRequestQueue == Int(last.queues.requestQueue))
        // Every figure since the third child was created read three children.
        #expect(activity.kernelAcceptQueue == 3)
        #expect(activity.acceptWait.count == 0 && activity.handshakeTime.count == 3)
    }

    /// Findings are counted as decided, including those the per-listener
    /// limit keeps from being reported.
    @Test(arguments: shapes)
    func findingsAreCountedBeforeTheReportingLimit(tier: Tier) throws {
        var script = EventScript(tier: tier)
        script.backlog = 1
        script.listen()
        for index in 0..<2 {
            let flow = Fixtures.flow(clientPort: UInt16(40_000 + index))
            script.syn(flow)
            let request = script.queueRequest(flow)
            script.ack(flow, request: request)
            script.child(flow, request: request)
        }
        let drops = 5
        for index in 0..<drops {
            let dropped = Fixtures.flow(clientPort: UInt16(41_000 + index))
            script.wait(Fixtures.second)
            script.syn(dropped)
            script.connRequestDone(dropped)
        }
        let configuration = ModelConfiguration(
            tier: tier, findingLimitPerListener: 2, kernel: KernelSettings(abortOnOverflow: false))
        let model = model(script, finish: true, configuration: configuration)
        let activity = try #require(model.listenerActivity().first)
        #expect(model.takeFindings().filter { $0.kind == .synDroppedAcceptQueueFull }.count == 2)
        #expect(activity.findings[.synDroppedAcceptQueueFull] == UInt64(drops))
        #expect(activity.syns == UInt64(2 + drops) && activity.handshakes == 2 && activity.accepts == 0)
        #expect(activity.backlog == 1 && activity.modelAcceptQueue == 2 && activity.kernelAcceptQueue == 2)
    }

    /// Requests and children from the start-up snapshot count when they
    /// move on, but their latencies are unknown and stay out of the histograms.
    @Test func snapshotFlowsAddNoLatency() throws {
        var script = EventScript(tier: .tracepoint)
        script.requests = 1
        script.children = 1
        script.emit(.snapshotListener, .iterTCP, flow: script.listenerKey, newState: .listen)
        let pending = Fixtures.flow(clientPort: 40_000)
        let queued = Fixtures.flow(clientPort: 40_001)
        let queuedChild: UInt64 = 0xFFFF_8880_4000_0000
        script.emit(.snapshotRequest, .iterTCP, flow: pending, request: 0xFFFF_8880_3000_0000, newState: .newSynRecv)
        script.emit(.snapshotChild, .iterTCP, flow: queued, listener: 0, figures: false, child: queuedChild, newState: .established)
        script.children -= 1
        script.emit(.accept, .sysExitAccept, flow: queued, listener: 0, figures: false, child: queuedChild)
        script.ack(pending)
        let child = script.child(pending)
        script.wait(3 * Fixtures.millisecond)
        script.accept(pending, child: child)
        let model = model(script, finish: false)
        let activity = try #require(model.listenerActivity().first)
        #expect(activity.syns == 0 && activity.handshakes == 1 && activity.accepts == 2)
        #expect(activity.handshakeTime.count == 0)
        // Only the child created under tracing has a known wait.
        #expect(activity.acceptWait.count == 1)
        #expect(activity.acceptWait.quantile(1) == 5 * Fixtures.millisecond)
    }

    /// A slot freed by a closed listener and reused starts from zero.
    @Test func aReusedSlotStartsFromZero() throws {
        var script = EventScript(tier: .tracepoint)
        script.listen()
        for index in 0..<3 { script.connection(Fixtures.flow(clientPort: UInt16(40_000 + index))) }
        script.close()
        script.wait(5 * Fixtures.second)
        script.listenerID += 0x1000
        script.listenerKey = Fixtures.listenerKey(port: 9090)
        script.listen()
        let configuration = ModelConfiguration(tier: .tracepoint, maximumListeners: 1)
        let model = model(script, finish: false, configuration: configuration)
        let all = model.listenerActivity()
        #expect(all.count == 1)
        let activity = try #require(all.first)
        #expect(activity.listener.id == script.listenerID && activity.listener.port == 9090)
        #expect(activity.syns == 0 && activity.handshakes == 0 && activity.accepts == 0)
        #expect(activity.findings.isEmpty)
        #expect(activity.handshakeTime.count == 0 && activity.acceptWait.count == 0)
    }

    /// Before the slot is reused, a closed listener still reports what it did.
    @Test func aClosedListenerKeepsItsCounts() throws {
        var script = EventScript(tier: .tracepoint)
        script.listen()
        for index in 0..<3 { script.connection(Fixtures.flow(clientPort: UInt16(40_000 + index))) }
        script.close()
        let model = model(script, finish: false)
        let activity = try #require(model.listenerActivity().first)
        #expect(!activity.isOpen)
        #expect(activity.syns == 3 && activity.handshakes == 3 && activity.accepts == 3)
    }
}
