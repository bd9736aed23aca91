/// One periodic comparison of the kernel's counters with the model's: what
/// `trace --counters` prints as a summary line or a `"type":"counters"` object.
public struct CounterReading: Sendable {
    public enum Status: String, Sendable {
        /// A new base was taken (start, or after a mismatch): counts restart at 0.
        case baseline
        /// Every compared counter is within what delays explain.
        case agree
        /// At least one counter disagreed: see `disagreements`.
        case mismatch
        /// The model was uncertain since the base (loss, eviction, withheld
        /// inference): nothing asserted, a new base was taken.
        case withheld
        /// The run's last reading, after the stream ended and every decision
        /// was taken: totals since the base, compared as they are (equal, in
        /// an exact scope; model <= kernel otherwise).
        case final
    }

    /// Kernel delta and model count of one counter since the base.
    public struct Row: Sendable, Hashable {
        public var counter: KernelCounter
        public var kernelDelta: Int64
        public var modelCount: Int64
        /// Part of `modelCount` decided so close to the base that the base may hold it.
        public var ambiguous: Int64
    }

    public var status: Status
    /// Event time (CLOCK_MONOTONIC ns) of the kernel reading.
    public var time: UInt64
    /// Event time of the base the rows count from.
    public var since: UInt64
    /// Nanoseconds since the previous reading (0 for the first).
    public var interval: UInt64
    public var scope: CounterScope
    public var rows: [Row]
    public var disagreements: [CounterDisagreement]
    /// Why nothing was asserted (status `withheld`), in one phrase.
    public var reason: String?
    /// The caller must restart the model's ledger at `time` (a new base).
    public var restartsLedger: Bool
}
