import SynShadowCore

/// One listener through the trace, as the report draws it (a value the
/// collector updates in place: no reference counting or dynamic exclusivity
/// checks per event): its queues (the
/// model's count and the kernel's figure) and rates in the axis's buckets,
/// its findings (the first few of each kind one by one, every one counted per
/// bucket), and its exact totals (the model's own figures, last seen).
struct ListenerTrack {
    /// The model's slot and generation: one listener, even after its slot is reused.
    let slot: UInt32
    let generation: UInt32
    let firstSeen: UInt64
    var summary: ListenerSummary
    /// The model's figures, as of the latest step that moved them.
    private(set) var figures: ListenerFigures
    /// Findings per kind decided so far (`FindingKind` raw value), as the model counts them.
    private(set) var findingCounts = [UInt64](repeating: 0, count: FindingKind.allCases.count)
    /// Findings per kind the model reported (released with their text).
    private(set) var reportedCounts = [UInt64](repeating: 0, count: FindingKind.allCases.count)
    /// The whole activity at the end (or when the model forgot the listener).
    var activity: ListenerActivity?
    var forgotten = false

    var acceptModel = GaugeSeries()
    var requestModel = GaugeSeries()
    var acceptKernel = SampleSeries()
    var requestKernel = SampleSeries()
    var backlog = GaugeSeries()
    var syns = CountSeries()
    var handshakes = CountSeries()
    var accepts = CountSeries()
    var drops = CountSeries()
    /// Findings decided per bucket, by kind (raw value), only for kinds seen.
    var findingsByKind: [UInt8: CountSeries] = [:]
    /// Findings shown one by one (at most `markerLimit` of each kind, `listenerLimit` in all).
    private(set) var markers: [FindingMarker] = []
    private var markersByKind = [Int](repeating: 0, count: FindingKind.allCases.count)

    init(figures: ListenerFigures, summary: ListenerSummary, at time: UInt64) {
        slot = figures.slot
        generation = figures.generation
        firstSeen = time
        self.summary = summary
        self.figures = ListenerFigures(slot: figures.slot, generation: figures.generation, id: figures.id)
    }

    /// The model's figures after a step at `bucket`: counts become deltas in
    /// the bucket, levels become the bucket's levels. `count` gives the
    /// findings of one kind decided so far (asked only when the total moved).
    mutating func update(to new: ListenerFigures, at bucket: Int, findings count: (FindingKind) -> UInt64) {
        let old = figures
        syns.add(new.syns &- old.syns, at: bucket)
        handshakes.add(new.handshakes &- old.handshakes, at: bucket)
        accepts.add(new.accepts &- old.accepts, at: bucket)
        if new.findings != old.findings {
            for kind in FindingKind.allCases {
                let index = Int(kind.rawValue)
                let now = count(kind)
                guard now > findingCounts[index] else { continue }
                let delta = now - findingCounts[index]
                findingCounts[index] = now
                findingsByKind[kind.rawValue, default: CountSeries()].add(delta, at: bucket)
                if kind.isDrop { drops.add(delta, at: bucket) }
            }
        }
        acceptModel.set(new.modelAcceptQueue, at: bucket)
        requestModel.set(new.modelRequestQueue, at: bucket)
        if let value = new.kernelAcceptQueue { acceptKernel.add(value, at: bucket) }
        if let value = new.kernelRequestQueue { requestKernel.add(value, at: bucket) }
        if let value = new.backlog { backlog.set(Int(value), at: bucket) }
        figures = new
    }

    /// A finding the model released about this listener. It was counted in
    /// the bucket where the model decided it (`decided`, its timestamp); it
    /// moves to the bucket of the step it is about (`happened`, its last
    /// evidence: a dropped SYN when it arrived, not a settle window later).
    /// Findings never released (withheld, past the reporting limit) stay
    /// where they were decided.
    mutating func noteReported(
        _ finding: Finding, decided: Int, happened: Int, markerLimit: Int, listenerLimit: Int
    ) {
        let index = Int(finding.kind.rawValue)
        reportedCounts[index] += 1
        findingsByKind[finding.kind.rawValue]?.move(1, from: decided, to: happened)
        if finding.kind.isDrop { drops.move(1, from: decided, to: happened) }
        guard markersByKind[index] < markerLimit, markers.count < listenerLimit else { return }
        markersByKind[index] += 1
        markers.append(FindingMarker(finding))
    }

    mutating func halve() {
        acceptModel.halve()
        requestModel.halve()
        acceptKernel.halve()
        requestKernel.halve()
        backlog.halve()
        syns.halve()
        handshakes.halve()
        accepts.halve()
        drops.halve()
        for key in findingsByKind.keys { findingsByKind[key]?.halve() }
    }

    /// Levels carried to the end of the axis.
    mutating func extend(to count: Int) {
        acceptModel.extend(to: count)
        requestModel.extend(to: count)
        if backlog.hasValue { backlog.extend(to: count) }
    }

    /// Whether anything happened on it (a listener only seen at start-up,
    /// idle all along, gets a table row but no charts).
    var isActive: Bool {
        figures.syns > 0 || figures.handshakes > 0 || figures.accepts > 0 || figures.findings > 0
            || acceptModel.peak > 0 || requestModel.peak > 0
    }
}

/// A finding drawn on the timeline: when, what, how loud, and the text a
/// person reads on hover.
struct FindingMarker {
    var time: UInt64
    var kind: FindingKind
    var text: String

    /// Hover texts are cut here: a page holds many of them.
    static let textLimit = 400

    init(_ finding: Finding) {
        time = finding.happened
        kind = finding.kind
        var text = finding.explanation
        if let flow = finding.flow, !text.contains(flow.description) { text = "\(flow.description): " + text }
        if text.count > Self.textLimit { text = String(text.prefix(Self.textLimit)) + "…" }
        self.text = text
    }
}

extension Finding {
    /// When the step a finding is about happened: its last evidence (the
    /// SYN that was dropped, the accept that came late), else its decision.
    var happened: UInt64 { evidence.last?.timestamp ?? timestamp }
}
