import SynShadowCore
import SynShadowTestbed
import SynShadowTracer
import Testing

/// The fault scenarios against the real kernel, in the tier this machine
/// allows: each provokes its findings for real, and the model (the oracle)
/// and the kernel's own counters must agree with what it declared.
extension LiveKernelTests {
    @Suite struct ScenarioSuiteTests {
        @Test func everyStandardScenarioPassesInTheTracepointTier() throws {
            let suite = ValidationSuite.standard()
            let outcomes = try suite.run(tier: .tracepoint) { print("scenarios: \($0)") }
            #expect(outcomes.count == suite.scenarios.count)
            for outcome in outcomes {
                let passed = outcome.passed
                let reasons = outcome.failures.joined(separator: "\n  ")
                #expect(passed, "\(outcome.scenario) (\(outcome.milliseconds) ms):\n  \(reasons)")
            }
        }
    }
}
