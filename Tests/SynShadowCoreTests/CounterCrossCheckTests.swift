import SynShadowCore
import Testing

/// The `trace --counters` comparison: a real model fed a scripted stream,
/// its ledger held against kernel counter values at readings, with the
/// delays of a live run (the kernel counts first, the model decides later).
@Suite struct CounterCrossCheckTests {
    /// A model, a stream and a cross-check, read the way the live side
    /// reads them: deliver what was drained, then compare at `script.time`.
    struct Rig {
        var script = EventScript(tier: .tracepoint)
        let model = ShadowModel(configuration: ModelConfiguration(tier: .tracepoint, kernel: KernelSettings(syncookies: 1)))
        var check: CounterCrossCheck
        var kernel: [KernelCounter: Int64] = [:]
        private var delivered = 0
        private var lastTick: UInt64 = 0

        init(scope: CounterScope = .namespace, fault: CounterFault? = nil) {
            check = CounterCrossCheck(
                counters: CounterCrossCheck.comparableCounters(for: .tracepoint), scope: scope, fault: fault)
        }

        /// The consumer drains: the model sees what the script emitted so
        /// far, and event time moves on in the live side's 100 ms ticks.
        mutating func drain() {
            model.process(contentsOf: script.events[delivered...])
            delivered = script.events.count
            lastTick = max(lastTick, script.events.last?.timestamp ?? 0)
            while lastTick + 100 * Fixtures.millisecond < script.time {
                lastTick += 100 * Fixtures.millisecond
                model.advance(to: lastTick)
            }
            lastTick = script.time
            model.advance(to: script.time)
            _ = model.takeFindings()
        }

        /// The kernel moved a counter (before the model hears of it).
        mutating func kernelCounts(_ counter: KernelCounter, _ count: Int64 = 1) {
            kernel[counter, default: 0] += count
        }

        /// A reading `gap` after the last event, right after a drain unless
        /// `draining` is false (the model then lags the kernel).
        mutating func read(after gap: UInt64 = Fixtures.second, draining: Bool = true) -> CounterReading {
            script.wait(gap)
            if draining { drain() }
            // Counters never start at zero on a real machine.
            let snapshot = NetstatSnapshot(
                values: Dictionary(uniqueKeysWithValues: KernelCounter.allCases.map { ($0.rawValue, (kernel[$0] ?? 0) + 1_000) }))
            let reading = check.compare(kernel: snapshot, ledger: model.counterLedger, at: script.time)
            if reading.restartsLedger {
                model.startCounterLedger(netns: Fixtures.netns, at: script.time, eventSkew: 5 * Fixtures.millisecond)
            }
            return reading
        }

        /// A backlog-0 listener whose one queued child fills its accept queue.
        mutating func fillAcceptQueue() {
            script.backlog = 0
            script.listen()
            let flow = Fixtures.flow(clientPort: 39_999)
            script.syn(flow)
            let request = script.queueRequest(flow)
            script.ack(flow, request: request)
            script.child(flow, request: request)
            kernelCounts(.passiveOpens)
        }

        /// One clean connection, counted by the kernel when its child is created.
        mutating func connection(port: UInt16) {
            script.connection(Fixtures.flow(clientPort: port))
            kernelCounts(.passiveOpens)
        }
    }

    @Test func cleanTrafficAgreesEvenWhenTheModelHearsOfItAfterTheReading() {
        var rig = Rig()
        rig.script.listen()
        rig.drain()
        #expect(rig.read().status == .baseline)
        for port in UInt16(40_000)..<40_010 { rig.connection(port: port) }
        // Read before the drain: the kernel already counted ten children, the model none.
        let early = rig.read(after: 0, draining: false)
        #expect(early.status == .agree)
        #expect(early.rows.first { $0.counter == .passiveOpens }?.kernelDelta == 10)
        #expect(early.rows.first { $0.counter == .passiveOpens }?.modelCount == 0)
        rig.drain()
        let caughtUp = rig.read()
        #expect(caughtUp.status == .agree)
        #expect(caughtUp.rows.first { $0.counter == .passiveOpens }?.modelCount == 10)
        #expect(caughtUp.disagreements.isEmpty)
    }

    @Test func aShortfallIsReportedOnlyOnceItOutlastsAnInterval() {
        var rig = Rig()
        rig.script.listen()
        rig.drain()
        _ = rig.read()
        // A child the model never hears of (a path no probe sees).
        rig.kernelCounts(.passiveOpens)
        rig.connection(port: 40_000)
        rig.drain()
        #expect(rig.read().status == .agree, "one interval of skew is always tolerated")
        let second = rig.read()
        #expect(second.status == .mismatch)
        #expect(second.disagreements.map(\.counter) == [.passiveOpens])
        #expect(second.disagreements.first?.direction == .modelMissed)
        #expect(second.disagreements.first?.kernelDelta == 2)
        #expect(second.disagreements.first?.modelCount == 1)
        #expect(second.restartsLedger)
        // One fault, one finding: the next interval starts from a new base.
        #expect(rig.read().status == .agree)
        let finding = second.disagreements[0].finding(at: second.time)
        #expect(finding.kind == .counterMismatch && finding.category == .divergence)
        #expect(finding.counters == [.passiveOpens] && finding.counterEvidence?.interval == Fixtures.second)
    }

    @Test func anExcessOfTheModelIsReported() {
        var rig = Rig()
        rig.fillAcceptQueue()
        rig.drain()
        _ = rig.read()
        // Well after the base, the model infers a SYN dropped on a full
        // accept queue; the kernel counted no overflow.
        rig.script.wait(Fixtures.second)
        rig.script.syn(Fixtures.flow(clientPort: 40_001))
        rig.drain()
        _ = rig.read()
        let reading = rig.read()
        #expect(reading.status == .mismatch)
        #expect(Set(reading.disagreements.map(\.counter)) == [.listenOverflows, .listenDrops])
        #expect(reading.disagreements.allSatisfy { $0.direction == .modelExceeded && $0.kernelDelta == 0 })
    }

    @Test func aDecisionTakenJustAfterTheBaseMayBelongToIt() {
        var rig = Rig()
        rig.fillAcceptQueue()
        // The SYN is dropped and counted just before the base; the model decides it after.
        rig.script.syn(Fixtures.flow(clientPort: 40_001))
        rig.kernelCounts(.listenOverflows)
        rig.kernelCounts(.listenDrops)
        rig.drain()
        _ = rig.read(after: 0, draining: false)
        #expect(rig.read().status == .agree)
        let later = rig.read()
        #expect(later.status == .agree, "\(later.disagreements)")
        #expect(later.rows.first { $0.counter == .listenOverflows }?.ambiguous == 1)
    }

    @Test func withAPortFilterOnlyAnExcessIsAsserted() {
        var rig = Rig(scope: .filtered("--port 8080"))
        rig.script.listen()
        rig.drain()
        _ = rig.read()
        // Another port's traffic: the kernel counts it, the model never sees it.
        rig.kernelCounts(.passiveOpens, 25)
        rig.kernelCounts(.listenOverflows, 3)
        rig.connection(port: 40_000)
        rig.drain()
        for _ in 0..<3 { #expect(rig.read().status == .agree) }

        var skewed = Rig(scope: .filtered("--port 8080"), fault: .skewPassiveOpens)
        skewed.script.listen()
        skewed.drain()
        _ = skewed.read()
        skewed.connection(port: 40_000)
        skewed.drain()
        #expect(skewed.read().status == .agree)
        let reading = skewed.read()
        #expect(reading.status == .mismatch)
        #expect(reading.disagreements.map(\.counter) == [.passiveOpens])
        #expect(reading.disagreements.first?.direction == .modelExceeded)
    }

    @Test func lossWithholdsTheComparisonAndTakesANewBase() {
        var rig = Rig()
        rig.script.listen()
        rig.drain()
        _ = rig.read()
        // Ten children; the ring buffer lost the records of three of them.
        for port in UInt16(40_000)..<40_010 { rig.connection(port: port) }
        rig.model.noteLoss(count: 12, at: rig.script.time)
        rig.drain()
        let withheld = rig.read()
        #expect(withheld.status == .withheld)
        #expect(withheld.disagreements.isEmpty && withheld.restartsLedger)
        #expect(withheld.reason?.contains("uncertain") == true)
        // Afterwards the comparison starts over and holds again.
        rig.connection(port: 40_100)
        rig.drain()
        #expect(rig.read().status == .agree)
        let after = rig.read()
        #expect(after.status == .agree)
        #expect(after.rows.first { $0.counter == .passiveOpens }?.kernelDelta == 1)
    }

    /// cookie_v{4,6}_check shows the function tiers every failed cookie.
    @Test func everyTierComparesTheSameCounters() {
        for tier in Tier.allCases {
            #expect(CounterCrossCheck.comparableCounters(for: tier).contains(.syncookiesFailed))
            #expect(CounterCrossCheck.comparableCounters(for: tier).contains(.passiveOpens))
        }
    }
}
