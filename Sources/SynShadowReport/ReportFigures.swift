import SynShadowCore

/// The figures of an incident report: the trace's metadata and, per
/// listener, the model's own totals (SYNs, handshakes, accepts, findings by
/// id, latency histograms) — the same figures `synshadow replay`, `top` and
/// the metrics give for that trace. The page shows them and embeds them as
/// JSON (`<script type="application/json" id="synshadow-figures">`).
public struct ReportFigures: Sendable {
    public var header: TraceHeader
    /// The recorder's end marker; nil when the recording was cut short.
    public var summary: TraceSummary?
    /// Events replayed.
    public var events: UInt64
    /// Events lost as the model was told (ring buffer full, runs the kernel skipped).
    public var lostEvents: UInt64
    /// Seconds from the recording's clock origin to its end (or its last record).
    public var durationSeconds: Double
    /// Every listener, those in trouble first (see `ListenerReport.precedes`).
    public var listeners: [ListenerReport]
    /// Findings decided per kind over the whole trace (reported, withheld or
    /// over the per-listener limit), as `ModelStatistics.findings` counts them.
    public var findings: [FindingKind: UInt64]
    /// Findings the model reported (released with their text), per kind.
    public var reported: [FindingKind: UInt64]
    /// Findings about no listener (events lost, listener limit), per kind.
    public var unattributedFindings: [FindingKind: UInt64]
    /// The width of the page's time buckets, and how many there are.
    public var bucketSeconds: Double
    public var buckets: Int

    public var syns: UInt64 { listeners.reduce(0) { $0 + $1.syns } }
    public var handshakes: UInt64 { listeners.reduce(0) { $0 + $1.handshakes } }
    public var accepts: UInt64 { listeners.reduce(0) { $0 + $1.accepts } }
    public var drops: UInt64 { listeners.reduce(0) { $0 + $1.drops } }
}

/// One listener's totals in the report.
public struct ListenerReport: Sendable {
    public var listener: ListenerSummary
    public var isOpen: Bool
    /// `sk_max_ack_backlog`, when an event carried it.
    public var backlog: UInt32?
    public var syns: UInt64
    public var handshakes: UInt64
    public var accepts: UInt64
    /// Findings decided for it per kind (reported, withheld or over the limit).
    public var findings: [FindingKind: UInt64]
    /// Findings the model reported about it, per kind.
    public var reported: [FindingKind: UInt64]
    /// The highest accept and request queue, as the model counted them and
    /// as the kernel's figures read (nil: no event carried one).
    public var peakAcceptQueue: Int
    public var peakAcceptQueueKernel: Int?
    public var peakRequestQueue: Int
    public var peakRequestQueueKernel: Int?
    public var handshakeTime: LatencyHistogram
    public var acceptWait: LatencyHistogram

    /// Connection attempts lost on the server side (`FindingKind.drops`).
    public var drops: UInt64 { FindingKind.drops.reduce(0) { $0 + (findings[$1] ?? 0) } }
    public var errors: UInt64 { count(of: .error) }
    public var warnings: UInt64 { count(of: .warning) }

    private func count(of severity: FindingSeverity) -> UInt64 {
        findings.reduce(0) { $0 + ($1.key.severity == severity ? $1.value : 0) }
    }

    /// "127.0.0.1:9912", "[::1]:443" (the listener's id when its address is unknown).
    public var address: String {
        if listener.address.isEmpty { return "listener 0x" + String(listener.id, radix: 16) + " :\(listener.port)" }
        return listener.family == AddressFamily.ipv6.name
            ? "[\(listener.address)]:\(listener.port)" : "\(listener.address):\(listener.port)"
    }

    /// "nginx[1234]", or "?" when the owner is unknown.
    public var owner: String {
        guard let comm = listener.comm else { return "?" }
        return listener.pid.map { "\(comm)[\($0)]" } ?? comm
    }

    /// Trouble first: more error findings, then more warnings, then more
    /// drops, then busier (SYNs), then by address.
    public static func precedes(_ a: ListenerReport, _ b: ListenerReport) -> Bool {
        if a.errors != b.errors { return a.errors > b.errors }
        if a.warnings != b.warnings { return a.warnings > b.warnings }
        if a.drops != b.drops { return a.drops > b.drops }
        if a.syns != b.syns { return a.syns > b.syns }
        return (a.address, a.listener.netns, a.listener.id) < (b.address, b.listener.netns, b.listener.id)
    }
}

extension ReportFigures {
    /// The figures as one JSON object: `trace` (metadata), `totals`,
    /// `listeners` (in the page's order), `unattributed_findings`. Counts
    /// are integers, findings objects keyed by finding id in catalogue order.
    public var json: String {
        var trace = JSONObjectWriter()
        trace.add("host", header.hostName)
        trace.add("kernel", header.kernelRelease)
        trace.add("tier", header.tier.name)
        trace.add("recorder", header.recorder ?? "")
        trace.add("start_unix_ns", header.clockOrigin.wallClockNanoseconds)
        trace.add("duration_s", (durationSeconds * 1000).rounded() / 1000)
        trace.add("events", events)
        trace.add("lost_events", lostEvents)
        trace.add("recorder_lost_events", summary?.lostEvents ?? 0)
        trace.add("complete", summary != nil)
        trace.add("bucket_s", bucketSeconds)
        trace.add("buckets", UInt64(buckets))

        var totals = JSONObjectWriter()
        totals.add("listeners", UInt64(listeners.count))
        totals.add("syns", syns)
        totals.add("handshakes", handshakes)
        totals.add("accepts", accepts)
        totals.add("drops", drops)
        totals.addRaw("findings", Self.json(findings))
        totals.addRaw("reported", Self.json(reported))

        var object = JSONObjectWriter()
        object.addRaw("trace", trace.finish())
        object.addRaw("totals", totals.finish())
        object.addRaw("listeners", "[" + listeners.map(\.json).joined(separator: ",") + "]")
        object.addRaw("unattributed_findings", Self.json(unattributedFindings))
        return object.finish()
    }

    static func json(_ counts: [FindingKind: UInt64]) -> String {
        var object = JSONObjectWriter()
        for kind in FindingKind.allCases { if let count = counts[kind], count > 0 { object.add(kind.identifier, count) } }
        return object.finish()
    }
}

extension ListenerReport {
    var json: String {
        var object = JSONObjectWriter()
        object.add("listener", address)
        object.add("id", "0x" + String(listener.id, radix: 16))
        object.add("netns", UInt64(listener.netns))
        object.add("owner", owner)
        object.add("open", isOpen)
        if let backlog { object.add("backlog", UInt64(backlog)) }
        object.add("syns", syns)
        object.add("handshakes", handshakes)
        object.add("accepts", accepts)
        object.add("drops", drops)
        object.add("errors", errors)
        object.add("warnings", warnings)
        object.addRaw("findings", ReportFigures.json(findings))
        object.addRaw("reported", ReportFigures.json(reported))
        object.add("peak_accept_queue", Int64(peakAcceptQueue))
        if let peakAcceptQueueKernel { object.add("peak_accept_queue_kernel", Int64(peakAcceptQueueKernel)) }
        object.add("peak_request_queue", Int64(peakRequestQueue))
        if let peakRequestQueueKernel { object.add("peak_request_queue_kernel", Int64(peakRequestQueueKernel)) }
        object.addRaw("handshake_time", Self.json(handshakeTime))
        object.addRaw("accept_wait", Self.json(acceptWait))
        return object.finish()
    }

    /// count, sum and the non-empty buckets as [upper bound ns (null: past the last), count].
    static func json(_ histogram: LatencyHistogram) -> String {
        var object = JSONObjectWriter()
        object.add("count", histogram.count)
        object.add("sum_ns", histogram.sumNanoseconds)
        var buckets: [String] = []
        for (index, count) in histogram.counts.enumerated() where count > 0 {
            let bound = index < LatencyHistogram.upperBounds.count ? String(LatencyHistogram.upperBounds[index]) : "null"
            buckets.append("[\(bound),\(count)]")
        }
        object.addRaw("buckets", "[" + buckets.joined(separator: ",") + "]")
        return object.finish()
    }
}
