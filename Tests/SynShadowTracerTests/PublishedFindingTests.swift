import SynShadowCore
import SynShadowTracer
import Testing

/// Findings made beside the model (`counter-mismatch`, from the counters
/// cross-check) count in the model's statistics like its own, so
/// `synshadow_model_findings_total{id="counter-mismatch"}` exists. It did not:
/// they were printed and exported as logs, never counted.
@Suite struct PublishedFindingTests {
    @Test func aPublishedFindingCountsInTheModelsStatistics() {
        var delivered: [Finding] = []
        let driver = ModelDriver(configuration: ModelConfiguration(tier: .tracepoint), onFindings: { delivered += $0 })
        let mismatch = Finding(kind: .counterMismatch, timestamp: 5, explanation: "TcpPassiveOpens: kernel 3, model 2")
        driver.publish([mismatch, mismatch])
        #expect(delivered.count == 2)
        #expect(driver.findingCount == 2)
        #expect(driver.model.statistics.findings["counter-mismatch"] == 2)
    }
}
