import SynShadowCore

/// One listener's timeline as inline SVG: the accept queue, the request
/// queue, the rates and the findings, in panels over one time axis (seconds
/// since the recording began, as `synshadow replay` prints them). Every
/// series is drawn from the axis's buckets: queue levels as a band from each
/// bucket's lowest to its highest value (the peak line on top), so no peak is
/// lost however many events a bucket holds.
struct TimelineChart {
    static let width = 1320.0
    static let left = 210.0
    static let right = 24.0
    static let plotWidth = width - left - right

    /// The trace's clock origin (time 0 on the axis), the buckets and their width.
    let origin: UInt64
    let buckets: Int
    let bucketSeconds: Double

    enum Colour {
        static let model = "#1f77b4"
        static let kernel = "#ff7f0e"
        static let full = "#d62728"
        static let syns = "#1f77b4"
        static let handshakes = "#2ca02c"
        static let accepts = "#9467bd"
        static let drops = "#d62728"
        static let events = "#7f7f7f"
        static let lost = "#8c564b"

        static func of(_ severity: FindingSeverity) -> String {
            switch severity {
            case .error: "#d62728"
            case .warning: "#e69500"
            case .info: "#4c78a8"
            }
        }
    }

    var span: Double { Double(buckets) * bucketSeconds }

    func x(_ bucket: Int) -> Double { Self.left + Double(bucket) * Self.plotWidth / Double(max(buckets, 1)) }

    func x(seconds: Double) -> Double { Self.left + min(max(seconds / max(span, 1e-9), 0), 1) * Self.plotWidth }

    func seconds(ofBucket bucket: Int) -> Double { Double(bucket) * bucketSeconds }

    /// Seconds since the origin of a timestamp (0 before it).
    func seconds(of time: UInt64) -> Double { time > origin ? Double(time - origin) / 1e9 : 0 }

    /// A vertical band of the chart and its value scale.
    struct Panel {
        var top: Double
        var height: Double
        var maximum: Double

        func y(_ value: Double) -> Double { top + height - min(max(value, 0), maximum) / maximum * height }
        var bottom: Double { top + height }
    }

    // MARK: Paths

    /// A step line through per-bucket values; `nil` values carry the previous
    /// one (nothing is drawn before the first value).
    func stepPath(count: Int, panel: Panel, value: (Int) -> Double?) -> String {
        var path = ""
        var current: Double?
        for bucket in 0..<count {
            guard let next = value(bucket) else { continue }
            if let level = current {
                if next != level {
                    path += "H" + HTMLText.coordinate(x(bucket)) + "V" + HTMLText.coordinate(panel.y(next))
                }
            } else {
                path += "M" + HTMLText.coordinate(x(bucket)) + " " + HTMLText.coordinate(panel.y(next))
            }
            current = next
        }
        if current != nil { path += "H" + HTMLText.coordinate(x(count)) }
        return path
    }

    /// The area between two per-bucket step lines (high above, low below),
    /// from bucket `start` on.
    func bandPath(from start: Int, count: Int, panel: Panel, low: [Int32], high: [Int32]) -> String {
        guard count > start else { return "" }
        var upper: [(Double, Double)] = []
        var lower: [(Double, Double)] = []
        func append(_ points: inout [(Double, Double)], _ x0: Double, _ x1: Double, _ y: Double) {
            if let last = points.last, last.1 == y {
                points[points.count - 1].0 = x1
            } else {
                points.append((x0, y))
                points.append((x1, y))
            }
        }
        for bucket in start..<count {
            append(&upper, x(bucket), x(bucket + 1), panel.y(Double(high[bucket])))
            append(&lower, x(bucket), x(bucket + 1), panel.y(Double(low[bucket])))
        }
        var path = "M"
        path += upper.map { HTMLText.coordinate($0.0) + " " + HTMLText.coordinate($0.1) }.joined(separator: "L")
        for point in lower.reversed() { path += "L" + HTMLText.coordinate(point.0) + " " + HTMLText.coordinate(point.1) }
        return path + "Z"
    }

    /// Bars from the panel's floor, one per non-empty bucket.
    func barsPath(count: Int, panel: Panel, value: (Int) -> Double) -> String {
        var path = ""
        for bucket in 0..<count {
            let amount = value(bucket)
            guard amount > 0 else { continue }
            let top = min(panel.y(amount), panel.bottom - 1)
            path += "M" + HTMLText.coordinate(x(bucket)) + " " + HTMLText.coordinate(panel.bottom) + "V"
                + HTMLText.coordinate(top) + "H" + HTMLText.coordinate(max(x(bucket + 1), x(bucket) + 0.6)) + "V"
                + HTMLText.coordinate(panel.bottom) + "Z"
        }
        return path
    }

    /// Runs of consecutive buckets with a non-zero count: (first, last, sum).
    static func runs(_ series: CountSeries, count: Int) -> [(first: Int, last: Int, sum: UInt64)] {
        var runs: [(first: Int, last: Int, sum: UInt64)] = []
        for bucket in 0..<min(count, series.count) where series[bucket] > 0 {
            if let last = runs.last, last.last == bucket - 1 {
                runs[runs.count - 1].last = bucket
                runs[runs.count - 1].sum += UInt64(series[bucket])
            } else {
                runs.append((bucket, bucket, UInt64(series[bucket])))
            }
        }
        return runs
    }

    func range(_ run: (first: Int, last: Int, sum: UInt64)) -> String {
        HTMLText.fixed(seconds(ofBucket: run.first), 3) + "–" + HTMLText.seconds(seconds(ofBucket: run.last + 1))
    }

    // MARK: Axes

    /// 1, 2 or 5 times a power of ten, at least `value` (and above 0).
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0, value.isFinite else { return 1 }
        var step = 1.0
        while step * 10 <= value { step *= 10 }
        while step > value { step /= 10 }
        for factor in [1.0, 2.0, 5.0, 10.0] where step * factor >= value { return step * factor }
        return step * 10
    }

    /// Vertical grid lines and time labels under `bottom`.
    func timeAxis(top: Double, bottom: Double) -> String {
        let step = Self.niceCeiling(span / 10)
        var svg = "<g class=\"grid\">"
        var labels = "<g class=\"tick\" text-anchor=\"middle\">"
        var tick = 0.0
        var guardCount = 0
        while tick <= span + 1e-9, guardCount < 40 {
            let position = HTMLText.coordinate(x(seconds: tick))
            svg += "<path d=\"M\(position) \(HTMLText.coordinate(top))V\(HTMLText.coordinate(bottom))\"/>"
            let decimals = step >= 1 ? 0 : (step >= 0.1 ? 1 : (step >= 0.01 ? 2 : 3))
            labels += "<text x=\"\(position)\" y=\"\(HTMLText.coordinate(bottom + 14))\">\(HTMLText.fixed(tick, decimals))</text>"
            tick += step
            guardCount += 1
        }
        labels += "<text x=\"\(HTMLText.coordinate(Self.left - 8))\" y=\"\(HTMLText.coordinate(bottom + 14))\" "
            + "text-anchor=\"end\">seconds</text>"
        return svg + "</g>" + labels + "</g>"
    }

    /// The panel's name and value ticks on its left, and its frame.
    func panelFrame(_ panel: Panel, title: String, unit: String, decimals: Int = 0) -> String {
        var svg = "<rect class=\"frame\" x=\"\(HTMLText.coordinate(Self.left))\" y=\"\(HTMLText.coordinate(panel.top))\" "
            + "width=\"\(HTMLText.coordinate(Self.plotWidth))\" height=\"\(HTMLText.coordinate(panel.height))\"/>"
        svg += "<text class=\"panel\" x=\"12\" y=\"\(HTMLText.coordinate(panel.top + 14))\">\(HTMLText.escape(title))</text>"
        if !unit.isEmpty {
            svg += "<text class=\"unit\" x=\"12\" y=\"\(HTMLText.coordinate(panel.top + 28))\">\(HTMLText.escape(unit))</text>"
        }
        svg += "<g class=\"tick\" text-anchor=\"end\">"
        for fraction in [0.0, 0.5, 1.0] {
            let value = panel.maximum * fraction
            let y = panel.y(value)
            svg += "<path class=\"hgrid\" d=\"M\(HTMLText.coordinate(Self.left)) \(HTMLText.coordinate(y))"
                + "h\(HTMLText.coordinate(Self.plotWidth))\"/>"
            let text = decimals == 0 && value == value.rounded() ? String(Int64(value)) : HTMLText.trimmed(value)
            svg += "<text x=\"\(HTMLText.coordinate(Self.left - 6))\" y=\"\(HTMLText.coordinate(y + 4))\">\(text)</text>"
        }
        return svg + "</g>"
    }

    /// A row of legend entries at the top of a panel: (colour, dashed, label).
    func legend(_ panel: Panel, _ entries: [(colour: String, style: String, label: String)]) -> String {
        var svg = "<g class=\"legend\">"
        var position = Self.left + 8
        for entry in entries {
            let y = panel.top + 12
            switch entry.style {
            case "band":
                svg += "<rect x=\"\(HTMLText.coordinate(position))\" y=\"\(HTMLText.coordinate(y - 6))\" width=\"18\" "
                    + "height=\"8\" fill=\"\(entry.colour)\" fill-opacity=\"0.25\"/>"
            case "bar":
                svg += "<rect x=\"\(HTMLText.coordinate(position + 5))\" y=\"\(HTMLText.coordinate(y - 7))\" width=\"8\" "
                    + "height=\"9\" fill=\"\(entry.colour)\"/>"
            default:
                svg += "<path d=\"M\(HTMLText.coordinate(position)) \(HTMLText.coordinate(y - 2))h18\" "
                    + "stroke=\"\(entry.colour)\" stroke-width=\"2\"\(entry.style == "dash" ? " stroke-dasharray=\"4 3\"" : "")/>"
            }
            svg += "<text x=\"\(HTMLText.coordinate(position + 22))\" y=\"\(HTMLText.coordinate(y + 2))\">"
                + HTMLText.escape(entry.label) + "</text>"
            position += 30 + Double(entry.label.count) * 6.2
        }
        return svg + "</g>"
    }
}
