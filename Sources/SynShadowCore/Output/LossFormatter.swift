/// Prints the ring buffer's loss as it is counted: `{"type":"loss",...}` for
/// machines (README "JSON output") and one LOSS line for people, so that a
/// reader of the stream sees where the model stopped being complete.
public struct LossFormatter: Sendable {
    /// Times are shown relative to this (CLOCK_MONOTONIC ns), as for events.
    public var origin: UInt64

    public init(origin: UInt64) {
        self.origin = origin
    }

    /// `count` records lost since the last report (`total` in all), counted at `time`.
    public func jsonLine(count: UInt64, total: UInt64, at time: UInt64) -> String {
        var line = LineBuffer()
        line.append("{\"type\":\"loss\",\"ts_ns\":")
        line.appendDecimal(time)
        line.append(",\"time\":")
        line.appendSeconds(nanoseconds: Int64(bitPattern: time &- origin))
        line.append(",\"lost\":")
        line.appendDecimal(count)
        line.append(",\"lost_total\":")
        line.appendDecimal(total)
        line.append(0x7d)
        return line.text
    }

    public func humanLine(count: UInt64, total: UInt64, at time: UInt64) -> String {
        var line = LineBuffer()
        line.appendSeconds(nanoseconds: Int64(bitPattern: time &- origin))
        line.append(" LOSS ")
        line.appendDecimal(count)
        line.append(" event(s) lost (")
        line.appendDecimal(total)
        line.append(" in all): the ring buffer was full; flows with steps in that span are not judged")
        return line.text
    }
}
