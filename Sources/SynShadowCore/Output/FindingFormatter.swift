import Foundation

/// Renders findings: one line a person can act on, or one JSON object
/// (`"type":"finding"`, the fields of `Finding`'s Codable form).
public struct FindingFormatter: Sendable {
    public var origin: UInt64

    public init(origin: UInt64) {
        self.origin = origin
    }

    /// One line for a person. Process names, cgroup paths and anything the
    /// explanation quotes come from other users: the line is escaped whole.
    public func humanLine(_ finding: Finding) -> String {
        let seconds = Double(Int64(bitPattern: finding.timestamp &- origin)) / 1e9
        var line = String(format: "%.6f", seconds) + " FINDING " + finding.severity.rawValue.uppercased() + " "
            + finding.id
        if let listener = finding.listener {
            let owner = listener.comm.map { " \($0)[\(listener.pid ?? 0)]" } ?? ""
            line += " listener=\(listener.address):\(listener.port)\(owner)"
            if let cgroup = listener.cgroup { line += " cgroup=" + cgroup }
        }
        if let flow = finding.flow { line += " flow=" + flow.text }
        line += ": " + finding.explanation
        if !finding.counters.isEmpty { line += " (nstat: " + finding.counters.map(\.rawValue).joined(separator: ", ") + ")" }
        return line.terminalSafe
    }

    public func jsonLine(_ finding: Finding) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let body = try? encoder.encode(finding) else { return "{\"type\":\"finding\"}" }
        return "{\"type\":\"finding\"," + String(decoding: body.dropFirst(), as: UTF8.self)
    }
}
