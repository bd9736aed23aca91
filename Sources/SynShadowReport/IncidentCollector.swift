import SynShadowCore

/// Follows a replay step by step and keeps what the page draws, in memory
/// bounded by the number of listeners (never by the number of events): after
/// each step it takes the model's changed listeners (`takeListenerChanges`)
/// into their tracks at the step's bucket; findings go to their listener's
/// track as they are released; loss and events are counted per bucket.
final class IncidentCollector: ReplayObserver {
    let options: IncidentReport.Options
    private(set) var axis: TimeAxis
    private(set) var tracks: [ListenerTrack] = []
    /// Tracks by (slot, generation), and by kernel id (oldest first) for findings.
    private var bySlot: [UInt64: ListenerTrack] = [:]
    private var byID: [UInt64: [ListenerTrack]] = [:]
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

    func replayWillStart(model: ShadowModel) {
        model.tracksListenerChanges = true
    }

    /// Changes are placed at the model's time (the latest timestamp it has
    /// seen): a finding's count then lands where its timestamp says.
    func replayProcessed(_ event: KernelEvent, model: ShadowModel) {
        events.add(1, at: bucket(of: event.timestamp))
        takeChanges(model, at: model.now, bucket: bucket(of: model.now))
    }

    func replayAdvanced(to time: UInt64, model: ShadowModel) {
        takeChanges(model, at: model.now, bucket: bucket(of: model.now))
    }

    func replayLost(_ count: UInt64, at time: UInt64) {
        lost.add(count, at: bucket(of: time))
    }

    func replayReleased(_ findings: [Finding]) {
        for finding in findings {
            // The axis reaches the later of the two first: neither bucket moves after.
            _ = bucket(of: max(finding.timestamp, finding.happened))
            let decided = bucket(of: finding.timestamp)
            let happened = bucket(of: finding.happened)
            if let listener = finding.listener, let track = track(for: listener, at: finding.timestamp) {
                track.noteReported(finding, decided: decided, happened: happened, markerLimit: options.markersPerKind)
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
    func finish(model: ShadowModel, end: UInt64) -> Int {
        for track in tracks where !track.forgotten {
            guard let activity = model.listenerActivity(slot: track.slot) else { continue }
            track.activity = activity
            track.summary = activity.listener
        }
        let count = bucket(of: max(end, latest)) + 1
        for track in tracks { track.extend(to: count) }
        return count
    }

    private func takeChanges(_ model: ShadowModel, at time: UInt64, bucket: Int) {
        model.takeListenerChanges { change in
            switch change {
            case .changed(let figures):
                let track = self.track(for: figures, model: model, at: time)
                if figures.pid != track.summary.pid ?? 0, let summary = model.listenerActivity(slot: figures.slot)?.listener {
                    track.summary = summary
                }
                track.update(to: figures, at: bucket) { model.findingCount(slot: figures.slot, kind: $0) }
            case .forgotten(let figures, let activity):
                let track = self.track(for: figures, model: model, at: time, summary: activity.listener)
                track.update(to: figures, at: bucket) { activity.findings[$0] ?? 0 }
                track.activity = activity
                track.summary = activity.listener
                track.forgotten = true
            }
        }
    }

    private func track(
        for figures: ListenerFigures, model: ShadowModel, at time: UInt64, summary: ListenerSummary? = nil
    ) -> ListenerTrack {
        let key = UInt64(figures.slot) << 32 | UInt64(figures.generation)
        if let track = bySlot[key] { return track }
        let summary = summary ?? model.listenerActivity(slot: figures.slot)?.listener
            ?? ListenerSummary(id: figures.id, netns: 0, family: "", address: "", port: 0, pid: nil, comm: nil)
        let track = ListenerTrack(figures: figures, summary: summary, at: time)
        bySlot[key] = track
        byID[figures.id, default: []].append(track)
        tracks.append(track)
        return track
    }

    /// The listener a finding names: the latest with its kernel id that
    /// existed by the finding's time.
    private func track(for listener: ListenerSummary, at time: UInt64) -> ListenerTrack? {
        guard let candidates = byID[listener.id] else { return nil }
        return candidates.last { $0.firstSeen <= time } ?? candidates.first
    }

    /// The bucket of `time`, coarsening the axis (and every series) first
    /// when it lies past the last bucket.
    private func bucket(of time: UInt64) -> Int {
        if time > latest { latest = time }
        while true {
            if let bucket = axis.bucket(of: time) { return bucket }
            axis.coarsen()
            events.halve()
            lost.halve()
            for key in globalFindings.keys { globalFindings[key]?.halve() }
            for track in tracks { track.halve() }
        }
    }
}
