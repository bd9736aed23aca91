import Foundation

/// Prints `trace --counters` readings: one aligned line for people, one
/// `"type":"counters"` JSON object for machines. Times are seconds since
/// tracing began, as for events and findings.
public struct CounterFormatter: Sendable {
    public var origin: UInt64
    /// The namespace the counters belong to (nsfs inode).
    public var netns: UInt32

    public init(origin: UInt64, netns: UInt32) {
        self.origin = origin
        self.netns = netns
    }

    /// "5.001234 COUNTERS agree netns=4026531840 interval=5.0s kernel/model since 0.000: TcpPassiveOpens 52/52, ...".
    public func humanLine(_ reading: CounterReading) -> String {
        var line = String(format: "%.6f", seconds(reading.time)) + " COUNTERS " + reading.status.rawValue
            + " netns=\(netns)"
        if case .filtered(let filters) = reading.scope { line += " filtered (\(filters): model <= kernel only)" }
        line += " interval=" + String(format: "%.1fs", Double(reading.interval) / 1e9)
        if reading.rows.isEmpty {
            line += ": new base"
        } else {
            line += " kernel/model since " + String(format: "%.3f", seconds(reading.since)) + ": "
            let moved = reading.rows.filter { $0.kernelDelta != 0 || $0.modelCount != 0 }
            var parts = moved.map { "\($0.counter.rawValue) \($0.kernelDelta)/\($0.modelCount)" }
            if moved.count < reading.rows.count { parts.append(moved.isEmpty ? "all 0/0" : "others 0/0") }
            line += parts.joined(separator: ", ")
        }
        if let reason = reading.reason { line += "; withheld: " + reason }
        return line
    }

    public func jsonLine(_ reading: CounterReading) -> String {
        var object = JSONObjectWriter()
        object.add("type", "counters")
        object.add("time", seconds(reading.time))
        object.add("status", reading.status.rawValue)
        object.add("netns", UInt64(netns))
        object.add("scope", reading.scope.name)
        if case .filtered(let filters) = reading.scope { object.add("filters", filters) }
        object.add("interval", Double(reading.interval) / 1e9)
        object.add("since", seconds(reading.since))
        object.addRaw("counters", CounterFormatter.json(reading.rows))
        let mismatched = reading.disagreements.map { "\"" + $0.counter.rawValue + "\"" }.joined(separator: ",")
        object.addRaw("mismatched", "[" + mismatched + "]")
        if let reason = reading.reason { object.add("reason", reason) }
        return object.finish()
    }

    /// {"TcpPassiveOpens":{"kernel":52,"model":52,"ambiguous":0},...}.
    private static func json(_ rows: [CounterReading.Row]) -> String {
        var counters = JSONObjectWriter()
        for row in rows { counters.addRaw(row.counter.rawValue, json(row)) }
        return counters.finish()
    }

    private static func json(_ row: CounterReading.Row) -> String {
        var entry = JSONObjectWriter()
        entry.add("kernel", row.kernelDelta)
        entry.add("model", row.modelCount)
        entry.add("ambiguous", row.ambiguous)
        return entry.finish()
    }

    private func seconds(_ time: UInt64) -> Double {
        Double(Int64(bitPattern: time &- origin)) / 1e9
    }
}
