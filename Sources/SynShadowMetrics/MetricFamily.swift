/// The samples of one metric name, in the order they were listed: both
/// exposition formats write a metric's help, type and unit once, then its
/// series.
struct MetricFamily {
    enum Kind {
        case counter, gauge, histogram
    }

    var name: String
    var help: String
    var kind: Kind
    var samples: [MetricSample]

    /// Groups `samples` by name; families in order of first appearance.
    static func group(_ samples: [MetricSample]) -> [MetricFamily] {
        var families: [MetricFamily] = []
        var index: [String: Int] = [:]
        for sample in samples {
            if let position = index[sample.name] {
                families[position].samples.append(sample)
            } else {
                index[sample.name] = families.count
                families.append(MetricFamily(name: sample.name, help: sample.help, kind: Kind(sample.value), samples: [sample]))
            }
        }
        return families
    }
}

extension MetricFamily.Kind {
    init(_ value: MetricSample.Value) {
        switch value {
        case .counter: self = .counter
        case .gauge: self = .gauge
        case .histogram: self = .histogram
        }
    }
}
