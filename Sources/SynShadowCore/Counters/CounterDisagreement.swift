/// One counter on which the kernel and the model disagreed for longer than
/// any delay explains: the evidence of a `counter-mismatch` finding.
public struct CounterDisagreement: Sendable, Hashable, Codable {
    /// Which way the model is wrong.
    public enum Direction: String, Sendable, Hashable, Codable {
        /// The kernel counted steps the model never accounted for, a whole
        /// interval later (a path the model or a probe does not see).
        case modelMissed = "model-missed"
        /// The model claimed steps the kernel never counted (an inference
        /// the kernel contradicts).
        case modelExceeded = "model-exceeded"
    }

    public var counter: KernelCounter
    public var direction: Direction
    /// The kernel's delta since the base reading.
    public var kernelDelta: Int64
    /// The model's count since the same base.
    public var modelCount: Int64
    /// Nanoseconds between the two readings the disagreement persisted over.
    public var interval: UInt64

    public init(counter: KernelCounter, direction: Direction, kernelDelta: Int64, modelCount: Int64, interval: UInt64) {
        self.counter = counter
        self.direction = direction
        self.kernelDelta = kernelDelta
        self.modelCount = modelCount
        self.interval = interval
    }

    private enum CodingKeys: String, CodingKey {
        case counter, direction
        case kernelDelta = "kernel_delta"
        case modelCount = "model_count"
        case interval = "interval_ns"
    }

    /// The finding an operator sees.
    public func finding(at timestamp: UInt64) -> Finding {
        let seconds = Double(interval) / 1e9
        let what: String
        switch direction {
        case .modelMissed:
            what = "the kernel counted steps the model never saw"
        case .modelExceeded:
            what = "the model claimed steps the kernel never counted"
        }
        let kind = FindingKind.counterMismatch
        var finding = Finding(
            kind: kind, timestamp: timestamp,
            explanation: "\(counter.rawValue): kernel +\(kernelDelta), model \(modelCount), still apart after a "
                + "\(String(format: "%.1f", seconds)) s interval: \(what); \(kind.action)")
        finding.counters = [counter]
        finding.counterEvidence = self
        return finding
    }
}
