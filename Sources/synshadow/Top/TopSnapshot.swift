import SynShadowCore

/// One reading of a live run, taken every `top` interval. Counts in it are
/// totals since tracing began; two readings make rates.
struct TopSnapshot {
    /// CLOCK_MONOTONIC when taken, in nanoseconds.
    var time: UInt64
    var tier: String
    /// Records the kernel side sent, and those the ring buffer had no room for.
    var events: UInt64
    var lost: UInt64
    /// Seconds since tracing began.
    var uptime: Double
    var listeners: [ListenerActivity]
}
