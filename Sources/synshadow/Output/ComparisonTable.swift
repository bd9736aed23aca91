import SynShadowCore
import SynShadowTestbed

/// `validate --kernel A --kernel B ...` as a person reads it: a legend of
/// the kernels, one line per row where every kernel agrees, one line per
/// group of kernels where they do not (marked ≠; ~ where only a load
/// scenario's timing differs), then each differing behaviour in words and
/// what the model calls a divergence.
struct ComparisonTable {
    var comparison: KernelComparison

    func lines() -> [String] {
        let runs = comparison.runs
        var lines = ["kernels (the first is the baseline):"]
        for (index, run) in runs.enumerated() {
            lines.append("  \(Self.letter(index))  \(run.label)  \(run.release)")
        }
        lines.append("")
        lines.append(row("", "SCENARIO", "TIER", "KERNEL", "VERDICT", "FINDINGS | COUNTERS | MEASURED"))
        for comparisonRow in comparison.rows {
            // Kernels with the same verdict and figures share a line.
            var groups: [(text: [String], kernels: [Int])] = []
            for (index, cell) in comparisonRow.cells.enumerated() {
                guard let cell else { continue }
                let text = [cell.verdict, Self.figures(of: cell)]
                if let group = groups.firstIndex(where: { $0.text == text }) {
                    groups[group].kernels.append(index)
                } else {
                    groups.append((text, [index]))
                }
            }
            let mark = comparisonRow.differs ? "≠" : groups.count > 1 ? "~" : ""
            for (position, group) in groups.enumerated() {
                let kernels = group.kernels.map(Self.letter).joined(separator: ",")
                lines.append(
                    position == 0
                        ? row(mark, comparisonRow.scenario, comparisonRow.tier, kernels, group.text[0], group.text[1])
                        : row("", "", "", kernels, group.text[0], group.text[1]))
                for index in group.kernels {
                    for reason in comparisonRow.cells[index]?.reasons ?? [] {
                        lines.append("      \(Self.letter(index)): \(reason)")
                    }
                }
            }
        }
        lines.append(
            "≠ the kernels differ; ~ only figures that follow timing differ (a load scenario's, or a counter the"
                + " scenario does not decide), never compared")
        lines.append("")
        lines += summary()
        return lines
    }

    /// The words under the table: what differs, what diverges, the count.
    func summary() -> [String] {
        var lines: [String] = []
        let groups = comparison.behaviourGroups
        if groups.isEmpty {
            lines.append("every row behaves the same on every kernel")
        } else {
            lines.append("behaviours that differ (kernels that agree | kernels that do not):")
            lines += groups.map { "  - " + comparison.sentence(for: $0) }
        }
        for row in comparison.baselineFailures {
            lines.append(
                "baseline \(comparison.runs[0].label) FAILs \(row.scenario) [\(row.tier)]: nothing there is vouched for")
        }
        for (row, kernel) in comparison.divergences {
            lines.append(
                "divergence: \(row.scenario) [\(row.tier)] FAILs on \(comparison.runs[kernel].label),"
                    + " passes on the baseline \(comparison.runs[0].label)")
        }
        let differing = comparison.rows.filter(\.differs).count
        lines.append(
            "\(comparison.rows.count) rows on \(comparison.runs.count) kernels: \(differing) differ,"
                + " \(comparison.divergences.count) diverge from the model on a later kernel")
        return lines
    }

    /// "syn-dropped-request-queue-full×291 | ReqQFullDrop +291 | request socks held at backlog 8: 9"
    static func figures(of record: VerdictRecord) -> String {
        let findings = record.observed.isEmpty
            ? "none" : record.observed.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: ",")
        let counters = record.counters.sorted { $0.key < $1.key }
            .filter { VerdictRecord.passiveOpenCounters.contains($0.key) && $0.value != 0 }
            .map { "\($0.key.replacingOccurrences(of: "TcpExt", with: "")) +\($0.value)" }
            .joined(separator: " ")
        let measured = record.observations.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
            .joined(separator: "; ")
        return [findings, counters.isEmpty ? "-" : counters, measured].filter { !$0.isEmpty }
            .joined(separator: " | ")
    }

    static func letter(_ index: Int) -> String {
        index < 26 ? String(UnicodeScalar(UInt8(65 + index))) : "K\(index + 1)"
    }

    private func row(_ columns: String...) -> String {
        TextColumns.line(columns, widths: [2, 26, 11, 7, 8, 0])
    }
}
