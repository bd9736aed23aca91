import SynShadowCore

/// Follows a replay step by step and keeps what the page draws, in memory
/// bounded by the number of listeners (never by the number of events): after
/// each step it takes the model's changed listeners (`takeListenerChanges`)
/// into their tracks at the step's bucket; findings go to their listener's
/// track as they are released; loss and events are counted per bucket.
///
/// A value, driven by `IncidentReport`'s observer with one access per step:
/// its tracks are updated in place.
struct IncidentCollector {
    let options: IncidentReport.Options
    private(set) var axis: TimeAxis
    private(set) var tracks: [ListenerTrack] = []
    /// Track indices by (slot, generation), and by kernel id (oldest first) for findings.
    private var bySlot: [UInt64: Int] = [:]
    private var byID: [UInt64: [Int]] = [:]
    /// The track of the latest change (consecutive steps mostly concern one listener).
    private var lastKey: UInt64 = .max
    private var lastIndex = 0
    private(set) var events = CountSeries()
    private(set) var lost = CountSeries()
    /// Findings about no listener (events lost, listener limit), per kind and bucket.
    private(set) var globalFindings: [UInt8: CountSeries] = [:]
    private(set) var globalMarkers: [FindingMarker] = []
    private var globalMarkersByKind = [Int](repeating: 0, count: FindingKind.allCases.count)
    private(set) var globalReported = [UInt64](repeating: 0, count: FindingKind.allCases.count)
    /// The latest time seen (event, tick or finding).
    private(set) var latest: UInt64 = 0

    init(origin: UInt64, options: IncidentReport.Options) {
        self.options = options
        axis = TimeAxis(origin: origin, maximumBuckets: options.maximumBuckets)
    }

    /// Changes are placed at the model's time (the latest timestamp it has
    /// seen): a finding's count then lands where its timestamp says.
    mutating func processed(_ event: KernelEvent, model: ShadowModel) {
        events.add(1, at: bucket(of: event.timestamp))
        let now = model.now
        takeChanges(model, at: now, bucket: bucket(of: now))
    }

    mutating func advanced(model: ShadowModel) {
        let now = model.now
        takeChanges(model, at: now, bucket: bucket(of: now))
    }

    mutating func lost(_ count: UInt64, at time: UInt64) {
        lost.add(count, at: bucket(of: time))
    }

    mutating func released(_ findings: [Finding]) {
        for finding in findings {
            // The axis reaches the later of the two first: neither bucket moves after.
            _ = bucket(of: max(finding.timestamp, finding.happened))
            let decided = bucket(of: finding.timestamp)
            let happened = bucket(of: finding.happened)
            if let listener = finding.listener, let index = trackIndex(for: listener, at: finding.timestamp) {
                tracks[index].noteReported(
                    finding, decided: decided, happened: happened, markerLimit: options.markersPerKind,
                    listenerLimit: options.markersPerListener)
                continue
            }
            let index = Int(finding.kind.rawValue)
            globalReported[index] += 1
            globalFindings[finding.kind.rawValue, default: CountSeries()].add(1, at: happened)
            if globalMarkersByKind[index] < options.markersPerKind {
                globalMarkersByKind[index] += 1
                globalMarkers.append(FindingMarker(finding))
            }
        }
    }

    /// The end of the replay: every listener's whole activity (the model's
    /// histograms and findings by kind), levels carried to the last bucket.
    /// Returns the number of buckets.
    mutating func finish(model: ShadowModel, end: UInt64) -> Int {
        for index in tracks.indices where !tracks[index].forgotten {
            guard let activity = model.listenerActivity(slot: tracks[index].slot) else { continue }
            tracks[index].activity = activity
            tracks[index].summary = activity.listener
        }
        let count = bucket(of: max(end, latest)) + 1
        for index in tracks.indices { tracks[index].extend(to: count) }
        return count
    }

    private mutating func takeChanges(_ model: ShadowModel, at time: UInt64, bucket: Int) {
        model.takeListenerChanges { change in
            switch change {
            case .changed(let figures):
                let index = trackIndex(for: figures, model: model, at: time)
                if figures.pid != tracks[index].summary.pid ?? 0,
                    let summary = model.listenerActivity(slot: figures.slot)?.listener
                {
                    tracks[index].summary = summary
                }
                tracks[index].update(to: figures, at: bucket) { model.findingCount(slot: figures.slot, kind: $0) }
            case .forgotten(let figures, let activity):
                let index = trackIndex(for: figures, model: model, at: time, summary: activity.listener)
                tracks[index].update(to: figures, at: bucket) { activity.findings[$0] ?? 0 }
                tracks[index].activity = activity
                tracks[index].summary = activity.listener
                tracks[index].forgotten = true
            }
        }
    }

    private mutating func trackIndex(
        for figures: ListenerFigures, model: ShadowModel, at time: UInt64, summary: ListenerSummary? = nil
    ) -> Int {
        let key = UInt64(figures.slot) << 32 | UInt64(figures.generation)
        if key == lastKey { return lastIndex }
        let index: Int
        if let known = bySlot[key] {
            index = known
        } else {
            let summary = summary ?? model.listenerActivity(slot: figures.slot)?.listener
                ?? ListenerSummary(id: figures.id, netns: 0, family: "", address: "", port: 0, pid: nil, comm: nil)
            index = tracks.count
            tracks.append(ListenerTrack(figures: figures, summary: summary, at: time))
            bySlot[key] = index
            byID[figures.id, default: []].append(index)
        }
        lastKey = key
        lastIndex = index
        return index
    }

    /// The listener a finding names: the latest with its kernel id that
    /// existed by the finding's time.
    private func trackIndex(for listener: ListenerSummary, at time: UInt64) -> Int? {
        guard let candidates = byID[listener.id] else { return nil }
        return candidates.last { tracks[$0].firstSeen <= time } ?? candidates.first
    }

    /// The bucket of `time`, coarsening the axis (and every series) first
    /// when it lies past the last bucket.
    private mutating func bucket(of time: UInt64) -> Int {
        if time > latest { latest = time }
        if let bucket = axis.bucket(of: time) { return bucket }
        while true {
            axis.coarsen()
            events.halve()
            lost.halve()
            for key in globalFindings.keys { globalFindings[key]?.halve() }
            for index in tracks.indices { tracks[index].halve() }
            if let bucket = axis.bucket(of: time) { return bucket }
        }
    }
}
