import PropertyBased
import SynShadowCore
import Testing
import SynShadowTestbed

/// Whatever a damaged trace or a misbehaving probe delivers, the model
/// neither crashes nor grows past its limits.
@Suite struct RobustnessPropertyTests {
    @Test(arguments: Tier.allCases)
    func arbitraryEventsNeverCrashTheModel(tier: Tier) async {
        await propertyCheck(count: 200, input: Gen.uint64(), Gen.int(in: 1...400)) { seed, length in
            Self.feedArbitraryEvents(tier: tier, seed: seed, length: length)
        }
    }

    /// Seen once above (a crash, so the property could not name its input):
    /// a jump in time made one step's latency 133 years, which stretched a
    /// later step's race window past the clock's end; the wrapped window crashed.
    @Test func aRaceWindowPastTheClocksEndDoesNotCrash() {
        Self.feedArbitraryEvents(tier: .tracepoint, seed: 5_969_789_652_154_830_550, length: 368)
    }

    /// `length` random events from `seed`, then the end of the stream.
    static func feedArbitraryEvents(tier: Tier, seed: UInt64, length: Int) {
        var rng = SplitMix64(seed: seed)
        let configuration = ModelConfiguration(
            tier: tier, maximumFlows: 32, maximumListeners: 3, evictionPolicy: seed % 2 == 0 ? .evictOldest : .refuseNew)
        let model = ShadowModel(configuration: configuration)
        var time: UInt64 = rng.next() % 1_000_000_000_000
        for _ in 0..<length {
            // Small domains so that events collide on flows and listeners.
            time = rng.chance(0.02) ? rng.next() : time &+ rng.between(0, 3 * Fixtures.second)
            let kind = EventKind.allCases[Int(rng.next() % UInt64(EventKind.allCases.count))]
            let hooks = Array(tier.hooks)
            let hook = rng.chance(0.9) ? hooks[Int(rng.next() % UInt64(hooks.count))] : Hook.allCases[Int(rng.next() % 16)]
            let flow = FlowKey(
                netns: UInt32(rng.next() % 2), family: rng.chance(0.5) ? .ipv4 : .ipv6,
                localAddress: IPAddress(high: rng.next() % 2, low: 0), localPort: UInt16(rng.next() % 3),
                remoteAddress: IPAddress(high: rng.next() % 4, low: 0), remotePort: UInt16(rng.next() % 4))
            let event = KernelEvent(
                kind: kind, hook: hook, timestamp: time, flow: flow,
                flags: EventFlags(rawValue: UInt16(truncatingIfNeeded: rng.next())),
                oldState: UInt8(rng.next() % 14), newState: UInt8(rng.next() % 14),
                listener: rng.next() % 5, request: rng.next() % 4, child: rng.next() % 6,
                queues: QueueFigures(
                    acceptQueue: UInt32(rng.next() % 6), acceptQueueLimit: UInt32(rng.next() % 4),
                    requestQueue: rng.chance(0.01) ? .max : UInt32(rng.next() % 6)),
                result: Int64(bitPattern: rng.next() % 8), detail: UInt32(truncatingIfNeeded: rng.next()))
            model.process(event)
            if rng.chance(0.02) { model.noteLoss(count: rng.next() % 10, at: time) }
            if rng.chance(0.02) { model.advance(to: time &+ rng.between(0, 120 * Fixtures.second)) }
            _ = model.takeFindings()
        }
        model.finish()
        _ = model.takeFindings()
        let statistics = model.statistics
        #expect(statistics.peakFlows <= 32)
        #expect(statistics.trackedListeners <= 3)
    }
}
