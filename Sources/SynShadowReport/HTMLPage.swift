import SynShadowCore

/// The page: a header with the trace's metadata, a table of listeners with
/// their totals (trouble first), the trace's own timeline (events, loss),
/// then one section per listener. Every figure of the table and header sits
/// in an element marked `data-figure="path"` (a path into the embedded JSON);
/// the inline script checks each against the JSON and marks the page
/// (`data-rendered`, `data-figures-check`, `data-js-errors` on `<html>`).
struct HTMLPage {
    let figures: ReportFigures
    let tracks: [ListenerTrack]
    let collector: IncidentCollector
    let buckets: Int
    let options: IncidentReport.Options

    var chart: TimelineChart {
        TimelineChart(origin: collector.axis.origin, buckets: buckets, bucketSeconds: figures.bucketSeconds)
    }

    var html: String {
        let header = figures.header
        var html = "<!DOCTYPE html>\n<html lang=\"en\" data-rendered=\"no\"><head><meta charset=\"utf-8\">"
        html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        html += "<meta name=\"generator\" content=\"synshadow report\">"
        html += "<title>SynShadow incident: \(HTMLText.escape(header.hostName)), "
            + "\(HTMLText.utc(header.clockOrigin.wallClockNanoseconds))</title>"
        html += "<style>\(Self.style)</style></head><body>\n"
        html += "<div id=\"figures-warning\" hidden></div>"
        html += headerSection + "\n" + summaryTable + "\n" + traceSection + "\n"
        let charted = chartedIndices
        for (position, index) in charted.enumerated() {
            html += ListenerSection(number: index + 1, report: figures.listeners[index], track: tracks[index], chart: chart).html
            if position < charted.count - 1 { html += "\n" }
        }
        html += "\n" + footer
        html += "\n<script type=\"application/json\" id=\"synshadow-figures\">"
            + HTMLText.scriptSafeJSON(figures.json) + "</script>\n"
        html += "<script>\(Self.script)</script>\n</body></html>\n"
        return html
    }

    /// The listeners given charts: the first `chartedListeners` of the
    /// page's order that did anything.
    var chartedIndices: [Int] {
        Array(figures.listeners.indices.filter { tracks[$0].isActive }.prefix(options.chartedListeners))
    }

    // MARK: Header and table

    private func figure(_ path: String, _ value: UInt64) -> String {
        "<span data-figure=\"\(HTMLText.escape(path))\">\(value)</span>"
    }

    private var headerSection: String {
        let header = figures.header
        var rows: [(String, String)] = [
            ("host", HTMLText.escape(header.hostName)),
            ("kernel", HTMLText.escape(header.kernelRelease)),
            ("tier", HTMLText.escape(header.tier.name)),
            ("recording began", HTMLText.utc(header.clockOrigin.wallClockNanoseconds)),
            ("duration", HTMLText.seconds(figures.durationSeconds, decimals: 1)
                + (figures.summary == nil ? " <b class=\"bad\">(cut short: no end marker)</b>" : "")),
            ("events", figure("trace.events", figures.events)),
            ("lost events", figure("trace.lost_events", figures.lostEvents)
                + (figures.lostEvents > 0 ? " <b class=\"bad\">the model was uncertain after each loss</b>" : "")),
            ("listeners", figure("totals.listeners", UInt64(figures.listeners.count))),
        ]
        if let recorder = header.recorder { rows.append(("recorded by", HTMLText.escape(recorder))) }
        var html = "<header><h1>SynShadow incident report</h1><dl class=\"meta\">"
        for (name, value) in rows { html += "<div><dt>\(name)</dt><dd>\(value)</dd></div>" }
        html += "</dl><p class=\"note\">Times are seconds since the recording began, as <code>synshadow replay</code> "
            + "prints them. Every figure is the shadow model's, from one replay of the trace: the same as "
            + "<code>synshadow replay</code>, <code>top</code> and the metrics give.</p></header>"
        return html
    }

    private var summaryTable: String {
        var html = "<section id=\"summary\"><h2>Listeners, trouble first</h2>"
        guard !figures.listeners.isEmpty else { return html + "<p>No listener appears in this trace.</p></section>" }
        html += "<table class=\"summary\"><thead><tr><th>#</th><th>listener</th><th>owner</th><th>backlog</th>"
            + "<th title=\"highest accept queue: model / kernel's figure\">peak accept q</th>"
            + "<th title=\"highest request queue: model / kernel's figure\">peak request q</th>"
            + "<th>SYNs</th><th>handshakes</th><th>accepts</th><th>drops</th><th>findings by id (decided)</th></tr></thead><tbody>"
        let charted = Set(chartedIndices)
        for (index, listener) in figures.listeners.enumerated() {
            let path = "listeners.\(index)"
            let name = charted.contains(index)
                ? "<a href=\"#listener-\(index + 1)\">\(HTMLText.escape(listener.address))</a>"
                : HTMLText.escape(listener.address)
            let rowClass = listener.errors > 0 ? "error" : (listener.warnings > 0 ? "warning" : "")
            html += "<tr class=\"\(rowClass)\"><td>\(index + 1)</td><td>\(name)</td><td>\(HTMLText.escape(listener.owner))</td>"
            html += "<td>\(listener.backlog.map(String.init) ?? "–")</td>"
            html += "<td>\(listener.peakAcceptQueue) / \(listener.peakAcceptQueueKernel.map(String.init) ?? "–")</td>"
            html += "<td>\(listener.peakRequestQueue) / \(listener.peakRequestQueueKernel.map(String.init) ?? "–")</td>"
            html += "<td class=\"n\">\(figure(path + ".syns", listener.syns))</td>"
            html += "<td class=\"n\">\(figure(path + ".handshakes", listener.handshakes))</td>"
            html += "<td class=\"n\">\(figure(path + ".accepts", listener.accepts))</td>"
            html += "<td class=\"n\">\(figure(path + ".drops", listener.drops))</td>"
            html += "<td>" + findingList(listener.findings, path: path + ".findings") + "</td></tr>"
        }
        html += "</tbody><tfoot><tr><td></td><td>all listeners</td><td></td><td></td><td></td><td></td>"
        html += "<td class=\"n\">\(figure("totals.syns", figures.syns))</td>"
        html += "<td class=\"n\">\(figure("totals.handshakes", figures.handshakes))</td>"
        html += "<td class=\"n\">\(figure("totals.accepts", figures.accepts))</td>"
        html += "<td class=\"n\">\(figure("totals.drops", figures.drops))</td>"
        html += "<td>" + findingList(figures.findings, path: "totals.findings") + "</td></tr></tfoot></table>"
        if !figures.unattributedFindings.isEmpty {
            html += "<p>Findings about no listener: "
                + findingList(figures.unattributedFindings, path: "unattributed_findings") + "</p>"
        }
        let hidden = figures.listeners.count - charted.count
        if hidden > 0 {
            html += "<p class=\"note\">\(hidden) listener(s) without charts: idle all along, or past the "
                + "\(options.chartedListeners) charted.</p>"
        }
        html += "<p class=\"note\">Findings are counted as the model decided them (reported, withheld while it was "
            + "uncertain, or past its per-listener reporting limit); \(figures.reported.values.reduce(0, +)) were "
            + "reported with their text, as <code>synshadow replay</code> prints them.</p>"
        return html + "</section>"
    }

    private func findingList(_ counts: [FindingKind: UInt64], path: String) -> String {
        let kinds = FindingKind.allCases.filter { (counts[$0] ?? 0) > 0 }
            .sorted { ($0.severity, -Int($0.rawValue)) > ($1.severity, -Int($1.rawValue)) }
        guard !kinds.isEmpty else { return "<span class=\"none\">none</span>" }
        return "<ul class=\"findings\">" + kinds.map { kind in
            "<li class=\"\(kind.severity.rawValue)\" title=\"\(HTMLText.escape(kind.meaning))\">\(kind.identifier) "
                + figure(path + "." + kind.identifier, counts[kind] ?? 0) + "</li>"
        }.joined() + "</ul>"
    }

    // MARK: The trace's own timeline

    private var traceSection: String {
        let chart = self.chart
        let perSecond = 1 / max(figures.bucketSeconds, 1e-9)
        let eventsPanel = TimelineChart.Panel(
            top: 8, height: 70,
            maximum: TimelineChart.niceCeiling(max(Double(collector.events.maximum) * perSecond * 1.1, 1)))
        let kinds = FindingKind.allCases.filter { collector.globalFindings[$0.rawValue] != nil }
        let laneTop = eventsPanel.bottom + 14
        let bottom = laneTop + Double(max(kinds.count, 1)) * 18
        var svg = "<svg class=\"timeline\" viewBox=\"0 0 \(Int(TimelineChart.width)) \(Int(bottom + 24))\" role=\"img\" "
            + "aria-label=\"events and loss over time\">"
        svg += chart.timeAxis(top: eventsPanel.top, bottom: bottom)
        svg += chart.panelFrame(eventsPanel, title: "Events", unit: "per second")
        svg += "<path class=\"bars\" fill=\"\(TimelineChart.Colour.lost)\" d=\""
            + chart.barsPath(count: buckets, panel: eventsPanel) { Double(collector.lost[$0]) * perSecond } + "\"/>"
        svg += "<path class=\"rate\" stroke=\"\(TimelineChart.Colour.events)\" d=\""
            + chart.stepPath(count: buckets, panel: eventsPanel) { Double(collector.events[$0]) * perSecond } + "\"/>"
        for run in TimelineChart.runs(collector.lost, count: buckets) {
            svg += "<rect class=\"loss\" x=\"\(HTMLText.coordinate(chart.x(run.first)))\" y=\"\(HTMLText.coordinate(eventsPanel.top))\" "
                + "width=\"\(HTMLText.coordinate(max(chart.x(run.last + 1) - chart.x(run.first), 1)))\" height=\"5\">"
                + "<title>\(run.sum) events lost, \(chart.range(run))</title></rect>"
        }
        svg += chart.legend(eventsPanel, [
            (TimelineChart.Colour.events, "line", "events replayed/s"), (TimelineChart.Colour.lost, "bar", "events lost"),
        ])
        svg += "<text class=\"panel\" x=\"12\" y=\"\(HTMLText.coordinate(laneTop - 2))\">Findings about no listener</text>"
        if kinds.isEmpty {
            svg += "<text class=\"unit\" x=\"\(HTMLText.coordinate(TimelineChart.left + 8))\" y=\"\(HTMLText.coordinate(laneTop + 13))\">none</text>"
        }
        for (index, kind) in kinds.enumerated() {
            let top = laneTop + Double(index) * 18
            let colour = TimelineChart.Colour.of(kind.severity)
            svg += "<rect class=\"laneback\" x=\"\(HTMLText.coordinate(TimelineChart.left))\" y=\"\(HTMLText.coordinate(top + 1))\" "
                + "width=\"\(HTMLText.coordinate(TimelineChart.plotWidth))\" height=\"16\"/>"
            svg += "<text class=\"lanelabel\" x=\"\(HTMLText.coordinate(TimelineChart.left - 6))\" y=\"\(HTMLText.coordinate(top + 13))\" "
                + "fill=\"\(colour)\">\(kind.identifier) \(figures.unattributedFindings[kind] ?? 0)</text>"
            if let counts = collector.globalFindings[kind.rawValue] {
                svg += ListenerSection.countBars(counts, chart: chart, top: top + 2, height: 14, colour: colour, kind: kind)
            }
            for marker in collector.globalMarkers where marker.kind == kind {
                svg += ListenerSection.marker(marker, chart: chart, y: top + 9)
            }
        }
        svg += "</svg>"
        return "<section id=\"trace\"><h2>The trace</h2>" + svg + "</section>"
    }

    private var footer: String {
        "<footer><p>Each series is drawn in \(buckets) buckets of \(HTMLText.duration(UInt64(figures.bucketSeconds * 1e9))); "
            + "a queue's band runs from its lowest to its highest level within a bucket, so no peak is lost. The "
            + "kernel's figure is the latest the kernel's events carried. Findings: each lane counts every finding "
            + "of its kind per bucket (bar height on a square-root scale); the first \(options.markersPerKind) of "
            + "each kind (\(options.markersPerListener) per listener) are dots, their explanation on hover. Latencies use the model's own buckets "
            + "(1-2-5 steps from 10 µs to 10 s).</p><p>Generated by <code>synshadow report</code> from a trace "
            + "recorded with <code>synshadow record</code>; the page needs no network.</p></footer>"
    }

    // MARK: Style and script

    static let style = """
        body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;margin:0 auto;\
        max-width:1380px;padding:12px 20px}h1{font-size:22px;margin:4px 0}h2{font-size:17px;margin:22px 0 6px}\
        .meta{display:flex;flex-wrap:wrap;gap:4px 22px;margin:6px 0}.meta div{display:flex;gap:6px}\
        .meta dt{color:#666}.meta dd{margin:0;font-weight:600}.note{color:#555;font-size:12.5px}\
        .bad{color:#b00}code{font-size:12.5px}table.summary{border-collapse:collapse;width:100%;font-size:13px}\
        .summary th,.summary td{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}\
        .summary td.n{text-align:right;font-variant-numeric:tabular-nums}.summary tfoot td{font-weight:600}\
        .summary tr.error td:first-child{box-shadow:inset 4px 0 #d62728}\
        .summary tr.warning td:first-child{box-shadow:inset 4px 0 #e69500}\
        ul.findings{list-style:none;margin:0;padding:0}ul.findings li.error{color:#b31b1b}\
        ul.findings li.warning{color:#9a6400}ul.findings li.info{color:#3a5f8a}.none{color:#999}\
        .owner{color:#555;font-weight:400}.chip{font-size:12px;font-weight:600;border-radius:9px;padding:1px 8px;\
        color:#fff}.chip.error{background:#d62728}.chip.warning{background:#e69500}.chip.drops{background:#8b0000}\
        .chip.ok{background:#2ca02c}.facts{color:#444;margin:2px 0 6px}section.listener{border-top:2px solid #eee;\
        margin-top:18px}svg{width:100%;height:auto;display:block}svg text{font-size:11px;fill:#333}\
        .frame{fill:none;stroke:#bbb}.grid path{stroke:#eee}.hgrid{stroke:#eee}.tick text,text.tick{font-size:10px;\
        fill:#666}.panel{font-weight:600;font-size:12px}.unit{fill:#777}.band{fill:#1f77b4;fill-opacity:.22}\
        .model{fill:none;stroke:#1f77b4;stroke-width:1.6}.kernel{fill:none;stroke:#ff7f0e;stroke-width:2.2;\
        stroke-dasharray:5 3;stroke-opacity:.9}.full{fill:none;stroke:#d62728;stroke-width:1.4;stroke-dasharray:7 4}.fullzone{fill:#d62728;fill-opacity:.07}\
        .dropstrip{fill:#d62728}.loss{fill:#8c564b}.rate{fill:none;stroke-width:1.3}.bars{fill-opacity:.55}\
        .laneback{fill:#f5f5f5}.lanelabel{text-anchor:end}.counts path{fill-opacity:.4}.marker{stroke:#fff;\
        stroke-width:.8}.marker.error{fill:#d62728}.marker.warning{fill:#e69500}.marker.info{fill:#4c78a8}\
        .histograms{display:flex;flex-wrap:wrap;gap:12px}.histogram{flex:1 1 560px;margin:8px 0}\
        .histogram figcaption{font-size:12.5px}footer{color:#666;font-size:12px;border-top:1px solid #ddd;\
        margin-top:24px}#figures-warning{background:#fdd;border:1px solid #d62728;padding:6px;margin:6px 0}
        """

    /// Marks the page as rendered, checks every shown figure against the
    /// embedded JSON, and keeps any script error in an attribute (a headless
    /// browser's test reads them from the DOM).
    static let script = """
        (function(){var root=document.documentElement,errors=[];\
        function note(){root.setAttribute('data-js-errors',String(errors.length));\
        if(errors.length)root.setAttribute('data-js-error-text',errors.join(' | '));}\
        window.addEventListener('error',function(e){errors.push(String(e.message));note();});\
        try{var figures=JSON.parse(document.getElementById('synshadow-figures').textContent),bad=[],checked=0;\
        var cells=document.querySelectorAll('[data-figure]');for(var i=0;i<cells.length;i++){\
        var path=cells[i].getAttribute('data-figure').split('.'),value=figures;\
        for(var j=0;j<path.length&&value!==undefined&&value!==null;j++)value=value[path[j]];\
        checked++;if(String(value)!==cells[i].textContent.trim())\
        bad.push(path.join('.')+' shows '+cells[i].textContent.trim()+', figures say '+value);}\
        root.setAttribute('data-figures-checked',String(checked));\
        root.setAttribute('data-figures-check',bad.length?'mismatch':'ok');\
        if(bad.length){var w=document.getElementById('figures-warning');w.hidden=false;\
        w.textContent='Figures differ from the embedded JSON: '+bad.join('; ');}}\
        catch(e){errors.push(String(e&&e.message||e));}\
        note();root.setAttribute('data-rendered','yes');})();
        """
}
