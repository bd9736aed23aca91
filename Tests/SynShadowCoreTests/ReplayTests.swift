import SynShadowCore
import Testing

/// `synshadow replay` must give the live run's findings: same events, same
/// loss reports and clock ticks in the same order, same configuration.
@Suite struct ReplayTests {
    @Test(arguments: [Tier.tracepoint, .fentry])
    func replayGivesTheLiveRunsFindings(tier: Tier) throws {
        var options = KernelSimulator.Options(tier: tier)
        options.listeners = 3
        options.connections = 60
        options.snapshot = true
        let simulator = KernelSimulator(seed: 2024, options: options)
        let events = simulator.run()
        var header = TraceFileTests.header
        header.tier = tier
        header.kernelSettings = simulator.modelConfiguration.kernel

        // The live run: a model fed as the live driver feeds it (through
        // the ordering feed, ticks as watermarks), recording.
        var configuration = ModelConfiguration(header: header)
        configuration.acceptLatencyThreshold = simulator.options.acceptLatencyThreshold
        let live = OrderedFeed(configuration: configuration)
        let writer = try TraceFileWriter(header: header)
        var liveFindings: [Finding] = []
        for (index, event) in events.enumerated() {
            try writer.write(event)
            live.accept(CollectionOfOne(event))
            if index == events.count / 2 {
                try writer.writeLoss(count: 2, at: event.timestamp)
                live.noteLoss(count: 2, at: event.timestamp)
            }
            if index % 50 == 0 {
                try writer.writeClock(event.timestamp + 1_000)
                live.advance(to: event.timestamp + 1_000)
            }
            liveFindings += live.takeFindings()
        }
        live.finish()
        liveFindings += live.takeFindings()
        try writer.finish(summary: TraceSummary(events: UInt64(events.count), lostEvents: 2))

        let result = try Replay.run(TraceFileReader(bytes: writer.bytes)) {
            $0.acceptLatencyThreshold = simulator.options.acceptLatencyThreshold
        }
        #expect(result.isComplete)
        #expect(result.events == UInt64(events.count))
        #expect(result.findings == liveFindings)
        #expect(result.statistics == live.model.statistics)
        #expect(!liveFindings.isEmpty)
    }

    @Test func sameEventsGiveSameFindingsWhateverTheHashSeed() {
        var options = KernelSimulator.Options(tier: .tracepoint)
        options.connections = 50
        let simulator = KernelSimulator(seed: 99, options: options)
        let events = simulator.run()
        var first = simulator.modelConfiguration
        first.hashSeed = 1
        var second = first
        second.hashSeed = 0xDEAD_BEEF
        #expect(ModelRun(events, configuration: first).findings == ModelRun(events, configuration: second).findings)
    }

    @Test func configurationComesFromTheHeader() {
        let configuration = ModelConfiguration(header: TraceFileTests.header)
        #expect(configuration.tier == .tracepoint)
        #expect(configuration.kernel.syncookies == 1)
        #expect(configuration.dropReasonNames[5] == "TCP_CSUM")
    }
}
