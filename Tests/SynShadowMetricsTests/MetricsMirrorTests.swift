import SynShadowCore
import Testing

@testable import SynShadowMetrics

/// What a scrape shows across snapshots: always the latest snapshot's
/// cumulative figures, including after listeners move in and out of `other`.
struct MetricsMirrorTests {
    static func snapshot(_ listeners: [ListenerActivity]) -> MetricsSnapshot {
        MetricsSnapshot(tier: "tracepoint", kernelRelease: "6.18", statistics: ModelStatistics(), listeners: listeners)
    }

    @Test func successiveSnapshotsShowTheModelsFiguresAndFoldingMayResetOther() {
        let mirror = MetricsMirror(maxListeners: 1)
        let render = { PrometheusExposition.render(mirror.samples()) }
        let value = PrometheusExpositionTests.value
        let a = ListenerFoldingTests.activity(port: 80, syns: 10, latencies: [15_000, 15_000, 3_000_000])
        let b = ListenerFoldingTests.activity(port: 81, syns: 4)
        let c = ListenerFoldingTests.activity(port: 82, syns: 2)
        let labels = { (port: Int) in "{listener=\"127.0.0.1:\(port)\",netns=\"4026531840\",comm=\"server\"}" }
        let other = "{listener=\"other\",netns=\"\",comm=\"\"}"

        mirror.hand(Self.snapshot([a, b, c]))
        var text = render()
        #expect(value(text, "synshadow_syns_total" + labels(80)) == "10")
        #expect(value(text, "synshadow_syns_total" + other) == "6")
        #expect(value(text, "synshadow_listeners_folded") == "2.0")
        let bucket = { (le: String) in "synshadow_handshake_duration_seconds_bucket" + labels(80).dropLast() + ",le=\"\(le)\"}" }
        #expect(value(text, bucket("0.00001")) == "0")
        #expect(value(text, bucket("0.00002")) == "2")
        #expect(value(text, bucket("0.005")) == "3")
        #expect(value(text, "synshadow_handshake_duration_seconds_count" + labels(80)) == "3")
        #expect(value(text, "synshadow_handshake_duration_seconds_sum" + labels(80)) == "0.00303")
        #expect(render() == text, "no new snapshot, the same figures")

        // Port 81 overtakes 80: it gets its own series, and `other` goes down (a reset).
        let busier = ListenerFoldingTests.activity(port: 81, syns: 40)
        mirror.hand(Self.snapshot([a, busier, c]))
        text = render()
        #expect(value(text, "synshadow_syns_total" + labels(81)) == "40")
        #expect(value(text, "synshadow_syns_total" + other) == "12")
        #expect(value(text, "synshadow_syns_total" + labels(80)) == nil, "a folded listener's own series goes")
        #expect(value(text, "synshadow_handshake_duration_seconds_count" + other) == "3")

        let grown = ListenerFoldingTests.activity(port: 82, syns: 5)
        mirror.hand(Self.snapshot([a, busier, grown]))
        text = render()
        #expect(value(text, "synshadow_syns_total" + other) == "15")
    }

    @Test func theExportersOwnFiguresFollowTheSnapshots() {
        let mirror = MetricsMirror(maxListeners: 1) {
            [MetricSample(name: "synshadow_otlp_export_failures_total", help: "h", labels: [MetricLabel("signal", "metrics")], value: .counter(7))]
        }
        #expect(mirror.samples().map(\.name) == ["synshadow_otlp_export_failures_total"])
        mirror.hand(Self.snapshot([]))
        #expect(mirror.samples().first?.name == "synshadow_info")
        #expect(mirror.samples().last?.value == .counter(7))
    }
}
