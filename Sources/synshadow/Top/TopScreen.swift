import SynShadowCore

/// Lays out one `top` frame: snapshots and findings in, lines out, each at
/// most `width` columns (cut, never wrapped) and at most `height` lines, so
/// the same text serves a redrawn terminal and a plain pipe.
///
/// Per listener, two lines:
///
///     LISTENER               OWNER             BACKLOG ACCEPTQ  REQQ      SYN/s  ACC/s
///       ACCEPTED HS p50/p99  WAIT p50/p99 DROPS TOP CAUSE
struct TopScreen {
    /// Columns; every line is cut to it.
    var width: Int
    /// Lines; nil for a pipe (everything is printed).
    var height: Int?
    /// CLOCK_MONOTONIC at the start of tracing: finding times count from it.
    var origin: UInt64
    /// How many of the latest findings to show.
    var recentFindings = 5

    func lines(_ current: TopSnapshot, previous: TopSnapshot?, findings: [Finding]) -> [String] {
        let rows = rows(current, previous: previous)
        var header = [headerLine(current, listeners: rows.count), columnsTitle, detailTitle]
        if rows.isEmpty { header.append("  (no listener seen yet)") }

        var findingLines = findings.suffix(recentFindings).map(findingLine)
        var rowCount = rows.count
        var more = false
        if let height {
            let fixed = header.count
            // Listeners come first; findings take what is left, at least the title and one line.
            var findingBudget = findingLines.isEmpty ? 0 : min(findingLines.count + 2, max(height - fixed - 2 * rows.count, 3))
            var available = height - fixed - findingBudget
            if 2 * rows.count > available {
                more = true
                rowCount = max((available - 1) / 2, 0)
                if rowCount == 0 && findingBudget > 0 {
                    findingBudget = 0
                    available = height - fixed
                    rowCount = max((available - 1) / 2, 0)
                }
            }
            findingLines = Array(findingLines.suffix(max(findingBudget - 2, 0)))
        }

        var lines = header
        for row in rows.prefix(rowCount) { lines += rowLines(row) }
        if more { lines.append("  ... \(rows.count - rowCount) more listener(s); narrow with --port or --netns") }
        if !findingLines.isEmpty { lines += ["", "RECENT FINDINGS"] + findingLines }
        if let height, lines.count > height { lines.removeLast(lines.count - height) }
        return lines.map(cut)
    }

    /// Rows sorted by activity: open listeners first, then most events in
    /// the last interval, then most since the start, then by port.
    func rows(_ current: TopSnapshot, previous: TopSnapshot?) -> [TopRow] {
        var before: [String: ListenerActivity] = [:]
        for activity in previous?.listeners ?? [] { before[TopRow.identity(of: activity.listener)] = activity }
        let seconds = previous.map { Double(Int64(bitPattern: current.time &- $0.time)) / 1e9 }
        let rows = current.listeners.map { activity in
            TopRow(activity, previous: before[TopRow.identity(of: activity.listener)], seconds: seconds)
        }
        return rows.sorted { a, b in
            if a.activity.isOpen != b.activity.isOpen { return a.activity.isOpen }
            if a.recentActivity != b.recentActivity { return a.recentActivity > b.recentActivity }
            let totalA = a.activity.syns + a.activity.accepts + a.drops
            let totalB = b.activity.syns + b.activity.accepts + b.drops
            if totalA != totalB { return totalA > totalB }
            return a.activity.listener.port < b.activity.listener.port
        }
    }

    /// Wider terminals give the address column room for IPv6.
    private var extraAddressWidth: Int { min(max(width - 80, 0), 25) }

    private var columnsTitle: String {
        pad("LISTENER", 22 + extraAddressWidth) + " " + pad("OWNER", 17) + " " + pad("BACKLOG", 7, right: true) + " "
            + pad("ACCEPTQ", 8) + " " + pad("REQQ", 8) + " " + pad("SYN/s", 6, right: true) + " "
            + pad("ACC/s", 6, right: true)
    }

    private var detailTitle: String {
        "  " + pad("ACCEPTED", 8) + " " + pad("HS p50/p99", 11) + " " + pad("WAIT p50/p99", 12) + " "
            + pad("DROPS", 6, right: true) + " TOP CAUSE"
    }

    private func headerLine(_ snapshot: TopSnapshot, listeners: Int) -> String {
        "synshadow top  tier \(snapshot.tier)  events \(snapshot.events)  lost \(snapshot.lost)  "
            + "up \(Self.clock(snapshot.uptime))  listeners \(listeners)"
    }

    private func rowLines(_ row: TopRow) -> [String] {
        let activity = row.activity
        let first = pad(row.endpoint, 22 + extraAddressWidth) + " " + pad(row.owner(width: 17), 17) + " "
            + pad(activity.isOpen ? activity.backlog.map(String.init) ?? "-" : "closed", 7, right: true) + " "
            + pad(TopRow.queue(model: activity.modelAcceptQueue, kernel: activity.kernelAcceptQueue), 8) + " "
            + pad(TopRow.queue(model: activity.modelRequestQueue, kernel: activity.kernelRequestQueue), 8) + " "
            + pad(TopRow.rate(row.synRate), 6, right: true) + " " + pad(TopRow.rate(row.acceptRate), 6, right: true)
        let cause = row.topCause.map { "\($0.kind.identifier) \($0.count)" } ?? ""
        let second = "  " + pad(String(activity.accepts), 8) + " " + pad(TopRow.percentiles(activity.handshakeTime), 11)
            + " " + pad(TopRow.percentiles(activity.acceptWait), 12) + " " + pad(String(row.drops), 6, right: true)
            + " " + cause
        return [trimTrailing(first), trimTrailing(second)]
    }

    private func findingLine(_ finding: Finding) -> String {
        let seconds = Double(Int64(bitPattern: finding.timestamp &- origin)) / 1e9
        var line = "  " + Self.seconds(seconds) + " " + finding.id
        if let listener = finding.listener { line += " :\(listener.port)" }
        return line + " " + finding.explanation
    }

    /// Cuts a line to the width (never wraps), control characters escaped
    /// first (a process name may hold an escape sequence).
    private func cut(_ line: String) -> String {
        let clean = line.terminalSafe
        return clean.count <= width ? clean : trimTrailing(String(clean.prefix(max(width, 0))))
    }

    private func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let text = text.count > width ? String(text.prefix(width)) : text
        let padding = String(repeating: " ", count: width - text.count)
        return right ? padding + text : text + padding
    }

    private func trimTrailing(_ line: String) -> String {
        var line = line
        while line.hasSuffix(" ") { line.removeLast() }
        return line
    }

    /// 0:01:23 style.
    static func clock(_ seconds: Double) -> String {
        let total = Int(max(seconds, 0))
        let minutes = total / 60 % 60
        let secs = total % 60
        return "\(total / 3600):" + (minutes < 10 ? "0" : "") + "\(minutes):" + (secs < 10 ? "0" : "") + "\(secs)"
    }

    /// Seconds since the start with three decimals, as `trace` prints them (ms precision).
    static func seconds(_ value: Double) -> String {
        let milliseconds = Int64((value * 1000).rounded())
        let fraction = abs(milliseconds % 1000)
        return "\(milliseconds / 1000)." + String(repeating: "0", count: fraction < 10 ? 2 : fraction < 100 ? 1 : 0)
            + "\(fraction)"
    }
}
