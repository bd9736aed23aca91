/// One item read back from a trace, in recording order.
public enum TraceRecord: Sendable, Equatable {
    case event(KernelEvent)
    /// The ring buffer lost `count` events at or before `timestamp`.
    case loss(count: UInt64, timestamp: UInt64)
    /// The live model's clock was advanced to `timestamp` with no event.
    case clock(timestamp: UInt64)
    /// The sysctls of network namespace `netns`, for the events that follow.
    case namespaceSettings(netns: UInt32, settings: KernelSettings)
    /// The end marker; nothing follows it.
    case end(TraceSummary)
}
