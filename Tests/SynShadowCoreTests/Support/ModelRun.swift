import SynShadowCore

/// Feeds a whole stream to a fresh model and collects everything it found.
struct ModelRun {
    let findings: [Finding]
    let statistics: ModelStatistics

    init(_ events: [KernelEvent], configuration: ModelConfiguration, losses: [Int: UInt64] = [:]) {
        let model = ShadowModel(configuration: configuration)
        var findings: [Finding] = []
        for (index, event) in events.enumerated() {
            if let count = losses[index] { model.noteLoss(count: count, at: event.timestamp) }
            model.process(event)
            findings += model.takeFindings()
        }
        model.finish()
        findings += model.takeFindings()
        self.findings = findings
        statistics = model.statistics
    }

    var divergences: [Finding] { findings.filter { $0.category == .divergence } }

    func count(_ kind: FindingKind) -> Int { findings.filter { $0.kind == kind }.count }

    var kinds: Set<FindingKind> { Set(findings.map(\.kind)) }

    /// Behaviour findings per kind.
    var behaviour: [FindingKind: Int] {
        var counts: [FindingKind: Int] = [:]
        for finding in findings where finding.category == .behaviour { counts[finding.kind, default: 0] += 1 }
        return counts
    }

    /// One line per finding, for failure messages.
    var summary: String {
        findings.map { "\($0.id) @\($0.timestamp): \($0.explanation)" }.joined(separator: "\n")
    }
}
