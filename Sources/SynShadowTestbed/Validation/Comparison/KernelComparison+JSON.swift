import Foundation

extension KernelComparison {
    /// `validate --kernel A --kernel B --json`: one object per row (each
    /// kernel's verdict row, null where it did not run, and the row's
    /// differences in words), then one summary object CI can test.
    public func jsonLines() -> [String] {
        var lines = rows.map { row in
            ComparisonRowRecord(
                scenario: row.scenario, tier: row.tier, differs: row.differs, kernels: row.cells,
                differences: row.differences.map { sentence(for: $0) }
            ).jsonLine()
        }
        lines.append(
            ComparisonSummaryRecord(
                kernels: runs.map { .init(label: $0.label, release: $0.release) }, rows: rows.count,
                differing: rows.filter(\.differs).count, differences: behaviourGroups.map(sentence(for:)),
                divergences: divergences.map { "\($0.row.scenario) [\($0.row.tier)] on \(runs[$0.kernel].label)" },
                baselineFailures: baselineFailures.map { "\($0.scenario) [\($0.tier)]" }
            ).jsonLine())
        return lines
    }
}

/// One row of a comparison as machines read it: the verdict row of each
/// kernel in the comparison's order (null: the tier is not offered there).
public struct ComparisonRowRecord: Codable, Sendable {
    public var type = "comparison"
    public var scenario: String
    public var tier: String
    public var differs: Bool
    public var kernels: [VerdictRecord?]
    public var differences: [String]

    public static func parse(line: some StringProtocol) -> ComparisonRowRecord? {
        JSONLine.decode(line, type: "comparison")
    }
}

/// The last line of a comparison's JSON: the kernels, and what differs.
public struct ComparisonSummaryRecord: Codable, Sendable {
    public struct Kernel: Codable, Sendable {
        public var label: String
        public var release: String
    }

    public var type = "comparison-summary"
    public var kernels: [Kernel]
    public var rows: Int
    public var differing: Int
    public var differences: [String]
    public var divergences: [String]
    public var baselineFailures: [String]

    enum CodingKeys: String, CodingKey {
        case type, kernels, rows, differing, differences, divergences
        case baselineFailures = "baseline_failures"
    }

    public static func parse(line: some StringProtocol) -> ComparisonSummaryRecord? {
        JSONLine.decode(line, type: "comparison-summary")
    }
}

extension ComparisonRowRecord {
    public func jsonLine() -> String { JSONLine.encode(self) }
}

extension ComparisonSummaryRecord {
    public func jsonLine() -> String { JSONLine.encode(self) }
}

/// One line of sorted-key JSON, slashes unescaped (paths stay readable):
/// how every record `validate --json` prints is written.
enum JSONLine {
    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
    }

    /// A line decoded as a record of `type`, however it is spaced (jq,
    /// another tool); nil for anything else (a guest's console line).
    static func decode<Record: Decodable>(_ line: some StringProtocol, type: String) -> Record? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("{"), trimmed.contains(type) else { return nil }
        let data = Data(trimmed.utf8)
        guard let tagged = try? JSONDecoder().decode(TypeTag.self, from: data), tagged.type == type else { return nil }
        return try? JSONDecoder().decode(Record.self, from: data)
    }

    private struct TypeTag: Decodable {
        var type: String
    }
}
