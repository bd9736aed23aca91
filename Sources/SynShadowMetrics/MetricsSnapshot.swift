import SynShadowCore

/// Everything the exporters publish, copied out of the model between two
/// drains (the model is not thread-safe; this is plain values).
public struct MetricsSnapshot: Sendable {
    public var tier: String
    public var kernelRelease: String
    /// The model's counters: events, lost events, findings by id, flows tracked.
    public var statistics: ModelStatistics
    public var listeners: [ListenerActivity]

    public init(tier: String, kernelRelease: String, statistics: ModelStatistics, listeners: [ListenerActivity]) {
        self.tier = tier
        self.kernelRelease = kernelRelease
        self.statistics = statistics
        self.listeners = listeners
    }
}
