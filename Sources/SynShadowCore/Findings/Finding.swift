/// One typed finding: what happened (a stable id from the catalogue), where
/// (listener and flow), on which evidence, which kernel counter should have
/// moved, and one line a person can act on.
public struct Finding: Sendable, Hashable {
    public var kind: FindingKind
    public var severity: FindingSeverity
    /// The step of the passive open where the model noticed it.
    public var step: HandshakeStep
    /// Event time (CLOCK_MONOTONIC ns) of the decision: findings replay identically.
    public var timestamp: UInt64
    public var listener: ListenerSummary?
    public var flow: FlowSummary?
    public var evidence: [Evidence]
    public var counters: [KernelCounter]
    public var explanation: String
    /// For `counter-mismatch`: the counter, both counts and the interval
    /// (its evidence is /proc, not kernel events).
    public var counterEvidence: CounterDisagreement?

    /// The stable string id (`syn-dropped-accept-queue-full`, `queue-mismatch`, ...).
    public var id: String { kind.identifier }
    public var category: FindingCategory { kind.category }

    public init(
        kind: FindingKind, step: HandshakeStep? = nil, timestamp: UInt64, listener: ListenerSummary? = nil,
        flow: FlowSummary? = nil, evidence: [Evidence] = [], explanation: String
    ) {
        self.kind = kind
        self.severity = kind.severity
        self.step = step ?? kind.step
        self.timestamp = timestamp
        self.listener = listener
        self.flow = flow
        self.evidence = evidence
        self.counters = kind.counters
        self.explanation = explanation
    }
}

extension Finding: Codable {
    private enum CodingKeys: String, CodingKey {
        case id, category, severity, step, timestamp, listener, flow, evidence, counters, explanation
        case counterEvidence = "counter_evidence"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decode(FindingKind.self, forKey: .id)
        severity = try container.decode(FindingSeverity.self, forKey: .severity)
        step = try container.decode(HandshakeStep.self, forKey: .step)
        timestamp = try container.decode(UInt64.self, forKey: .timestamp)
        listener = try container.decodeIfPresent(ListenerSummary.self, forKey: .listener)
        flow = try container.decodeIfPresent(FlowSummary.self, forKey: .flow)
        evidence = try container.decode([Evidence].self, forKey: .evidence)
        counters = try container.decode([KernelCounter].self, forKey: .counters)
        explanation = try container.decode(String.self, forKey: .explanation)
        counterEvidence = try container.decodeIfPresent(CounterDisagreement.self, forKey: .counterEvidence)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .id)
        try container.encode(kind.category, forKey: .category)
        try container.encode(severity, forKey: .severity)
        try container.encode(step, forKey: .step)
        try container.encode(timestamp, forKey: .timestamp)
        try container.encodeIfPresent(listener, forKey: .listener)
        try container.encodeIfPresent(flow, forKey: .flow)
        try container.encode(evidence, forKey: .evidence)
        try container.encode(counters, forKey: .counters)
        try container.encode(explanation, forKey: .explanation)
        try container.encodeIfPresent(counterEvidence, forKey: .counterEvidence)
    }
}
