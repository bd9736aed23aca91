#if canImport(Glibc)
import Glibc
#endif
import CSynShadowLoader
import SynShadowCore
import SynShadowTracer

/// The frame every fault scenario shares, so each one states only its
/// traffic and what that traffic must provoke: a fresh network namespace
/// with the scenario's sysctls (they die with it), the kernel's counters and
/// the ring's loss count around the traffic, then the oracle over the
/// namespace's own events and the verdict.
final class ScenarioHarness {
    /// What the traffic left behind, for checks particular to one scenario.
    struct Observation {
        var events: [KernelEvent]
        var findings: [Finding]
    }

    let context: ScenarioContext
    let sandbox: NetworkNamespaceSandbox
    var outcome: ScenarioOutcome
    private let before: NetstatSnapshot
    private let kernelBefore: KernelCounters
    private let started = monotonicNanoseconds()

    /// `sysctls` are (name under /proc/sys, value) pairs, set in order.
    init(scenario: String, context: ScenarioContext, sysctls: [(String, String)] = []) throws {
        self.context = context
        outcome = ScenarioOutcome(scenario: scenario, tier: context.tier)
        sandbox = try NetworkNamespaceSandbox()
        for (name, value) in sysctls { try sandbox.setSysctl(name, value) }
        before = try sandbox.counters()
        kernelBefore = context.tracer.session.counters()
    }

    /// Runs `body` inside the scenario's namespace.
    func run<T>(_ body: @escaping () throws -> T) throws -> T {
        try sandbox.run(body)
    }

    /// Runs `body` inside the scenario's namespace with a scripted peer there.
    func runOnTestbed<T>(_ body: @escaping (PeerTestbed) throws -> T) throws -> T {
        try sandbox.run { try body(try PeerTestbed()) }
    }

    /// Drains what is left, runs the oracle with the namespace's own sysctls
    /// and judges. `adjust` tunes the model the way an operator would
    /// (thresholds), never to excuse a finding.
    @discardableResult
    func conclude(
        expecting expectation: ScenarioExpectation, connections: Int,
        adjust: (inout ModelConfiguration) -> Void = { _ in }
    ) throws -> Observation {
        try context.settle()
        let after = try sandbox.counters()
        let settings = try sandbox.run { KernelSettingsReader.current() }
        let events = context.takeEvents(netns: sandbox.inode)
        let end = monotonicNanoseconds()
        let (findings, racedClaims) = context.verdicts(for: events, settings: settings, end: end, adjust: adjust)
        context.keep(events, of: outcome.scenario, settings: settings, end: end)
        outcome.connections = connections
        outcome.events = events.count
        outcome.counterDeltas = after.delta(since: before)
        // The kernel side's own count, not the consumer's: a loss before this
        // scenario began may reach the consumer only at its first drain.
        let kernelAfter = context.tracer.session.counters()
        outcome.judge(
            findings, racedClaims: racedClaims, against: expectation,
            lostEvents: kernelAfter.unseenEvents &- kernelBefore.unseenEvents,
            lossDetail: kernelAfter.lossDescription(since: kernelBefore))
        let duplicated = kernelAfter.duplicatedEvents &- kernelBefore.duplicatedEvents
        outcome.require(
            duplicated == 0,
            "\(duplicated) event(s) delivered twice (a cover program took them beyond the runs the kernel skipped)")
        outcome.observations.merge(KernelBehaviour.firstDrops(in: findings)) { mine, _ in mine }
        return Observation(events: events, findings: findings)
    }

    /// The verdict row, timed from the namespace's creation.
    func finish() -> ScenarioOutcome {
        var finished = outcome
        finished.milliseconds = Int((monotonicNanoseconds() - started) / 1_000_000)
        return finished
    }
}

extension ScenarioHarness {
    /// Whether the kernel names the socket a dropped packet was meant for
    /// (skb:kfree_skb's rx_sk, Linux 6.11+): only then can a tier attribute
    /// a drop to a listener, so only then is `packet-dropped` expected.
    static let dropsAttributable = ss_kernel_has_member("trace_event_raw_kfree_skb", "rx_sk") == 1

    /// Waits out the model's settle window (50 ms) with a margin, so a step's
    /// outcome ("nothing followed") is decided before the next step of the
    /// same flow arrives. Call on the sandbox's thread, between steps.
    static func pauseForDecision() {
        usleep(150_000)
    }
}
