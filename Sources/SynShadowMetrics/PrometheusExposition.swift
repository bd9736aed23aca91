import SynShadowCore

/// The Prometheus text exposition format (version 0.0.4), written straight
/// from the model's exact figures: counters as integers, histogram buckets
/// cumulative on `LatencyHistogram.upperBounds` ending in `+Inf`, `_sum` the
/// exact sum of the observed durations and `_count` the exact count.
public enum PrometheusExposition {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public static func render(_ samples: [MetricSample]) -> String {
        var text = ""
        text.reserveCapacity(samples.count * 96)
        for family in MetricFamily.group(samples) {
            text += "# HELP \(family.name) \(escapeHelp(family.help))\n"
            text += "# TYPE \(family.name) \(typeName(family.kind))\n"
            for sample in family.samples { write(sample, into: &text) }
        }
        return text
    }

    private static func write(_ sample: MetricSample, into text: inout String) {
        switch sample.value {
        case .counter(let value):
            text += "\(sample.name)\(labels(sample.labels)) \(value)\n"
        case .gauge(let value):
            text += "\(sample.name)\(labels(sample.labels)) \(number(value))\n"
        case .histogram(let figures):
            var cumulative: UInt64 = 0
            for (index, bound) in LatencyHistogram.upperBounds.enumerated() {
                cumulative &+= index < figures.counts.count ? figures.counts[index] : 0
                let le = MetricLabel("le", ExactSeconds.text(nanoseconds: bound))
                text += "\(sample.name)_bucket\(labels(sample.labels + [le])) \(cumulative)\n"
            }
            text += "\(sample.name)_bucket\(labels(sample.labels + [MetricLabel("le", "+Inf")])) \(figures.count)\n"
            text += "\(sample.name)_sum\(labels(sample.labels)) \(ExactSeconds.text(nanoseconds: figures.sumNanoseconds))\n"
            text += "\(sample.name)_count\(labels(sample.labels)) \(figures.count)\n"
        }
    }

    private static func typeName(_ kind: MetricFamily.Kind) -> String {
        switch kind {
        case .counter: "counter"
        case .gauge: "gauge"
        case .histogram: "histogram"
        }
    }

    private static func labels(_ labels: [MetricLabel]) -> String {
        guard !labels.isEmpty else { return "" }
        return "{" + labels.map { "\($0.name)=\"\(escapeLabel($0.value))\"" }.joined(separator: ",") + "}"
    }

    /// Go's float syntax, which Prometheus parses: `NaN`, `+Inf`, `-Inf`.
    private static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        return String(value)
    }

    /// Label values may hold anything a process calls itself: `\`, `"` and
    /// newlines are escaped so no value can end a line or forge a series.
    static func escapeLabel(_ value: String) -> String { escape(value, quotes: true) }

    private static func escapeHelp(_ help: String) -> String { escape(help, quotes: false) }

    /// Per scalar, not per character: "\r\n" is one Character but still a newline.
    private static func escape(_ text: String, quotes: Bool) -> String {
        guard text.unicodeScalars.contains(where: { $0 == "\\" || $0 == "\n" || (quotes && $0 == "\"") }) else { return text }
        var escaped = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": escaped.append(contentsOf: "\\\\".unicodeScalars)
            case "\n": escaped.append(contentsOf: "\\n".unicodeScalars)
            case "\"" where quotes: escaped.append(contentsOf: "\\\"".unicodeScalars)
            default: escaped.append(scalar)
            }
        }
        return String(escaped)
    }
}
