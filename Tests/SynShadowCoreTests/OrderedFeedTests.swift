import SynShadowCore
import Testing

/// The model's time must never pass a record it has not read. The feed
/// holds records until a proven watermark passes them and hands them over
/// in time order; these streams are the ones that produced false findings
/// on busy machines when records were judged in ring order against the clock.
@Suite struct OrderedFeedTests {
    /// One clean handshake, its steps split across drains the way a busy
    /// ring splits them: the SYN read in one drain, the rest in the next.
    func cleanHandshake() -> [KernelEvent] {
        var script = EventScript(tier: .tracepoint)
        script.listen()
        script.connection(Fixtures.flow())
        return script.events
    }

    func findings(_ feed: OrderedFeed) -> [Finding] {
        feed.finish()
        return feed.takeFindings()
    }

    /// Regression (trust issue, items 1 and 2): steps read in the drain
    /// after their SYN are judged with it, because the first drain proved
    /// no time past them. Fed the old way (clock advanced after a drain that
    /// had not caught up) the same stream gave a false syn-dropped and an
    /// orphan request.
    @Test func stepsReadInALaterDrainAreJudgedInOrder() {
        let events = cleanHandshake()
        let syn = events.firstIndex { $0.kind == .syn }!
        // First drain: up to the SYN; it did not catch up (no watermark).
        let feed = OrderedFeed(configuration: ModelConfiguration(tier: .tracepoint))
        feed.accept(events[...syn])
        // Second drain, much later on the clock: caught up, proves its start.
        feed.accept(events[(syn + 1)...])
        feed.advance(to: events.last!.timestamp + 5 * Fixtures.second)
        #expect(findings(feed).isEmpty)

        // What the old consumer did: the clock's time after the first drain.
        let model = ShadowModel(configuration: ModelConfiguration(tier: .tracepoint))
        model.process(contentsOf: events[...syn])
        model.advance(to: events[syn].timestamp + Fixtures.second)
        model.process(contentsOf: events[(syn + 1)...])
        model.finish()
        let old = model.takeFindings().map(\.kind)
        #expect(old.contains(.synDropped) && old.contains(.orphanEvent), "\(old)")
    }

    /// Records from two CPUs arrive in reservation order, which is not
    /// always time order: they are processed by timestamp.
    @Test func recordsAreProcessedInTimeOrder() {
        var events = cleanHandshake()
        // The request's record reserved before the SYN's (another CPU).
        let syn = events.firstIndex { $0.kind == .syn }!
        events.swapAt(syn, syn + 1)
        let feed = OrderedFeed(configuration: ModelConfiguration(tier: .tracepoint))
        feed.accept(events)
        feed.advance(to: events.map(\.timestamp).max()! + 1)
        #expect(feed.statistics.reorderedBatches == 1)
        #expect(findings(feed).isEmpty)
    }

    @Test func nothingIsReleasedBeforeTheWatermarkPassesIt() {
        let events = cleanHandshake()
        let feed = OrderedFeed(configuration: ModelConfiguration(tier: .tracepoint))
        feed.accept(events)
        #expect(feed.model.statistics.events == 0)
        let cut = events[2].timestamp
        feed.advance(to: cut)
        #expect(feed.model.statistics.events == 2, "only records stamped before the watermark")
        #expect(feed.model.now == cut)
    }

    /// Regression (trust issue, item 9): lost records may have been any
    /// flow's steps between the last watermark and the moment the loss was
    /// counted; no flow with a step in that span is judged, so a SYN whose
    /// request record was lost is not a "dropped SYN".
    @Test func lossIsKnownBeforeTheFlowsItMayCoverAreJudged() {
        var script = EventScript(tier: .tracepoint)
        script.listen()
        let flow = Fixtures.flow()
        script.syn(flow)
        let events = script.events
        let feed = OrderedFeed(configuration: ModelConfiguration(tier: .tracepoint))
        feed.advance(to: events[0].timestamp + 1)
        feed.accept(events)
        // The request's two records were lost; counted right after the drain.
        feed.noteLoss(count: 2, at: events.last!.timestamp + 2 * Fixtures.millisecond)
        feed.advance(to: events.last!.timestamp + 3 * Fixtures.millisecond)
        feed.advance(to: events.last!.timestamp + Fixtures.second)
        let kinds = findings(feed).map(\.kind)
        #expect(kinds == [.eventsLost], "\(kinds)")
        #expect(feed.model.statistics.findingsSuppressed >= 1)
    }

    @Test func recordsBehindTheWatermarkAreCountedLate() {
        let events = cleanHandshake()
        let feed = OrderedFeed(configuration: ModelConfiguration(tier: .tracepoint))
        feed.advance(to: events.last!.timestamp + 1)
        feed.accept(events)
        #expect(feed.statistics.lateEvents == UInt64(events.count))
        #expect(findings(feed).isEmpty)
    }

    @Test func memoryStaysBoundedWithoutWatermarks() {
        var script = EventScript(tier: .tracepoint)
        script.listen()
        for port in UInt16(30_000)..<30_400 { script.connection(Fixtures.flow(clientPort: port)) }
        let feed = OrderedFeed(model: ShadowModel(configuration: ModelConfiguration(tier: .tracepoint)), pendingLimit: 256)
        feed.accept(script.events)
        #expect(feed.statistics.forcedReleases > 0)
        #expect(feed.statistics.peakPending <= 257)
    }
}
