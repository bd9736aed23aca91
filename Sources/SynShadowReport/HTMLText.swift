import SynShadowCore

/// Text for the page: escaping and the number formats it uses, without
/// Foundation (the module is as pure as SynShadowCore).
enum HTMLText {
    /// Text as HTML content or attribute value; control characters (from a
    /// recorded host or process name) shown as `\xNN`.
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.terminalSafe.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// JSON text that is safe inside a `<script>` element: no `<` (so no
    /// `</script>` or `<!--`) and no line separators JavaScript would choke on.
    static func scriptSafeJSON(_ json: String) -> String {
        var result = ""
        result.reserveCapacity(json.utf8.count)
        for scalar in json.unicodeScalars {
            switch scalar.value {
            case 0x3C: result += "\\u003c"
            case 0x3E: result += "\\u003e"
            case 0x26: result += "\\u0026"
            case 0x2028: result += "\\u2028"
            case 0x2029: result += "\\u2029"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// `value` with exactly `decimals` decimals ("3.20").
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        guard value.isFinite else { return "–" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e15 else { return String(value) }
        let whole = UInt64(scaled)
        let divisor = UInt64(scale)
        var text = String(whole / divisor)
        if decimals > 0 {
            let fraction = String(whole % divisor)
            text += "." + String(repeating: "0", count: decimals - fraction.count) + fraction
        }
        return (value < 0 && scaled > 0 ? "-" : "") + text
    }

    /// A coordinate: at most one decimal, no trailing ".0".
    static func coordinate(_ value: Double) -> String {
        let tenths = (value * 10).rounded()
        guard tenths.isFinite, abs(tenths) < 1e12 else { return "0" }
        let integer = Int64(tenths)
        let sign = integer < 0 ? "-" : ""
        let magnitude = integer.magnitude
        return magnitude % 10 == 0 ? sign + String(magnitude / 10) : sign + String(magnitude / 10) + "." + String(magnitude % 10)
    }

    /// A duration in nanoseconds, short: "850 µs", "1.5 ms", "2 s".
    static func duration(_ nanoseconds: UInt64) -> String {
        let value = Double(nanoseconds)
        switch nanoseconds {
        case ..<1_000: return "\(nanoseconds) ns"
        case ..<1_000_000: return trimmed(value / 1e3) + " µs"
        case ..<1_000_000_000: return trimmed(value / 1e6) + " ms"
        default: return trimmed(value / 1e9) + " s"
        }
    }

    /// A latency bucket's upper bound: "10µs", "2ms", ">10s".
    static func bound(_ index: Int) -> String {
        guard index < LatencyHistogramBounds.count else { return ">10s" }
        return duration(LatencyHistogramBounds.bound(index)).replacingSpaces()
    }

    /// Up to three significant decimals, no trailing zeros.
    static func trimmed(_ value: Double) -> String {
        let decimals = value >= 100 ? 0 : (value >= 10 ? 1 : 2)
        var text = fixed(value, decimals)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }

    /// Seconds since the trace's origin, as `synshadow replay` prints them.
    static func seconds(_ value: Double, decimals: Int = 3) -> String { fixed(value, decimals) + " s" }

    /// A Unix time in nanoseconds as an ISO 8601 UTC date and time.
    static func utc(_ nanoseconds: Int64) -> String {
        let seconds = nanoseconds >= 0 ? nanoseconds / 1_000_000_000 : (nanoseconds - 999_999_999) / 1_000_000_000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Days since 1970-01-01 to a civil date (proleptic Gregorian).
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day)) \(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):"
            + "\(two(secondOfDay % 60)) UTC"
    }
}

/// The latency histogram's bucket bounds, by index.
enum LatencyHistogramBounds {
    static var count: Int { LatencyHistogram.upperBounds.count }
    static func bound(_ index: Int) -> UInt64 { LatencyHistogram.upperBounds[index] }
}

extension String {
    fileprivate func replacingSpaces() -> String { String(unicodeScalars.filter { $0 != " " }.map(Character.init)) }
}
