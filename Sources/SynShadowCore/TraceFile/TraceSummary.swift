/// The end marker's contents: what the recorder counted, so a replay can
/// tell a complete trace from one cut short and compare the counts.
public struct TraceSummary: Sendable, Equatable, Codable {
    /// Event records written.
    public var events: UInt64
    /// Events the ring buffer lost while recording.
    public var lostEvents: UInt64
    /// CLOCK_MONOTONIC at the end of recording.
    public var endMonotonicNanoseconds: UInt64?
    /// Final kernel-side counters (hook hits, filtered, correlation misses...).
    public var counters: [String: UInt64]

    public init(events: UInt64, lostEvents: UInt64, endMonotonicNanoseconds: UInt64? = nil, counters: [String: UInt64] = [:]) {
        self.events = events
        self.lostEvents = lostEvents
        self.endMonotonicNanoseconds = endMonotonicNanoseconds
        self.counters = counters
    }
}
