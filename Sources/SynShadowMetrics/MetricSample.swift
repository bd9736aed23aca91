/// One series' value at a snapshot, independent of the library that
/// exports it: the Prometheus and the OTLP exporters publish the same list.
public struct MetricSample: Sendable, Hashable {
    public enum Value: Sendable, Hashable {
        /// Monotonic since tracing began.
        case counter(UInt64)
        case gauge(Double)
        /// Latency histogram, on `LatencyHistogram.upperBounds`, in seconds once exported.
        case histogram(HistogramFigures)
    }

    /// Identifies the series: the metric name and its labels, in order.
    public struct Key: Sendable, Hashable {
        public var name: String
        public var labels: [MetricLabel]
    }

    public var name: String
    public var help: String
    public var labels: [MetricLabel]
    public var value: Value

    public init(name: String, help: String, labels: [MetricLabel] = [], value: Value) {
        self.name = name
        self.help = help
        self.labels = labels
        self.value = value
    }

    public var key: Key { Key(name: name, labels: labels) }
}
