import ArgumentParser

/// The values a numeric option accepts, checked in `validate()`: at parse
/// time, before anything is attached. NaN, infinities and values whose
/// arithmetic would overflow later (seconds or milliseconds to nanoseconds)
/// end as one usage line naming the option, the value and the range.
struct OptionRange<Value: Comparable & CustomStringConvertible> {
    let option: String
    let bounds: ClosedRange<Value>
    let unit: String

    init(_ option: String, _ bounds: ClosedRange<Value>, unit: String = "") {
        self.option = option
        self.bounds = bounds
        self.unit = unit
    }

    /// Throws a `ValidationError` unless `value` (when given) lies in the bounds.
    func check(_ value: Value?) throws {
        // NaN compares false with everything, so `contains` turns it away too.
        guard let value, !bounds.contains(value) else { return }
        throw ValidationError(
            "\(option) \(value): out of range; accepted: \(Self.shown(bounds.lowerBound)) to "
                + "\(Self.shown(bounds.upperBound))\(unit.isEmpty ? "" : " " + unit)")
    }

    /// "5" rather than "5.0" for whole numbers.
    private static func shown(_ bound: Value) -> String {
        if let double = bound as? Double, double == double.rounded(), abs(double) < 1e15 { return String(Int64(double)) }
        return bound.description
    }
}

extension OptionRange<Double> {
    /// `--duration`: up to a year; its nanoseconds fit a UInt64 many times over.
    static var duration: Self { Self("--duration", 0.001...31_536_000, unit: "seconds") }
}

extension OptionRange<Int> {
    /// `--accept-threshold-ms`: up to a day; its nanoseconds fit a UInt64.
    static var acceptThreshold: Self { Self("--accept-threshold-ms", 0...86_400_000, unit: "ms") }
    /// `--port`: a TCP port.
    static var port: Self { Self("--port", 1...65_535) }
    /// `--pid`: Linux's PID_MAX_LIMIT.
    static var pid: Self { Self("--pid", 1...4_194_304) }
}
