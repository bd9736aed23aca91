import SynShadowCore

/// `synshadow report`: a recorded trace as one self-contained HTML page (no
/// network, no external script, font or style sheet; inline SVG and one small
/// inline script). The trace is replayed once, exactly as `synshadow replay`
/// replays it, and the page is drawn from what the model did step by step:
/// per listener its queues (the model's count and the kernel's figure), rates,
/// drops and findings over time, and its latency distributions.
///
/// Memory is bounded by the number of listeners, never by the number of
/// events: series live in at most `Options.maximumBuckets` buckets, and
/// findings beyond `Options.markersPerKind` per kind and listener are drawn as
/// counts per bucket (totals stay exact).
public struct IncidentReport: Sendable {
    public struct Options: Sendable {
        /// Time buckets per series at most (each keeps its lowest and highest level).
        public var maximumBuckets = 1500
        /// Findings drawn one by one per listener: at most this many of one
        /// kind, and of all kinds together; the rest are counted per bucket.
        public var markersPerKind = 50
        public var markersPerListener = 200
        /// Listeners given charts (those in trouble first); the others get a table row.
        public var chartedListeners = 24

        public init() {}
    }

    /// The page.
    public var html: String
    /// The figures it shows (and embeds as JSON).
    public var figures: ReportFigures
    /// The replay it was drawn from.
    public var replay: ReplayResult

    /// Replays `reader` (positioned after the header) and draws the page.
    /// `adjust` may change the model's thresholds, as `replay` does;
    /// `onEvent` sees every record as it is read (to count them as a trace is
    /// cut short, say).
    public static func generate(
        _ reader: TraceFileReader, options: Options = Options(), adjust: (inout ModelConfiguration) -> Void = { _ in },
        onEvent: ((KernelEvent) -> Void)? = nil
    ) throws(TraceFileError) -> IncidentReport {
        let (collector, replay, buckets) = try collect(reader, options: options, adjust: adjust, onEvent: onEvent)
        let (figures, tracks) = Self.figures(collector: collector, replay: replay, buckets: buckets)
        let page = HTMLPage(figures: figures, tracks: tracks, collector: collector, buckets: buckets, options: options)
        return IncidentReport(html: page.html, figures: figures, replay: replay)
    }

    /// The replay with the collector following it: what the page is drawn from.
    static func collect(
        _ reader: TraceFileReader, options: Options, adjust: (inout ModelConfiguration) -> Void = { _ in },
        onEvent: ((KernelEvent) -> Void)? = nil
    ) throws(TraceFileError) -> (IncidentCollector, ReplayResult, buckets: Int) {
        let collector = IncidentCollector(origin: reader.header.clockOrigin.monotonicNanoseconds, options: options)
        let finisher = Finisher(collector: collector, summaryEnd: { reader.summary?.endMonotonicNanoseconds })
        let replay = try Replay.run(reader, adjust: adjust, onEvent: onEvent, observer: finisher)
        return (finisher.collector, replay, finisher.buckets)
    }

    /// Drives the collector through the replay (one access per step) and
    /// closes it with the model's last state.
    private final class Finisher: ReplayObserver {
        var collector: IncidentCollector
        let summaryEnd: () -> UInt64?
        var buckets = 1

        init(collector: IncidentCollector, summaryEnd: @escaping () -> UInt64?) {
            self.collector = collector
            self.summaryEnd = summaryEnd
        }

        func replayWillStart(model: ShadowModel) { model.tracksListenerChanges = true }
        func replayProcessed(_ event: KernelEvent, model: ShadowModel) { collector.processed(event, model: model) }
        func replayLost(_ count: UInt64, at time: UInt64) { collector.lost(count, at: time) }
        func replayAdvanced(to time: UInt64, model: ShadowModel) { collector.advanced(model: model) }
        func replayReleased(_ findings: [Finding]) { collector.released(findings) }
        func replayFinished(model: ShadowModel) {
            buckets = collector.finish(model: model, end: summaryEnd() ?? collector.latest)
        }
    }

    /// Each listener's totals from the model's own activity, the trace's
    /// from the replay; findings about no listener are what the model decided
    /// beyond the listeners' counts.
    /// The figures, and the tracks in the same order (that of the page).
    static func figures(
        collector: IncidentCollector, replay: ReplayResult, buckets: Int
    ) -> (ReportFigures, [ListenerTrack]) {
        var listeners: [ListenerReport] = []
        var attributed: [FindingKind: UInt64] = [:]
        for track in collector.tracks {
            let report = track.report
            for (kind, count) in report.findings { attributed[kind, default: 0] += count }
            listeners.append(report)
        }
        let order = listeners.indices.sorted { ListenerReport.precedes(listeners[$0], listeners[$1]) }
        var decided: [FindingKind: UInt64] = [:]
        var unattributed: [FindingKind: UInt64] = [:]
        for (identifier, count) in replay.statistics.findings {
            guard let kind = FindingKind(identifier: identifier) else { continue }
            decided[kind] = count
            let rest = count &- (attributed[kind] ?? 0)
            if rest > 0 && rest <= count { unattributed[kind] = rest }
        }
        var reported: [FindingKind: UInt64] = [:]
        for finding in replay.findings { reported[finding.kind, default: 0] += 1 }
        let header = replay.header
        let end = replay.summary?.endMonotonicNanoseconds ?? collector.latest
        let origin = header.clockOrigin.monotonicNanoseconds
        let figures = ReportFigures(
            header: header, summary: replay.summary, events: replay.events, lostEvents: replay.statistics.lostEvents,
            durationSeconds: end > origin ? Double(end - origin) / 1e9 : 0, listeners: order.map { listeners[$0] },
            findings: decided, reported: reported, unattributedFindings: unattributed,
            bucketSeconds: Double(collector.axis.width) / 1e9, buckets: buckets)
        return (figures, order.map { collector.tracks[$0] })
    }
}

extension ListenerTrack {
    /// The totals of this listener: the model's activity where the replay
    /// left one (always, but for a listener the model never named), else
    /// the last figures.
    var report: ListenerReport {
        let final = activity
        var findings: [FindingKind: UInt64] = [:]
        var reported: [FindingKind: UInt64] = [:]
        for kind in FindingKind.allCases {
            let decided = final?.findings[kind] ?? findingCounts[Int(kind.rawValue)]
            if decided > 0 { findings[kind] = decided }
            if reportedCounts[Int(kind.rawValue)] > 0 { reported[kind] = reportedCounts[Int(kind.rawValue)] }
        }
        return ListenerReport(
            listener: summary, isOpen: final?.isOpen ?? figures.isOpen,
            backlog: final?.backlog ?? figures.backlog, syns: final?.syns ?? figures.syns,
            handshakes: final?.handshakes ?? figures.handshakes, accepts: final?.accepts ?? figures.accepts,
            findings: findings, reported: reported, peakAcceptQueue: Int(acceptModel.peak),
            peakAcceptQueueKernel: acceptKernel.peak >= 0 ? Int(acceptKernel.peak) : nil,
            peakRequestQueue: Int(requestModel.peak),
            peakRequestQueueKernel: requestKernel.peak >= 0 ? Int(requestKernel.peak) : nil,
            handshakeTime: final?.handshakeTime ?? LatencyHistogram(), acceptWait: final?.acceptWait ?? LatencyHistogram())
    }
}
