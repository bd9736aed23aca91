import SynShadowCore
import SynShadowTracer
import Testing

/// The kernel never runs one tracing program nested in another on a CPU: it
/// skips the inner run and counts it (bpf_prog_info.recursion_misses). Such a
/// run is an event lost before the ring buffer, and a hook whose every run
/// was skipped still fired. Seen here: `synshadow bench` under full load
/// skipped 14 runs of the inet_sock_set_state program and 4 of kfree_skb's,
/// all reported as "0 lost"; and a self-check failed "hook never fired"
/// because the SYN-ACK retransmit's classic tracepoint ran nested.
@Suite struct SkippedRunsTests {
    private func counters(hits: UInt64, skipped: UInt64, on hook: Hook) -> KernelCounters {
        var counters = KernelCounters()
        counters.hookHits[Int(hook.rawValue)] = hits
        counters.skippedRunsByHook[Int(hook.rawValue)] = skipped
        counters.skippedRuns = skipped
        return counters
    }

    @Test func aHookWhoseRunsWereAllSkippedStillFired() {
        #expect(counters(hits: 0, skipped: 1, on: .retransmitSynAck).fired(.retransmitSynAck))
        #expect(!counters(hits: 0, skipped: 0, on: .retransmitSynAck).fired(.retransmitSynAck))
        #expect(!counters(hits: 0, skipped: 3, on: .kfreeSkb).fired(.retransmitSynAck))
    }

    @Test func theSelfCheckCallsNoSkippedHookSilent() {
        let outcomes = [
            SelfCheck.Outcome(hook: .retransmitSynAck, hits: 0, skippedRuns: 2, required: true, note: nil),
            SelfCheck.Outcome(hook: .inetSockSetState, hits: 0, skippedRuns: 0, required: true, note: nil),
            SelfCheck.Outcome(hook: .kfreeSkb, hits: 0, skippedRuns: 0, required: false, note: nil),
        ]
        let report = SelfCheck.Report(outcomes: outcomes, milliseconds: 1000)
        #expect(report.silentHooks == [.inetSockSetState])
    }

    @Test func skippedRunsAreLostEventsTheModelIsToldOf() {
        var counters = counters(hits: 10, skipped: 4, on: .inetSockSetState)
        counters.lost = 3
        counters.correlationMisses = 2
        #expect(counters.eventsLost == 7)
        #expect(counters.unseenEvents == 9)
        #expect(
            counters.lossDescription()
                == "7 lost (4 run(s) the kernel skipped (its BPF recursion guard, or a kprobe it missed): tracepoint sock:inet_sock_set_state 4),"
                + " 2 step(s) whose first half never reached the ring (a probe the kernel did not run, e.g. a kprobe"
                + " nested in another on that CPU)")
        counters.skippedRuns = 0
        counters.skippedRunsByHook = counters.skippedRunsByHook.map { _ in 0 }
        counters.correlationMisses = 0
        #expect(counters.lossDescription() == "3 lost")
    }
}
