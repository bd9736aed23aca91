import PropertyBased
import SynShadowCore
import Testing

/// Random legal streams (many listeners and flows, drops, cookies, resets,
/// expiries, slow accepts, races, snapshots) in each tier's shape: the model
/// must find no divergence and exactly the behaviour the kernel showed.
@Suite struct LegalStreamPropertyTests {
    static let tiers: [Tier] = [.tracepoint, .fentry, .kprobe]

    @Test(arguments: tiers)
    func legalStreamsHaveNoDivergence(tier: Tier) async {
        await propertyCheck(
            count: 60, input: Gen.uint64(), Gen.int(in: 1...4), Gen.int(in: 5...60), Gen.bool(), Gen.bool()
        ) { seed, listeners, connections, snapshot, abort in
            var options = KernelSimulator.Options(tier: tier)
            options.listeners = listeners
            options.connections = connections
            options.snapshot = snapshot
            options.abortOnOverflow = abort
            options.syncookies = Int(seed % 2)
            let simulator = KernelSimulator(seed: seed, options: options)
            let events = simulator.run()
            let run = ModelRun(events, configuration: simulator.modelConfiguration)
            #expect(run.divergences.isEmpty, "\(tier) seed \(seed):\n\(run.summary)")
            #expect(run.findings.filter { $0.category == .observability }.isEmpty, "\(run.summary)")
            #expect(run.behaviour == simulator.expected, "\(tier) seed \(seed) expected \(simulator.expected)\n\(run.summary)")
        }
    }

    /// The same streams as several CPUs report them: figures read a little
    /// late or early. The race window absorbs it; no divergence appears.
    @Test(arguments: tiers)
    func concurrentFigureReadsAreTolerated(tier: Tier) async {
        await propertyCheck(count: 60, input: Gen.uint64(), Gen.int(in: 1...3), Gen.int(in: 5...60)) {
            seed, listeners, connections in
            var options = KernelSimulator.Options(tier: tier)
            options.listeners = listeners
            options.connections = connections
            let simulator = KernelSimulator(seed: seed, options: options)
            let configuration = simulator.modelConfiguration
            let events = ConcurrencyJitter.apply(to: simulator.run(), seed: seed, window: configuration.raceWindow)
            let run = ModelRun(events, configuration: configuration)
            #expect(run.divergences.isEmpty, "\(tier) seed \(seed):\n\(run.summary)")
        }
    }

    /// Sequential streams need no tolerance at all: with a zero race window
    /// the model must still find nothing wrong.
    @Test(arguments: tiers)
    func sequentialStreamsAreExact(tier: Tier) async {
        await propertyCheck(count: 60, input: Gen.uint64(), Gen.int(in: 1...4), Gen.int(in: 5...60), Gen.bool()) {
            seed, listeners, connections, snapshot in
            var options = KernelSimulator.Options(tier: tier)
            options.listeners = listeners
            options.connections = connections
            options.snapshot = snapshot
            let simulator = KernelSimulator(seed: seed, options: options)
            var configuration = simulator.modelConfiguration
            configuration.raceWindow = 0
            let run = ModelRun(simulator.run(), configuration: configuration)
            #expect(run.divergences.isEmpty, "\(tier) seed \(seed):\n\(run.summary)")
            #expect(run.behaviour == simulator.expected, "\(tier) seed \(seed)")
        }
    }

    @Test func sameTrafficGivesSameVerdictsInEveryTier() {
        for seed in UInt64(1)...20 {
            var verdicts: [[FindingKind: Int]] = []
            for tier in Self.tiers {
                var options = KernelSimulator.Options(tier: tier)
                options.listeners = 3
                options.connections = 50
                options.raceProbability = 0
                let simulator = KernelSimulator(seed: seed, options: options)
                let run = ModelRun(simulator.run(), configuration: simulator.modelConfiguration)
                verdicts.append(run.behaviour)
            }
            #expect(verdicts.allSatisfy { $0 == verdicts[0] }, "seed \(seed): \(verdicts)")
        }
    }
}
