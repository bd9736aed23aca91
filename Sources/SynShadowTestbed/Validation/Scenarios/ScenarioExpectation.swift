import SynShadowCore

/// What a scenario provokes on purpose, declared from the traffic it sends
/// and the kernel's rules, never from the model: the findings the oracle
/// must report, the counter deltas the kernel must show, and the counters
/// exact enough here to hold the findings' own counter claims against.
struct ScenarioExpectation {
    /// Finding kind -> count; kinds not listed must not be reported.
    var findings: [FindingKind: Int] = [:]
    /// Behaviour findings the kernel may legitimately add under load (never
    /// a divergence): reported in the row, not held against it.
    var tolerated: Set<FindingKind> = []
    /// nstat name -> delta the traffic must cause (0: must not move).
    var counters: [String: Int64] = [:]
    /// Counters that move exactly once per finding claiming them in this
    /// scenario; the others also move for other reasons (or per timer, per
    /// child) and would compare apples with pears.
    var comparedCounters: [KernelCounter] = []

    /// The findings as the verdict table names them.
    var findingIDs: [String: Int] {
        Dictionary(uniqueKeysWithValues: findings.filter { $0.value > 0 }.map { ($0.key.identifier, $0.value) })
    }
}
