import SynShadowCore
import Testing

@testable import SynShadowMetrics

/// The OTLP requests, read back by field number as opentelemetry-proto
/// defines them: the exact snapshot as cumulative sums, gauges and
/// explicit-bucket histograms, and findings as log records.
struct OTLPRequestTests {
    static func samples(_ activities: [ListenerActivity]) -> [MetricSample] {
        MetricsCatalogue.samples(
            from: MetricsSnapshot(tier: "tracepoint", kernelRelease: "6.18", statistics: ModelStatistics(), listeners: activities),
            maxListeners: 50)
    }

    /// The `Metric` messages of an `ExportMetricsServiceRequest`, by name; and its resource's attributes.
    static func metrics(_ bytes: [UInt8]) throws -> (metrics: [String: ProtobufMessage], resource: [String: String]) {
        let request = try ProtobufMessage(bytes)
        let resourceMetrics = try #require(try request.message(1))
        let resource = try #require(try resourceMetrics.message(1)).attributes(1)
        let scopeMetrics = try #require(try resourceMetrics.message(2))
        #expect(try scopeMetrics.message(1)?.string(1) == "synshadow")
        var metrics: [String: ProtobufMessage] = [:]
        for metric in try scopeMetrics.messages(2) {
            let name = try #require(metric.string(1))
            #expect(metrics[name] == nil, "\(name) is one Metric with all its series")
            metrics[name] = metric
        }
        return (metrics, resource)
    }

    @Test func countersGaugesAndHistogramsAreTheSnapshotsExactFigures() throws {
        let latencies = PrometheusExpositionTests.latencies
        let activity = ListenerFoldingTests.activity(port: 80, syns: 10, latencies: latencies)
        let samples = Self.samples([activity])
        let (metrics, resource) = try Self.metrics(OTLPMetricsRequest.encode(samples, time: 2_000, start: { _ in 1_000 }))
        #expect(resource == ["service.name": "synshadow"])
        #expect(Set(metrics.keys) == Set(samples.map(\.name)))

        let syns = try #require(try metrics["synshadow_syns_total"]?.message(7), "a counter is a Sum")
        #expect(syns.uint(2) == 2, "cumulative")
        #expect(syns.uint(3) == 1, "monotonic")
        let point = try #require(try syns.message(1))
        #expect(point.uint(6) == 10, "as_int")
        #expect(point.uint(2) == 1_000 && point.uint(3) == 2_000)
        #expect(try point.attributes(7) == ["listener": "127.0.0.1:80", "netns": "4026531840", "comm": "server"])

        let backlog = try #require(try metrics["synshadow_accept_queue_backlog"]?.message(5), "a gauge is a Gauge")
        #expect(try backlog.message(1)?.double(4) == 128)

        let histogramMetric = try #require(metrics["synshadow_handshake_duration_seconds"])
        #expect(histogramMetric.string(3) == "s")
        #expect(histogramMetric.string(2) == "SYN seen to child created, per handshake.")
        let histogram = try #require(try histogramMetric.message(9))
        #expect(histogram.uint(2) == 2, "cumulative")
        let data = try #require(try histogram.message(1))
        var model = LatencyHistogram()
        for latency in latencies { model.record(nanoseconds: latency) }
        #expect(data.uint(4) == model.count)
        #expect(data.double(5) == Double(model.sumNanoseconds) / 1e9)
        #expect(data.packed(6) == model.counts, "per bucket, not cumulative, overflow bucket last")
        #expect(data.packed(7).map { Double(bitPattern: $0) } == LatencyHistogram.upperBounds.map { Double($0) / 1e9 })
        #expect(try data.attributes(9)["listener"] == "127.0.0.1:80")
    }

    @Test func aFigureThatWentDownStartsItsSeriesAgain() {
        var starts = CumulativeStarts(origin: 100)
        let key = { (value: UInt64) in MetricSample(name: "synshadow_syns_total", help: "", value: .counter(value)) }
        #expect(starts.starts(for: [key(5)], time: 200)[key(5).key] == 100)
        #expect(starts.starts(for: [key(9)], time: 300)[key(9).key] == 100, "growth keeps the start")
        #expect(starts.starts(for: [key(4)], time: 400)[key(4).key] == 300, "a reset starts after the last export")
        #expect(starts.starts(for: [key(6)], time: 500)[key(6).key] == 300)
        var small = HistogramFigures.empty
        small.counts[0] = 1
        small.count = 1
        let histogram = { (figures: HistogramFigures) in MetricSample(name: "h", help: "", value: .histogram(figures)) }
        var large = small
        large.counts[3] = 1
        large.count = 2
        _ = starts.starts(for: [histogram(large)], time: 600)
        #expect(starts.starts(for: [histogram(small)], time: 700)[histogram(small).key] == 600)
    }

    @Test func findingsAreLogRecordsWithTheirSeverityBodyAndAttributes() throws {
        var record = FindingLogRecord(
            Finding(
                kind: .synDroppedAcceptQueueFull, timestamp: 1,
                listener: ListenerFoldingTests.activity(port: 80, syns: 1).listener, explanation: "SYN dropped"),
            observedNanoseconds: 42)
        record.attributes["flow"] = "127.0.0.1:5000 -> 127.0.0.1:80"
        let request = try ProtobufMessage(OTLPLogsRequest.encode([record, record]))
        let resourceLogs = try #require(try request.message(1))
        #expect(try resourceLogs.message(1)?.attributes(1) == ["service.name": "synshadow"])
        let logs = try #require(try resourceLogs.message(2)).messages(2)
        #expect(logs.count == 2)
        let log = try #require(logs.first)
        #expect(log.uint(1) == 42 && log.uint(11) == 42)
        #expect(log.uint(2) == 13 && log.string(3) == "WARN")
        #expect(try log.message(5)?.string(1) == "SYN dropped")
        let attributes = try log.attributes(6)
        #expect(attributes["id"] == "syn-dropped-accept-queue-full")
        #expect(attributes["listener"] == "127.0.0.1:80")
        #expect(attributes["category"] == "behaviour")
        #expect(attributes["flow"] == "127.0.0.1:5000 -> 127.0.0.1:80")
    }
}
