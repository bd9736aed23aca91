import SynShadowCore

/// An OTLP `ExportMetricsServiceRequest` (opentelemetry-proto
/// `metrics/v1`), encoded from the exact samples: counters as cumulative
/// monotonic sums of integers, gauges as gauges, the latency histograms as
/// cumulative explicit-bucket histograms whose bucket counts, count and sum
/// are the model's own (bounds in seconds, unit "s").
enum OTLPMetricsRequest {
    private enum Temporality: UInt64 {
        case cumulative = 2
    }

    /// `starts` gives each cumulative series its start time (see `CumulativeStarts`).
    static func encode(_ samples: [MetricSample], time: UInt64, start: (MetricSample) -> UInt64) -> [UInt8] {
        var request = ProtobufWriter()
        request.message(1) { resourceMetrics in
            OTLPCommon.resource(&resourceMetrics, field: 1)
            resourceMetrics.message(2) { scopeMetrics in
                OTLPCommon.scope(&scopeMetrics, field: 1)
                for family in MetricFamily.group(samples) {
                    scopeMetrics.message(2) { metric in write(family, into: &metric, time: time, start: start) }
                }
            }
        }
        return request.bytes
    }

    /// `Metric { name = 1; description = 2; unit = 3; gauge = 5 | sum = 7 | histogram = 9 }`.
    private static func write(
        _ family: MetricFamily, into metric: inout ProtobufWriter, time: UInt64, start: (MetricSample) -> UInt64
    ) {
        metric.string(1, family.name)
        metric.string(2, family.help)
        switch family.kind {
        case .gauge:
            metric.message(5) { gauge in
                for sample in family.samples { gauge.message(1) { numberPoint(sample, into: &$0, time: time, start: nil) } }
            }
        case .counter:
            metric.message(7) { sum in
                for sample in family.samples {
                    sum.message(1) { numberPoint(sample, into: &$0, time: time, start: start(sample)) }
                }
                sum.uint(2, Temporality.cumulative.rawValue)
                sum.bool(3, true)
            }
        case .histogram:
            metric.string(3, "s")
            metric.message(9) { histogram in
                for sample in family.samples {
                    histogram.message(1) { histogramPoint(sample, into: &$0, time: time, start: start(sample)) }
                }
                histogram.uint(2, Temporality.cumulative.rawValue)
            }
        }
    }

    /// `NumberDataPoint { start = 2; time = 3; as_double = 4; as_int = 6; attributes = 7 }`.
    private static func numberPoint(_ sample: MetricSample, into point: inout ProtobufWriter, time: UInt64, start: UInt64?) {
        if let start { point.fixed64(2, start) }
        point.fixed64(3, time)
        switch sample.value {
        case .counter(let value): point.sfixed64(6, Int64(clamping: value))
        case .gauge(let value): point.double(4, value)
        case .histogram: break
        }
        for label in sample.labels { OTLPCommon.attribute(&point, field: 7, key: label.name, value: label.value) }
    }

    /// `HistogramDataPoint { start = 2; time = 3; count = 4; sum = 5;
    /// bucket_counts = 6 (per bucket); explicit_bounds = 7; attributes = 9 }`.
    private static func histogramPoint(_ sample: MetricSample, into point: inout ProtobufWriter, time: UInt64, start: UInt64) {
        guard case .histogram(let figures) = sample.value else { return }
        point.fixed64(2, start)
        point.fixed64(3, time)
        point.fixed64(4, figures.count)
        point.double(5, ExactSeconds.value(nanoseconds: figures.sumNanoseconds))
        point.packedFixed64(6, figures.counts)
        point.packedDouble(7, LatencyHistogram.upperBounds.map { ExactSeconds.value(nanoseconds: $0) })
        for label in sample.labels { OTLPCommon.attribute(&point, field: 9, key: label.name, value: label.value) }
    }
}
