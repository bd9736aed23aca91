/// What one listener has been doing, as the model saw it: the figures behind
/// `synshadow top` and the metrics endpoint. A snapshot of plain values taken
/// between batches (`ShadowModel.listenerActivity()`); counts are monotonic
/// since tracing began, so a reader turns two snapshots into rates.
public struct ListenerActivity: ListenerCountsReading, Sendable, Hashable {
    public var listener: ListenerSummary
    /// Queues and step counts, read as members (`activity.syns`).
    public var counts: ListenerCounts
    /// Every finding the model decided for this listener, per kind — reported,
    /// withheld or over the per-listener limit alike. Drops by cause are the
    /// behaviour kinds among them.
    public var findings: [FindingKind: UInt64]
    /// SYN seen → child created: the handshake as the server lives it.
    public var handshakeTime: LatencyHistogram
    /// Child created → accept() returned it: how long the application kept it waiting.
    public var acceptWait: LatencyHistogram

    public init(
        listener: ListenerSummary, counts: ListenerCounts = ListenerCounts(), findings: [FindingKind: UInt64] = [:],
        handshakeTime: LatencyHistogram = LatencyHistogram(), acceptWait: LatencyHistogram = LatencyHistogram()
    ) {
        self.listener = listener
        self.counts = counts
        self.findings = findings
        self.handshakeTime = handshakeTime
        self.acceptWait = acceptWait
    }
}
