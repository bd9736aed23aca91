import PropertyBased
import SynShadowCore
import Testing

/// One fault (drop, duplicate, reorder, corrupt a queue figure) injected into
/// a legal stream gives exactly the divergence class that fault implies:
/// one finding of an allowed kind, or none for reorders the kernel's
/// concurrency can produce.
@Suite struct FaultInjectionPropertyTests {
    @Test(arguments: [Tier.tracepoint, .fentry])
    func eachFaultGivesItsDivergence(tier: Tier) async {
        await propertyCheck(count: 300, input: Gen.uint64(), Gen.uint64()) { seed, pick in
            var options = KernelSimulator.Options(tier: tier)
            options.listeners = 1 + Int(seed % 2)
            options.connections = 4 + Int(seed % 12)
            options.raceProbability = 0.15
            let simulator = KernelSimulator(seed: seed, options: options)
            let events = simulator.run()
            let faults = FaultInjector(events: events, tier: tier).candidates()
            guard !faults.isEmpty else { return }
            let fault = faults[Int(pick % UInt64(faults.count))]
            var configuration = simulator.modelConfiguration
            // The simulated kernel runs one step at a time: no concurrency
            // to tolerate, so every inconsistency must show.
            configuration.raceWindow = 0
            let run = ModelRun(fault.apply(to: events), configuration: configuration)
            let divergences = run.divergences
            if fault.mayStayClean && divergences.isEmpty { return }
            // A dropped SYN can leave several later steps without a place
            // (conn_request's return, then an accept() racing its child):
            // each is the same class of divergence.
            #expect(!divergences.isEmpty, "\(tier) seed \(seed) \(fault):\n\(run.summary)")
            #expect(Set(divergences.map(\.kind)).count == 1, "\(tier) seed \(seed) \(fault):\n\(run.summary)")
            #expect(divergences.allSatisfy { fault.expected.contains($0.kind) }, "\(tier) seed \(seed) \(fault):\n\(run.summary)")
            #expect(run.findings.allSatisfy { $0.category != .observability })
        }
    }
}
