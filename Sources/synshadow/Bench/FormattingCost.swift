import SynShadowCore
import SynShadowTracer

/// Printing's own cost: real recorded events formatted as `trace` prints
/// them, as text and as JSON, into one reused line buffer, repeated for at
/// least half a second each. Nanoseconds per event, writing excluded.
enum FormattingCost {
    static func measure(records: [UInt8]) -> (text: Double, json: Double) {
        let size = EventCodec.recordSize
        var events: [KernelEvent] = []
        records.withUnsafeBytes { raw in
            for index in 0..<(records.count / size) {
                let slice = UnsafeRawBufferPointer(rebasing: raw[index * size..<(index + 1) * size])
                if let event = try? EventCodec.decode(slice) { events.append(event) }
            }
        }
        guard let first = events.first else { return (0, 0) }
        let formatter = EventFormatter(origin: first.timestamp)
        let text = nanosecondsPerEvent(events) { formatter.appendHumanLine($0, to: &$1) }
        let json = nanosecondsPerEvent(events) { formatter.appendJSONLine($0, to: &$1) }
        return (text, json)
    }

    private static func nanosecondsPerEvent(
        _ events: [KernelEvent], _ format: (KernelEvent, inout LineBuffer) -> Void
    ) -> Double {
        var line = LineBuffer(capacity: 1024)
        var formatted = 0
        var bytes = 0
        let started = monotonicNanoseconds()
        repeat {
            for event in events {
                line.removeAll()
                format(event, &line)
                bytes &+= line.count
            }
            formatted += events.count
        } while monotonicNanoseconds() - started < 500_000_000
        precondition(bytes > 0)
        return Double(monotonicNanoseconds() - started) / Double(formatted)
    }
}
