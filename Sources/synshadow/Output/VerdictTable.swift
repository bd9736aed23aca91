import SynShadowTestbed

/// The verdict table, 80 columns wide, reasons under the failed rows.
struct VerdictTable {
    var records: [VerdictRecord]

    func lines() -> [String] {
        var lines = [row("SCENARIO", "TIER", "KERNEL", "EXPECTED", "OBSERVED", "COUNTERS", "VERDICT")]
        for record in records {
            let counters = record.counters.sorted { $0.key < $1.key }
                .filter { VerdictRecord.passiveOpenCounters.contains($0.key) }
                .map { "\($0.key.replacingOccurrences(of: "TcpExt", with: "")) +\($0.value)" }
                .joined(separator: " ")
            lines.append(
                row(
                    record.scenario, record.tier, record.kernel, summary(record.expected), summary(record.observed),
                    counters.isEmpty ? "-" : counters, record.verdict))
            for reason in record.reasons { lines.append("    " + reason) }
        }
        let failed = records.filter(\.failed).count
        let passed = records.filter { $0.verdict == "PASS" }.count
        let inconclusive = records.filter(\.inconclusive).count
        lines.append("\(passed) passed, \(failed) failed" + (inconclusive > 0 ? ", \(inconclusive) inconclusive (events lost)" : ""))
        return lines
    }

    private func summary(_ findings: [String: Int]) -> String {
        findings.isEmpty ? "none" : findings.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: ",")
    }

    private func row(_ columns: String...) -> String {
        TextColumns.line(columns, widths: [18, 11, 22, 10, 10, 0, 0])
    }
}
