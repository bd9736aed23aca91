import SynShadowCore
@testable import SynShadowTestbed
import Testing

/// What a scenario holds against a row, without a kernel: the verdict
/// follows the kernel's behaviour, never the machine's speed.
@Suite struct ScenarioJudgementTests {
    /// CI, 6.1 guest, kprobe tier, the host busy building: one child of
    /// clean-load waited 185.9 ms for accept() and the row FAILed on a true
    /// `accept-slow`. It is behaviour under starvation: shown, not held.
    @Test func aCleanLoadsSlowAcceptIsShownNotHeldAgainstIt() {
        var outcome = ScenarioOutcome(scenario: "clean-load", tier: .kprobe)
        outcome.counterDeltas = ["TcpPassiveOpens": 10]
        let slow = Finding(kind: .acceptSlow, timestamp: 1, explanation: "accepted after 185.9 ms in the accept queue")
        outcome.judge([slow], against: CleanLoad.expectation(connections: 10), lostEvents: 0)
        #expect(outcome.passed, "\(outcome.failures)")
        #expect(outcome.observedFindings == ["accept-slow": 1])
    }

    @Test func aCleanLoadsDivergenceStillFails() {
        var outcome = ScenarioOutcome(scenario: "clean-load", tier: .kprobe)
        outcome.counterDeltas = ["TcpPassiveOpens": 10]
        let mismatch = Finding(kind: .queueMismatch, timestamp: 1, explanation: "accept queue: kernel 1, model 2")
        outcome.judge([mismatch], against: CleanLoad.expectation(connections: 10), lostEvents: 0)
        #expect(!outcome.passed)
    }

    /// CI, 6.1 guest, kprobe tier: busy-server lost 6 events (the kernel
    /// skipped cookie_v{4,6}_check's programs while another kprobe program
    /// ran on that CPU) and the row said FAIL, which a comparison reads as
    /// the kernel diverging. The oracle judged blind: inconclusive.
    @Test func aRowThatLostEventsIsInconclusiveNotFailed() {
        var outcome = ScenarioOutcome(scenario: "busy-server", tier: .kprobe)
        outcome.counterDeltas = ["TcpPassiveOpens": 10]
        outcome.judge([], against: CleanLoad.expectation(connections: 10), lostEvents: 6, lossDetail: "6 lost")
        #expect(!outcome.passed && outcome.inconclusive)
        let record = VerdictRecord(outcome, kernel: "6.1.0-57-amd64")
        #expect(record.verdict == "INCONCLUSIVE" && !record.failed)
        let comparison = KernelComparison(runs: [
            KernelRun(label: "6.12", records: [VerdictRecord(passing(), kernel: "6.12")]),
            KernelRun(label: "6.1", records: [record]),
        ])
        #expect(comparison.divergences.isEmpty)
        #expect(comparison.differences.map(\.aspect) == ["verdict"])
    }

    @Test func aRowThatFailsWithoutLossStaysFailed() {
        var outcome = ScenarioOutcome(scenario: "busy-server", tier: .kprobe)
        outcome.judge([], against: CleanLoad.expectation(connections: 10), lostEvents: 0)
        #expect(VerdictRecord(outcome, kernel: "6.1").verdict == "FAIL")
    }

    private func passing() -> ScenarioOutcome {
        var outcome = ScenarioOutcome(scenario: "busy-server", tier: .kprobe)
        outcome.exact = false
        return outcome
    }
}
