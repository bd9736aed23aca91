import SynShadowCore

/// One listener as `top` shows it: totals, rates over the last interval,
/// drops summed over the drop kinds with the commonest named, percentiles.
struct TopRow {
    let activity: ListenerActivity
    /// Per second over the last interval; nil on the first reading.
    let synRate: Double?
    let acceptRate: Double?
    /// SYNs + accepts + drops in the last interval (the sort key), or totals on the first reading.
    let recentActivity: UInt64
    let drops: UInt64
    /// The drop kind seen most often, with its count.
    let topCause: (kind: FindingKind, count: UInt64)?

    init(_ activity: ListenerActivity, previous: ListenerActivity?, seconds: Double?) {
        self.activity = activity
        var drops: UInt64 = 0
        var top: (kind: FindingKind, count: UInt64)?
        for kind in FindingKind.drops {
            let count = activity.findings[kind] ?? 0
            drops += count
            if count > (top?.count ?? 0) { top = (kind, count) }
        }
        self.drops = drops
        topCause = top
        // A count below the last reading means the slot is another listener now.
        func delta(_ now: UInt64, _ before: UInt64?) -> UInt64 { now >= (before ?? 0) ? now - (before ?? 0) : now }
        let previousDrops = previous.map { old in FindingKind.drops.reduce(0) { $0 + (old.findings[$1] ?? 0) } }
        let synDelta = delta(activity.syns, previous?.syns)
        let acceptDelta = delta(activity.accepts, previous?.accepts)
        recentActivity = synDelta + acceptDelta + delta(drops, previousDrops)
        if let seconds, seconds > 0, previous != nil {
            synRate = Double(synDelta) / seconds
            acceptRate = Double(acceptDelta) / seconds
        } else {
            synRate = nil
            acceptRate = nil
        }
    }

    /// Listeners are matched across readings by kernel id, or by address when the id is unknown.
    static func identity(of listener: ListenerSummary) -> String {
        listener.id != 0 ? "id \(listener.id)" : "\(listener.netns) \(listener.family) \(listener.address) \(listener.port)"
    }

    var endpoint: String {
        let listener = activity.listener
        let address = listener.address.isEmpty ? "*" : listener.address
        let text = listener.family == AddressFamily.ipv6.name ? "[\(address)]:\(listener.port)" : "\(address):\(listener.port)"
        return text
    }

    /// comm[pid] in at most `width` columns: the name is cut, the pid kept.
    func owner(width: Int) -> String {
        guard let comm = activity.listener.comm else { return "?" }
        let pid = activity.listener.pid.map { "[\($0)]" } ?? ""
        return String(comm.prefix(max(width - pid.count, 1))) + pid
    }

    /// "model/kernel" ("-" for a kernel figure no event carried yet).
    static func queue(model: Int, kernel: Int?) -> String {
        "\(model)/" + (kernel.map(String.init) ?? "-")
    }

    /// A bucket bound as a short duration: 20us, 5ms, 2s; ">10s" for the overflow bucket.
    static func latency(_ nanoseconds: UInt64?) -> String {
        guard let nanoseconds else { return "-" }
        if nanoseconds == .max { return ">" + latency(LatencyHistogram.upperBounds.last) }
        if nanoseconds >= 1_000_000_000 { return trimmed(Double(nanoseconds) / 1e9) + "s" }
        if nanoseconds >= 1_000_000 { return trimmed(Double(nanoseconds) / 1e6) + "ms" }
        return trimmed(Double(nanoseconds) / 1e3) + "us"
    }

    static func percentiles(_ histogram: LatencyHistogram) -> String {
        histogram.count == 0 ? "-" : latency(histogram.quantile(0.5)) + "/" + latency(histogram.quantile(0.99))
    }

    /// 0.5, 12, 1234, 12.3k, 4.5M: short enough for a six-column field.
    static func rate(_ value: Double?) -> String {
        guard let value else { return "-" }
        if value >= 999_950 { return trimmed(value / 1e6, decimals: 1) + "M" }
        if value >= 9_999.5 { return trimmed(value / 1e3, decimals: 1) + "k" }
        if value >= 10 || value == 0 { return String(Int(value.rounded())) }
        return trimmed(value, decimals: 1)
    }

    private static func trimmed(_ value: Double, decimals: Int = 3) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        var text = String(rounded)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }
}
