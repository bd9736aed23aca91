import SynShadowCore
import Testing

@testable import SynShadowMetrics

/// The text a scrape gets is the model's exact snapshot: buckets cumulative
/// from the model's own counts, `+Inf` and `_count` its count, `_sum` its
/// exact sum, one HELP and TYPE per metric, and no label value can break a line.
struct PrometheusExpositionTests {
    static let latencies: [UInt64] = [0, 9_999, 10_000, 10_001, 15_000, 3_000_000, 999_999_999, 10_000_000_000, 10_000_000_001, 40_000_000_000]

    static func text(_ activities: [ListenerActivity], maxListeners: Int = 50) -> String {
        PrometheusExposition.render(
            MetricsCatalogue.samples(
                from: MetricsSnapshot(tier: "tracepoint", kernelRelease: "6.18", statistics: ModelStatistics(), listeners: activities),
                maxListeners: maxListeners))
    }

    /// The value on the line for `series` (name and labels as rendered).
    static func value(_ text: String, _ series: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.map { String($0.split(separator: " ").last!) }
    }

    @Test func histogramBucketsAreTheModelsCountsCumulatedExactly() {
        let activity = ListenerFoldingTests.activity(port: 80, syns: 10, latencies: Self.latencies)
        let text = Self.text([activity])
        let labels = "listener=\"127.0.0.1:80\",netns=\"4026531840\",comm=\"server\""
        var model = LatencyHistogram()
        for latency in Self.latencies { model.record(nanoseconds: latency) }
        var cumulative: UInt64 = 0
        for (index, bound) in LatencyHistogram.upperBounds.enumerated() {
            cumulative += model.counts[index]
            let le = ExactSeconds.text(nanoseconds: bound)
            #expect(Self.value(text, "synshadow_handshake_duration_seconds_bucket{\(labels),le=\"\(le)\"}") == "\(cumulative)")
        }
        #expect(Self.value(text, "synshadow_handshake_duration_seconds_bucket{\(labels),le=\"+Inf\"}") == "10")
        #expect(Self.value(text, "synshadow_handshake_duration_seconds_count{\(labels)}") == "10")
        #expect(Self.value(text, "synshadow_handshake_duration_seconds_sum{\(labels)}") == "61.003045")
        #expect(Self.value(text, "synshadow_handshake_duration_seconds_bucket{\(labels),le=\"0.00001\"}") == "3")
        #expect(Self.value(text, "synshadow_handshake_duration_seconds_bucket{\(labels),le=\"10\"}") == "8")
        #expect(Self.value(text, "synshadow_accept_wait_seconds_count{\(labels)}") == "0")
        #expect(Self.value(text, "synshadow_accept_wait_seconds_sum{\(labels)}") == "0")
    }

    @Test func everyMetricHasOneHelpAndTypeAndItsSeriesTogether() {
        let text = Self.text((0..<3).map { ListenerFoldingTests.activity(port: UInt16(80 + $0), syns: 20) })
        var seen: [String] = []
        var types: [String: String] = [:]
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                #expect(types[String(parts[2])] == nil, "TYPE twice for \(parts[2])")
                types[String(parts[2])] = String(parts[3])
                seen.append(String(parts[2]))
            } else if !line.hasPrefix("#") {
                let name = String(line.prefix { $0 != "{" && $0 != " " })
                let family = seen.last ?? ""
                #expect(name == family || name == family + "_bucket" || name == family + "_sum" || name == family + "_count")
            }
        }
        #expect(types["synshadow_syns_total"] == "counter")
        #expect(types["synshadow_accept_queue_length"] == "gauge")
        #expect(types["synshadow_handshake_duration_seconds"] == "histogram")
        #expect(text.components(separatedBy: "# HELP synshadow_syns_total ").count == 2)
        #expect(Self.value(text, "synshadow_info{tier=\"tracepoint\",kernel=\"6.18\"}") == "1.0")
    }

    @Test func aHostileProcessNameCannotForgeASeries() {
        let activity = ListenerFoldingTests.activity(port: 80, syns: 1, comm: "x\"} 1\r\nsynshadow_forged 9\n\\")
        let text = Self.text([activity])
        #expect(!text.split(separator: "\n").contains { $0.hasPrefix("synshadow_forged") })
        #expect(text.contains("comm=\"x\\\"} 1\r\\nsynshadow_forged 9\\n\\\\\"}"))
    }

    @Test(arguments: [
        (UInt64(0), "0"), (10_000, "0.00001"), (3_030_000, "0.00303"), (1_000_000_000, "1"), (10_000_000_001, "10.000000001"),
        (UInt64.max, "18446744073.709551615"),
    ])
    func secondsAreWrittenDigitForDigit(nanoseconds: UInt64, text: String) {
        #expect(ExactSeconds.text(nanoseconds: nanoseconds) == text)
    }
}
