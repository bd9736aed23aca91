import SynShadowCore
import SynShadowMetrics
import Testing

/// What a scrape shows across snapshots: the model's cumulative figures,
/// including after listeners move in and out of `other`.
struct PrometheusMirrorTests {
    static func snapshot(_ listeners: [ListenerActivity]) -> MetricsSnapshot {
        MetricsSnapshot(tier: "tracepoint", kernelRelease: "6.18", statistics: ModelStatistics(), listeners: listeners)
    }

    /// The value on the exposition line for `series` (name and labels as rendered).
    static func value(_ text: String, _ series: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.map { String($0.split(separator: " ").last!) }
    }

    @Test func successiveSnapshotsShowTheModelsFiguresAndFoldingMayResetOther() {
        let mirror = PrometheusMirror()
        let a = ListenerFoldingTests.activity(port: 80, syns: 10, latencies: [15_000, 15_000, 3_000_000])
        let b = ListenerFoldingTests.activity(port: 81, syns: 4)
        let c = ListenerFoldingTests.activity(port: 82, syns: 2)
        let labels = { (port: Int) in "{listener=\"127.0.0.1:\(port)\",netns=\"4026531840\",comm=\"server\"}" }
        let other = "{listener=\"other\",netns=\"\",comm=\"\"}"

        mirror.update(MetricsCatalogue.samples(from: Self.snapshot([a, b, c]), maxListeners: 1))
        var text = mirror.render()
        #expect(Self.value(text, "synshadow_syns_total" + labels(80)) == "10")
        #expect(Self.value(text, "synshadow_syns_total" + other) == "6")
        #expect(Self.value(text, "synshadow_listeners_folded") == "2.0")
        let bucket = { (le: String) in "synshadow_handshake_duration_seconds_bucket" + labels(80).dropLast() + ",le=\"\(le)\"}" }
        #expect(Self.value(text, bucket("0.00001")) == "0")
        #expect(Self.value(text, bucket("0.00002")) == "2")
        #expect(Self.value(text, bucket("0.005")) == "3")
        #expect(Self.value(text, "synshadow_handshake_duration_seconds_count" + labels(80)) == "3")
        #expect(Self.value(text, "synshadow_handshake_duration_seconds_sum" + labels(80)) == "0.00303")

        // Port 81 overtakes 80: it gets its own series, and `other` goes down (a reset).
        let busier = ListenerFoldingTests.activity(port: 81, syns: 40)
        mirror.update(MetricsCatalogue.samples(from: Self.snapshot([a, busier, c]), maxListeners: 1))
        text = mirror.render()
        #expect(Self.value(text, "synshadow_syns_total" + labels(81)) == "40")
        #expect(Self.value(text, "synshadow_syns_total" + other) == "12")
        #expect(Self.value(text, "synshadow_syns_total" + labels(80)) == nil, "a folded listener's own series goes")
        #expect(Self.value(text, "synshadow_handshake_duration_seconds_count" + other) == "3")

        // Growth from there is added, not re-counted.
        let grown = ListenerFoldingTests.activity(port: 82, syns: 5)
        mirror.update(MetricsCatalogue.samples(from: Self.snapshot([a, busier, grown]), maxListeners: 1))
        text = mirror.render()
        #expect(Self.value(text, "synshadow_syns_total" + other) == "15")
        #expect(Self.value(text, "synshadow_info{tier=\"tracepoint\",kernel=\"6.18\"}") == "1.0")
    }
}
