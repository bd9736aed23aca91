/// How often the model says each kernel counter should have moved: one per
/// counter a finding's kernel path increments, plus the model's own counts
/// (children seen). The validation suite and `trace --counters` hold the
/// same tally against the kernel's deltas.
public struct CounterClaims: Sendable, Hashable {
    private var counts: [KernelCounter: Int64] = [:]

    public init() {}

    /// The claims of these findings, each counted once per counter it names.
    public init(_ findings: some Sequence<Finding>) {
        for finding in findings {
            for counter in finding.counters { add(counter) }
        }
    }

    public subscript(counter: KernelCounter) -> Int64 { counts[counter] ?? 0 }

    public mutating func add(_ counter: KernelCounter, count: Int64 = 1) {
        counts[counter, default: 0] += count
    }

    /// The claims of one finding kind's kernel path.
    public mutating func add(_ kind: FindingKind) {
        for counter in kind.counters { add(counter) }
    }

    public static func + (left: CounterClaims, right: CounterClaims) -> CounterClaims {
        var sum = left
        for (counter, count) in right.counts { sum.add(counter, count: count) }
        return sum
    }
}
