import SynShadowCore
import Testing

/// `ShadowModel.takeListenerChanges` (what the incident report reads after
/// each step): every change is handed over, the last figures of each
/// listener equal its activity, a listener the model forgets is handed over
/// whole before its slot's next one, and nothing is noted unless asked for.
@Suite struct ListenerChangeTests {
    /// Follows a replay as the report does: the figures after every step.
    final class Follower: ReplayObserver {
        var latest: [UInt32: ListenerFigures] = [:]
        var forgotten: [(ListenerFigures, ListenerActivity)] = []
        var acceptQueueSteps: [Int] = []
        var changes = 0

        func replayWillStart(model: ShadowModel) { model.tracksListenerChanges = true }
        func replayProcessed(_ event: KernelEvent, model: ShadowModel) { take(model) }
        func replayAdvanced(to time: UInt64, model: ShadowModel) { take(model) }

        private func take(_ model: ShadowModel) {
            model.takeListenerChanges { change in
                changes += 1
                switch change {
                case .changed(let figures):
                    if let previous = latest[figures.slot], previous.generation == figures.generation,
                        previous.modelAcceptQueue != figures.modelAcceptQueue
                    {
                        acceptQueueSteps.append(figures.modelAcceptQueue)
                    }
                    latest[figures.slot] = figures
                case .forgotten(let figures, let activity):
                    forgotten.append((figures, activity))
                }
            }
        }
    }

    @Test(arguments: [Tier.tracepoint, .fentry])
    func lastFiguresEqualTheActivity(tier: Tier) throws {
        var options = KernelSimulator.Options(tier: tier)
        options.listeners = 3
        options.connections = 80
        let simulator = KernelSimulator(seed: 7, options: options)
        var header = TraceFileTests.header
        header.tier = tier
        header.kernelSettings = simulator.modelConfiguration.kernel
        let writer = try TraceFileWriter(header: header)
        for event in simulator.run() { try writer.write(event) }
        try writer.finish(summary: TraceSummary(events: 0, lostEvents: 0))

        let follower = Follower()
        let result = try Replay.run(TraceFileReader(bytes: writer.bytes), observer: follower)
        let plain = try Replay.run(TraceFileReader(bytes: writer.bytes))
        // Following changes nothing the model decides.
        #expect(result.findings == plain.findings && result.statistics == plain.statistics)
        #expect(result.listeners == plain.listeners)
        #expect(!result.listeners.isEmpty && follower.changes > 0)
        for activity in result.listeners {
            let figures = try #require(follower.latest.values.first { $0.id == activity.listener.id })
            #expect(figures.syns == activity.syns && figures.handshakes == activity.handshakes)
            #expect(figures.accepts == activity.accepts)
            #expect(figures.findings == activity.findings.values.reduce(0, +))
            #expect(figures.modelAcceptQueue == activity.modelAcceptQueue)
            #expect(figures.modelRequestQueue == activity.modelRequestQueue)
            #expect(figures.kernelAcceptQueue == activity.kernelAcceptQueue)
            #expect(figures.kernelRequestQueue == activity.kernelRequestQueue)
            #expect(figures.backlog == activity.backlog && figures.isOpen == activity.isOpen)
        }
        // The queue moved one child at a time, and every step was seen.
        #expect(follower.acceptQueueSteps.count >= result.listeners.map { Int($0.accepts) }.reduce(0, +))
    }

    @Test func aForgottenListenerIsHandedOverWhole() throws {
        var script = EventScript(tier: .tracepoint)
        script.listen()
        let flow = Fixtures.flow(clientPort: 40_001)
        script.connection(flow)
        script.close()
        let firstID = script.listenerID
        // At its listener limit the model makes room for the next one.
        script.wait(5 * Fixtures.second)
        script.listenerID += 0x1000
        script.listenerKey = Fixtures.listenerKey(port: 9090)
        script.listen()
        script.connection(Fixtures.flow(clientPort: 40_002))
        script.connection(Fixtures.flow(clientPort: 40_003))

        let model = ShadowModel(configuration: ModelConfiguration(tier: .tracepoint, maximumListeners: 1))
        model.tracksListenerChanges = true
        var changes: [ListenerChange] = []
        for event in script.events {
            model.process(event)
            model.takeListenerChanges { changes.append($0) }
        }
        model.finish()
        model.takeListenerChanges { changes.append($0) }

        let forgotten = changes.compactMap { change -> (ListenerFigures, ListenerActivity)? in
            if case .forgotten(let figures, let activity) = change { return (figures, activity) }
            return nil
        }
        let (old, oldActivity) = try #require(forgotten.first)
        #expect(forgotten.count == 1)
        #expect(old.id == firstID && !old.isOpen)
        #expect(old.syns == 1 && old.accepts == 1 && oldActivity.accepts == 1)
        #expect(oldActivity.acceptWait.count == 1)
        let current = try #require(model.listenerActivity().first)
        #expect(current.listener.id == script.listenerID && current.syns == 2 && current.accepts == 2)
        let last = changes.compactMap { change -> ListenerFigures? in
            if case .changed(let figures) = change { return figures }
            return nil
        }.last
        #expect(last?.slot == old.slot && last?.generation == old.generation + 1)
        #expect(model.listenerActivity(slot: old.slot) == current)
    }

    @Test func nothingIsNotedUnlessAsked() {
        var script = EventScript(tier: .tracepoint)
        script.listen()
        script.connection(Fixtures.flow(clientPort: 40_001))
        let model = ShadowModel(configuration: ModelConfiguration(tier: .tracepoint))
        model.process(contentsOf: script.events)
        var count = 0
        model.takeListenerChanges { _ in count += 1 }
        #expect(count == 0)
        #expect(model.listenerActivity(slot: 0)?.accepts == 1)
        #expect(model.findingCount(slot: 0, kind: .acceptSlow) == 0)
        #expect(model.listenerActivity(slot: 5) == nil)
    }
}
