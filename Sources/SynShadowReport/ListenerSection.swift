import SynShadowCore

/// One listener's part of the page: a heading with its trouble in a few
/// words, the timeline (accept queue, request queue, rates, findings) and
/// the latency distributions.
struct ListenerSection {
    let number: Int
    let report: ListenerReport
    let track: ListenerTrack
    let chart: TimelineChart

    var html: String {
        var html = "<section class=\"listener\" id=\"listener-\(number)\">"
        html += "<h2>\(number). \(HTMLText.escape(report.address)) <span class=\"owner\">\(HTMLText.escape(report.owner))</span>"
        html += trouble + "</h2>"
        html += "<p class=\"facts\">" + facts + "</p>"
        html += timeline
        html += "<div class=\"histograms\">"
        html += Self.histogram(
            report.handshakeTime, title: "Handshake duration", detail: "SYN seen → child created",
            colour: TimelineChart.Colour.handshakes)
        html += Self.histogram(
            report.acceptWait, title: "Accept wait", detail: "child created → accept() returned it",
            colour: TimelineChart.Colour.accepts)
        html += "</div></section>"
        return html
    }

    private var trouble: String {
        var chips: [String] = []
        if report.errors > 0 { chips.append("<span class=\"chip error\">\(Self.count(report.errors, "error"))</span>") }
        if report.warnings > 0 {
            chips.append("<span class=\"chip warning\">\(Self.count(report.warnings, "warning"))</span>")
        }
        if report.drops > 0 { chips.append("<span class=\"chip drops\">\(report.drops) dropped</span>") }
        if chips.isEmpty { chips.append("<span class=\"chip ok\">no trouble</span>") }
        return " " + chips.joined(separator: " ")
    }

    static func count(_ value: UInt64, _ noun: String) -> String { "\(value) \(noun)\(value == 1 ? "" : "s")" }

    private var facts: String {
        var parts: [String] = []
        parts.append("backlog " + (report.backlog.map(String.init) ?? "unknown"))
        parts.append("accept queue peak \(report.peakAcceptQueue) (kernel \(report.peakAcceptQueueKernel.map(String.init) ?? "–"))")
        parts.append("request queue peak \(report.peakRequestQueue) (kernel \(report.peakRequestQueueKernel.map(String.init) ?? "–"))")
        parts.append("\(report.syns) SYNs, \(report.handshakes) handshakes, \(report.accepts) accepts")
        parts.append("netns \(report.listener.netns)")
        if !report.isOpen { parts.append("closed") }
        return parts.map(HTMLText.escape).joined(separator: " · ")
    }

    // MARK: Timeline

    private var laneKinds: [FindingKind] {
        FindingKind.allCases.filter { track.findingsByKind[$0.rawValue] != nil || (report.reported[$0] ?? 0) > 0 }
            .sorted { ($0.severity, -Int($0.rawValue)) > ($1.severity, -Int($1.rawValue)) }
    }

    private var timeline: String {
        let count = chart.buckets
        let laneHeight = 18.0
        let lanes = laneKinds
        let gap = 14.0
        // The level at which the queue is full is drawn when the queue came
        // anywhere near it; far above (a big backlog, a quiet queue) it would
        // flatten the queue into the floor, so it is named instead.
        let peakAccept = max(Double(report.peakAcceptQueue), Double(report.peakAcceptQueueKernel ?? 0), 1)
        let full = track.backlog.hasValue ? Double(track.backlog.peak) + 1 : nil
        let fullOnScale = full.map { $0 <= peakAccept * 2.5 } ?? false
        let acceptMaximum = TimelineChart.niceCeiling(max(peakAccept, fullOnScale ? full ?? 0 : 0) * 1.1)
        let accept = TimelineChart.Panel(top: 8, height: 160, maximum: acceptMaximum)
        let requestMaximum = TimelineChart.niceCeiling(
            max(Double(report.peakRequestQueue), Double(report.peakRequestQueueKernel ?? 0), 1) * 1.1)
        let request = TimelineChart.Panel(top: accept.bottom + gap, height: 100, maximum: requestMaximum)
        let perSecond = 1 / max(chart.bucketSeconds, 1e-9)
        let peakRate = Double(max(track.syns.maximum, track.handshakes.maximum, track.accepts.maximum, track.drops.maximum))
            * perSecond
        let rates = TimelineChart.Panel(
            top: request.bottom + gap, height: 120, maximum: TimelineChart.niceCeiling(max(peakRate * 1.1, 1)))
        let findingsTop = rates.bottom + gap
        let findingsHeight = max(Double(lanes.count) * laneHeight, laneHeight)
        let bottom = findingsTop + findingsHeight
        let height = bottom + 24

        var svg = "<svg class=\"timeline\" viewBox=\"0 0 \(Int(TimelineChart.width)) \(Int(height))\" "
            + "role=\"img\" aria-label=\"timeline of \(HTMLText.escape(report.address))\">"
        svg += chart.timeAxis(top: accept.top, bottom: bottom)

        // Accept queue: the model's band and peak line, the kernel's figure,
        // the level at which the queue is full, and when drops happened.
        svg += chart.panelFrame(accept, title: "Accept queue", unit: "children")
        if fullOnScale, let first = track.backlog.first {
            let full = chart.stepPath(count: count, panel: accept) { bucket in
                bucket >= first && bucket < track.backlog.count ? Double(track.backlog.last[bucket]) + 1 : nil
            }
            // The zone at and above it is shaded: a queue along its floor is full.
            let zone = full + "V" + HTMLText.coordinate(accept.top) + "H" + HTMLText.coordinate(chart.x(first)) + "Z"
            svg += "<path class=\"fullzone\" d=\"\(zone)\"><title>full: more than the backlog "
                + "(\(report.backlog ?? 0)) children queued; the next SYN or handshake ACK is dropped</title></path>"
            svg += "<path class=\"full\" d=\"\(full)\"/>"
        }
        svg += series(track.acceptModel, kernel: track.acceptKernel, panel: accept, name: "accept queue")
        for run in TimelineChart.runs(track.drops, count: count) {
            svg += "<rect class=\"dropstrip\" x=\"\(HTMLText.coordinate(chart.x(run.first)))\" "
                + "y=\"\(HTMLText.coordinate(accept.top))\" width=\"\(HTMLText.coordinate(max(chart.x(run.last + 1) - chart.x(run.first), 1)))\" "
                + "height=\"5\"><title>\(run.sum) dropped, \(chart.range(run))</title></rect>"
        }
        svg += chart.legend(accept, [
            (TimelineChart.Colour.model, "line", "model (band: lowest–highest in a bucket)"),
            (TimelineChart.Colour.kernel, "dash", "kernel's figure"),
            (TimelineChart.Colour.full, "dash",
             fullOnScale || full == nil ? "full (backlog + 1)" : "full at \(Int(full ?? 0)) (backlog + 1), off this scale"),
            (TimelineChart.Colour.drops, "bar", "drops"),
        ])

        svg += chart.panelFrame(request, title: "Request queue", unit: "request socks")
        svg += series(track.requestModel, kernel: track.requestKernel, panel: request, name: "request queue")
        svg += chart.legend(request, [
            (TimelineChart.Colour.model, "line", "model"), (TimelineChart.Colour.kernel, "dash", "kernel's figure"),
        ])

        svg += chart.panelFrame(rates, title: "Rates", unit: "per second")
        svg += "<path class=\"bars\" fill=\"\(TimelineChart.Colour.drops)\" d=\""
            + chart.barsPath(count: count, panel: rates) { Double(track.drops[$0]) * perSecond } + "\"/>"
        for (series, colour) in [
            (track.syns, TimelineChart.Colour.syns), (track.handshakes, TimelineChart.Colour.handshakes),
            (track.accepts, TimelineChart.Colour.accepts),
        ] {
            let path = chart.stepPath(count: count, panel: rates) { Double(series[$0]) * perSecond }
            svg += "<path class=\"rate\" stroke=\"\(colour)\" d=\"\(path)\"/>"
        }
        svg += chart.legend(rates, [
            (TimelineChart.Colour.syns, "line", "SYNs/s"), (TimelineChart.Colour.handshakes, "line", "handshakes/s"),
            (TimelineChart.Colour.accepts, "line", "accepts/s"), (TimelineChart.Colour.drops, "bar", "drops/s"),
        ])

        svg += findingLanes(lanes, top: findingsTop, laneHeight: laneHeight)
        svg += "</svg>"
        return svg
    }

    /// The model's band and peak line, and the kernel's figure over it.
    private func series(_ model: GaugeSeries, kernel: SampleSeries, panel: TimelineChart.Panel, name: String) -> String {
        let count = min(chart.buckets, model.count)
        var svg = ""
        if let first = model.first, count > first {
            let band = chart.bandPath(from: first, count: count, panel: panel, low: model.low, high: model.high)
            svg += "<path class=\"band\" d=\"\(band)\"/>"
            let peak = chart.stepPath(count: count, panel: panel) { $0 >= first ? Double(model.high[$0]) : nil }
            svg += "<path class=\"model\" d=\"\(peak)\"><title>\(HTMLText.escape(name)), model: peak \(model.peak)</title></path>"
        }
        if kernel.peak >= 0 {
            let path = chart.stepPath(count: min(chart.buckets, kernel.count), panel: panel) { bucket in
                kernel.high[bucket] >= 0 ? Double(kernel.high[bucket]) : nil
            }
            svg += "<path class=\"kernel\" d=\"\(path)\"><title>\(HTMLText.escape(name)), kernel's figure: "
                + "peak \(kernel.peak)</title></path>"
        }
        return svg
    }

    /// One lane per finding kind: every finding decided, counted per bucket
    /// (bar height on a log scale), and the first of each kind one by one
    /// with its explanation on hover.
    private func findingLanes(_ lanes: [FindingKind], top: Double, laneHeight: Double) -> String {
        var svg = "<text class=\"panel\" x=\"12\" y=\"\(HTMLText.coordinate(top - 2))\">Findings</text>"
        if lanes.isEmpty {
            svg += "<text class=\"unit\" x=\"\(HTMLText.coordinate(TimelineChart.left + 8))\" "
                + "y=\"\(HTMLText.coordinate(top + 13))\">none</text>"
        }
        for (index, kind) in lanes.enumerated() {
            let laneTop = top + Double(index) * laneHeight
            let colour = TimelineChart.Colour.of(kind.severity)
            let total = report.findings[kind] ?? 0
            svg += "<g class=\"lane\"><title>\(kind.identifier) (\(kind.severity.rawValue)): \(total) decided, "
                + "\(report.reported[kind] ?? 0) reported — \(HTMLText.escape(kind.meaning))</title>"
            svg += "<rect class=\"laneback\" x=\"\(HTMLText.coordinate(TimelineChart.left))\" y=\"\(HTMLText.coordinate(laneTop + 1))\" "
                + "width=\"\(HTMLText.coordinate(TimelineChart.plotWidth))\" height=\"\(HTMLText.coordinate(laneHeight - 2))\"/>"
            svg += "<text class=\"lanelabel\" x=\"\(HTMLText.coordinate(TimelineChart.left - 6))\" "
                + "y=\"\(HTMLText.coordinate(laneTop + 13))\" fill=\"\(colour)\">\(kind.identifier) \(total)</text></g>"
            if let counts = track.findingsByKind[kind.rawValue] {
                svg += Self.countBars(counts, chart: chart, top: laneTop + 2, height: laneHeight - 4, colour: colour, kind: kind)
            }
            for marker in track.markers where marker.kind == kind {
                svg += Self.marker(marker, chart: chart, y: laneTop + laneHeight / 2)
            }
        }
        return svg
    }

    /// Per-bucket counts as bars (log scale), a hover title per run of buckets.
    static func countBars(
        _ counts: CountSeries, chart: TimelineChart, top: Double, height: Double, colour: String, kind: FindingKind
    ) -> String {
        let maximum = max(Double(counts.maximum), 1)
        var svg = "<g class=\"counts\" fill=\"\(colour)\">"
        for run in TimelineChart.runs(counts, count: chart.buckets) {
            var path = ""
            for bucket in run.first...run.last {
                let value = Double(counts[bucket])
                let barHeight = max(height * (1 + (value).squareRoot()) / (1 + maximum.squareRoot()), 3)
                path += "M" + HTMLText.coordinate(chart.x(bucket)) + " " + HTMLText.coordinate(top + height) + "v-"
                    + HTMLText.coordinate(barHeight) + "H" + HTMLText.coordinate(max(chart.x(bucket + 1), chart.x(bucket) + 1))
                    + "V" + HTMLText.coordinate(top + height) + "Z"
            }
            svg += "<path d=\"\(path)\"><title>\(run.sum) × \(kind.identifier), \(chart.range(run))</title></path>"
        }
        return svg + "</g>"
    }

    static func marker(_ marker: FindingMarker, chart: TimelineChart, y: Double) -> String {
        let seconds = chart.seconds(of: marker.time)
        return "<circle class=\"marker \(marker.kind.severity.rawValue)\" cx=\"\(HTMLText.coordinate(chart.x(seconds: seconds)))\" "
            + "cy=\"\(HTMLText.coordinate(y))\" r=\"3.5\"><title>\(HTMLText.fixed(seconds, 6)) "
            + "\(marker.kind.identifier) (\(marker.kind.severity.rawValue)): \(HTMLText.escape(marker.text))</title></circle>"
    }

    // MARK: Histograms

    /// A latency histogram as bars over the model's own buckets (1-2-5 steps,
    /// 10 µs to 10 s), with its count, quantiles and mean.
    static func histogram(_ histogram: LatencyHistogram, title: String, detail: String, colour: String) -> String {
        var html = "<figure class=\"histogram\"><figcaption><b>\(HTMLText.escape(title))</b> "
            + "<span class=\"unit\">\(HTMLText.escape(detail))</span><br>"
        guard histogram.count > 0 else {
            return html + "no measurement</figcaption></figure>"
        }
        let mean = histogram.sumNanoseconds / histogram.count
        func quantile(_ q: Double) -> String {
            guard let bound = histogram.quantile(q) else { return "–" }
            return bound == .max ? "> 10 s" : "≤ " + HTMLText.duration(bound)
        }
        html += "\(histogram.count) measured · p50 \(quantile(0.5)) · p90 \(quantile(0.9)) · p99 \(quantile(0.99)) · "
            + "mean \(HTMLText.duration(mean))</figcaption>"
        let counts = histogram.counts
        let first = max((counts.firstIndex { $0 > 0 } ?? 0) - 1, 0)
        let last = min((counts.lastIndex { $0 > 0 } ?? 0) + 1, counts.count - 1)
        let shown = last - first + 1
        let width = 600.0
        let left = 44.0
        let barWidth = min((width - left - 8) / Double(shown), 40)
        let plotHeight = 110.0
        let maximum = Double(counts.max() ?? 1)
        var svg = "<svg viewBox=\"0 0 \(Int(width)) 150\" role=\"img\" aria-label=\"\(HTMLText.escape(title))\">"
        svg += "<g class=\"tick\" text-anchor=\"end\"><text x=\"\(Int(left - 4))\" y=\"16\">\(Int(maximum))</text>"
            + "<text x=\"\(Int(left - 4))\" y=\"\(Int(8 + plotHeight))\">0</text></g>"
        svg += "<path class=\"hgrid\" d=\"M\(Int(left)) \(Int(8 + plotHeight))h\(Int(Double(shown) * barWidth))\"/>"
        for index in first...last {
            let x = left + Double(index - first) * barWidth
            let value = Double(counts[index])
            let barHeight = value / maximum * plotHeight
            let label = HTMLText.bound(index)
            let range = index == 0 ? "≤ \(label)" : (index < LatencyHistogramBounds.count ? "\(HTMLText.bound(index - 1))–\(label)" : label)
            svg += "<rect x=\"\(HTMLText.coordinate(x + 1))\" y=\"\(HTMLText.coordinate(8 + plotHeight - barHeight))\" "
                + "width=\"\(HTMLText.coordinate(barWidth - 2))\" height=\"\(HTMLText.coordinate(barHeight))\" fill=\"\(colour)\">"
                + "<title>\(range): \(counts[index])</title></rect>"
            guard barWidth >= 30 || (index - first) % 2 == 0 else { continue }
            svg += "<text class=\"tick\" text-anchor=\"middle\" x=\"\(HTMLText.coordinate(x + barWidth / 2))\" y=\"\(Int(plotHeight + 24))\">"
                + "\(label)</text>"
        }
        svg += "</svg>"
        return html + svg + "</figure>"
    }
}

