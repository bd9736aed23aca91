import SynShadowCore
import Testing

// TEMPORARY debugging aid (to be removed).
@Suite struct ZZFlakeDebugTests {
    @Test(arguments: [
        (UInt64(17067943222863642143), UInt64(14614248644777233945)),
        (UInt64(5876957538069186060), UInt64(1125290051103548906)),
        (UInt64(14626315926533668676), UInt64(12238508122120930197)),
    ])
    func dump(seed: UInt64, pick: UInt64) {
        let tier = Tier.fentry
        var options = KernelSimulator.Options(tier: tier)
        options.listeners = 1 + Int(seed % 2)
        options.connections = 4 + Int(seed % 12)
        options.raceProbability = 0.15
        let simulator = KernelSimulator(seed: seed, options: options)
        let events = simulator.run()
        let faults = FaultInjector(events: events, tier: tier).candidates()
        let fault = faults[Int(pick % UInt64(faults.count))]
        var configuration = simulator.modelConfiguration
        configuration.raceWindow = 0
        let clean = ModelRun(events, configuration: configuration)
        let run = ModelRun(fault.apply(to: events), configuration: configuration)
        var out = "seed \(seed) fault \(fault)\nCLEAN divergences:\n"
        out += clean.divergences.map { "  \($0.explanation)" }.joined(separator: "\n")
        out += "\nFAULTED divergences:\n" + run.divergences.map { "  @\($0.timestamp) \($0.explanation)" }.joined(separator: "\n")
        out += "\nEVENTS:\n"
        for (i, e) in events.enumerated() {
            out += "\(i) \(e.timestamp) \(e.kind.name) hook=\(e.hook) \(e.flow.remoteAddress) req=\(String(e.request, radix: 16)) child=\(String(e.child, radix: 16)) aq=\(e.queues.acceptQueue)/\(e.queues.acceptQueueLimit) rq=\(e.queues.requestQueue) valid=\(e.flags.contains(.queuesValid))\n"
        }
        print(out)
    }
}
