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

    /// Replays from an open reader (positioned after the header).
    public static func run(
        _ reader: TraceFileReader, adjust: (inout ModelConfiguration) -> Void = { _ in },
        onEvent: ((KernelEvent) -> Void)? = nil, onFindings: (([Finding]) -> Void)? = nil
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
            case .clock(let timestamp):
                feed.advance(to: timestamp)
                collect()
            case .namespaceSettings(let netns, let settings):
                model.setKernelSettings(settings, forNamespace: netns)
            case .end:
                break
            }
        }
        feed.finish()
        collect()
        return ReplayResult(
            header: reader.header, summary: reader.summary, events: events, findings: findings,
            statistics: model.statistics, ordering: feed.statistics)
    }
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
