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
}
