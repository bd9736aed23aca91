/// `synshadow replay FILE`: runs the model over a recorded trace exactly as
/// the live run fed it (events, loss reports and clock ticks in order,
/// through the same `OrderedFeed`), with
/// the configuration the header describes, and returns what it found.
public enum Replay {
    /// Replays the trace at `path`. `adjust` may change thresholds and
    /// limits; `onEvent` sees every event as it is fed; `onFindings` receives
    /// findings as the model releases them (they are also in the result).
    public static func run(
        path: String, adjust: (inout ModelConfiguration) -> Void = { _ in },
        onEvent: ((KernelEvent) -> Void)? = nil, onFindings: (([Finding]) -> Void)? = nil
    ) throws(TraceFileError) -> ReplayResult {
        let reader = try TraceFileReader(path: path)
        return try run(reader, adjust: adjust, onEvent: onEvent, onFindings: onFindings)
    }

    /// Replays from an open reader (positioned after the header). An
    /// `observer` follows the model step by step (see `ReplayObserver`).
    public static func run(
        _ reader: TraceFileReader, adjust: (inout ModelConfiguration) -> Void = { _ in },
        onEvent: ((KernelEvent) -> Void)? = nil, onFindings: (([Finding]) -> Void)? = nil,
        observer: (any ReplayObserver)? = nil
    ) throws(TraceFileError) -> ReplayResult {
        var configuration = ModelConfiguration(header: reader.header)
        adjust(&configuration)
        let feed = OrderedFeed(configuration: configuration)
        let model = feed.model
        var findings: [Finding] = []
        var events: UInt64 = 0
        func collect() {
            let released = model.takeFindings()
            guard !released.isEmpty else { return }
            findings += released
            onFindings?(released)
            observer?.replayReleased(released)
        }
        if let observer {
            observer.replayWillStart(model: model)
            feed.onProcessed = { event in observer.replayProcessed(event, model: model) }
        }
        while let record = try reader.next() {
            switch record {
            case .event(let event):
                onEvent?(event)
                feed.accept(CollectionOfOne(event))
                events += 1
                if events & 0xFFF == 0 { collect() }
            case .loss(let count, let timestamp):
                feed.noteLoss(count: count, at: timestamp)
                observer?.replayLost(count, at: timestamp)
            case .clock(let timestamp):
                feed.advance(to: timestamp)
                observer?.replayAdvanced(to: model.now, model: model)
                collect()
            case .namespaceSettings(let netns, let settings):
                model.setKernelSettings(settings, forNamespace: netns)
            case .end:
                break
            }
        }
        feed.finish()
        observer?.replayAdvanced(to: model.now, model: model)
        collect()
        observer?.replayFinished(model: model)
        return ReplayResult(
            header: reader.header, summary: reader.summary, events: events, findings: findings,
            statistics: model.statistics, ordering: feed.statistics, listeners: model.listenerActivity())
    }
}

/// Follows a replay step by step and reads the model between steps (the
/// incident report does, for every step of every queue). Every method has a
/// default that does nothing.
public protocol ReplayObserver: AnyObject {
    /// Before the first record, with the model the replay drives (set
    /// `tracksListenerChanges` here).
    func replayWillStart(model: ShadowModel)
    /// The model has just processed `event` (in time order, as the feed released it).
    func replayProcessed(_ event: KernelEvent, model: ShadowModel)
    /// The recorder counted `count` events lost, the last of them stamped no later than `time`.
    func replayLost(_ count: UInt64, at time: UInt64)
    /// The model's time moved to `time` without an event: a clock tick, or
    /// the end of the stream (after its last decisions).
    func replayAdvanced(to time: UInt64, model: ShadowModel)
    /// Findings as the model released them.
    func replayReleased(_ findings: [Finding])
    /// The stream is over, every decision taken and every finding released:
    /// the model's last state.
    func replayFinished(model: ShadowModel)
}

extension ReplayObserver {
    public func replayWillStart(model: ShadowModel) {}
    public func replayProcessed(_ event: KernelEvent, model: ShadowModel) {}
    public func replayLost(_ count: UInt64, at time: UInt64) {}
    public func replayAdvanced(to time: UInt64, model: ShadowModel) {}
    public func replayReleased(_ findings: [Finding]) {}
    public func replayFinished(model: ShadowModel) {}
}

/// What a replay found.
public struct ReplayResult: Sendable {
    public var header: TraceHeader
    /// The recorder's end marker; nil when the recording was cut short.
    public var summary: TraceSummary?
    public var events: UInt64
    public var findings: [Finding]
    public var statistics: ModelStatistics
    /// How the records were put in time order (late records, reordering).
    public var ordering: OrderedFeed.Statistics
    /// Every listener the model held at the end, with its figures since the
    /// start (as `top` and the metrics show them).
    public var listeners: [ListenerActivity] = []

    /// Whether the trace ended with its end marker.
    public var isComplete: Bool { summary != nil }
}

extension ModelConfiguration {
    /// The configuration a trace was recorded under: its tier, sysctls and
    /// drop-reason names, with default thresholds.
    public init(header: TraceHeader) {
        self.init(
            tier: header.tier, kernel: header.kernelSettings ?? KernelSettings(), dropReasonNames: header.dropReasons)
    }
}
