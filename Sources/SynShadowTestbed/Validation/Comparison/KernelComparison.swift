/// The same scenario suite run on several kernels, row by row: what a kernel
/// developer asks of a patch ("did it change what the kernel does, and
/// where?"). The first kernel is the baseline. Pure: it reads verdict rows,
/// so it compares runs from guests, the host or saved `--json` files alike.
public struct KernelComparison: Sendable {
    public var runs: [KernelRun]
    public private(set) var rows: [ComparisonRow] = []

    public init(runs: [KernelRun]) {
        self.runs = runs
        var keys: [RowKey] = []
        var seen: Set<RowKey> = []
        for run in runs {
            for record in run.records where seen.insert(RowKey(record)).inserted { keys.append(RowKey(record)) }
        }
        let indexed = runs.map { run in
            Dictionary(run.records.map { (RowKey($0), $0) }, uniquingKeysWith: { first, _ in first })
        }
        rows = keys.map { key in
            ComparisonRow(scenario: key.scenario, tier: key.tier, cells: indexed.map { $0[key] })
        }
    }

    /// Every behaviour that differs between kernels, baseline's order.
    public var differences: [BehaviourDifference] { rows.flatMap(\.differences) }

    /// Rows a later kernel FAILs where the baseline did not: the model calls
    /// the later kernel's behaviour a divergence that the baseline lacks.
    public var divergences: [(row: ComparisonRow, kernel: Int)] {
        rows.flatMap { row in
            row.cells.indices.dropFirst().filter { index in
                row.cells[index]?.failed == true && row.cells[0]?.failed != true
            }.map { (row, $0) }
        }
    }

    /// Rows the baseline itself FAILs: nothing else is vouched for there.
    public var baselineFailures: [ComparisonRow] {
        rows.filter { $0.cells.first??.failed == true }
    }

    /// Whether any kernel passed any row at all.
    public var anythingValidated: Bool {
        rows.contains { $0.cells.contains { $0?.verdict == "PASS" } }
    }

    /// The differences gathered by behaviour: one group per aspect that
    /// splits the kernels the same way ("6.1 | 6.12, host") in every row it
    /// differs in, so one cause reads as one line, not one per row.
    public var behaviourGroups: [BehaviourGroup] {
        var groups: [BehaviourGroup] = []
        for difference in differences {
            let split = partition(of: difference)
            if let index = groups.firstIndex(where: {
                $0.aspect == difference.aspect && $0.partition == split && $0.predicted == difference.predicted
            }) {
                groups[index].differences.append(difference)
            } else {
                groups.append(
                    BehaviourGroup(
                        aspect: difference.aspect, partition: split, predicted: difference.predicted,
                        differences: [difference]))
            }
        }
        return groups
    }

    /// "first SYN dropped: 6.12 | mutant in 3 rows: accept-overflow-keep,
    /// accept-overflow-abort, accept-overflow-abort-ipv6 [fentry]; e.g.
    /// accept-overflow-keep [fentry]: accept queue 3/2, request queue 0 on
    /// 6.12; accept queue 2/2, request queue 1 on mutant".
    public func sentence(for group: BehaviourGroup) -> String {
        var scenarios: [String] = []
        var tiers: [String] = []
        for difference in group.differences {
            if !scenarios.contains(difference.scenario) { scenarios.append(difference.scenario) }
            if !tiers.contains(difference.tier) { tiers.append(difference.tier) }
        }
        let rows = group.differences.count == 1 ? "1 row" : "\(group.differences.count) rows"
        let predicted = group.predicted ? " (as the scenario expects on each kernel)" : ""
        return "\(group.aspect): \(group.partition) in \(rows)\(predicted): \(scenarios.joined(separator: ", "))"
            + " [\(tiers.joined(separator: ", "))]; e.g. " + sentence(for: group.differences[0], qualified: false)
    }

    /// "accept-queue-overflow [fentry]: first SYN dropped: accept queue 2/2 on
    /// mutant; 3/2 on 6.12": one sentence per difference, kernels named.
    public func sentence(for difference: BehaviourDifference, qualified: Bool = true) -> String {
        let values = valueGroups(of: difference).map { "\($0.value) on \($0.kernels.joined(separator: ", "))" }
            .joined(separator: "; ")
        guard qualified else { return "\(difference.scenario) [\(difference.tier)]: \(values)" }
        let predicted = difference.predicted ? " (as the scenario expects on each kernel)" : ""
        return "\(difference.scenario) [\(difference.tier)]: \(difference.aspect): \(values)\(predicted)"
    }

    /// The kernels that agree, grouped: "6.1 | 6.12, host".
    private func partition(of difference: BehaviourDifference) -> String {
        valueGroups(of: difference).map { $0.kernels.joined(separator: ", ") }.joined(separator: " | ")
    }

    private func valueGroups(of difference: BehaviourDifference) -> [(value: String, kernels: [String])] {
        var groups: [(value: String, kernels: [String])] = []
        for (index, value) in difference.values.enumerated() {
            guard let value else { continue }
            if let group = groups.firstIndex(where: { $0.value == value }) {
                groups[group].kernels.append(runs[index].label)
            } else {
                groups.append((value, [runs[index].label]))
            }
        }
        return groups
    }

    private struct RowKey: Hashable {
        var scenario: String
        var tier: String

        init(_ record: VerdictRecord) {
            scenario = record.scenario
            tier = record.tier
        }
    }
}

/// One kernel's run of the suite: the name the user gave it and its rows.
public struct KernelRun: Sendable {
    /// What the user called it: "6.1", "host", a tree's or image's name.
    public var label: String
    public var records: [VerdictRecord]

    public init(label: String, records: [VerdictRecord]) {
        self.label = label
        self.records = records
    }

    /// `uname -r` of the kernel the rows came from.
    public var release: String { records.first?.kernel ?? "?" }
}

/// One scenario under one tier, on each kernel (nil where it did not run:
/// the tier is not offered there).
public struct ComparisonRow: Sendable {
    public var scenario: String
    public var tier: String
    public var cells: [VerdictRecord?]

    /// What differs between the kernels that ran this row. A load scenario's
    /// figures follow timing, so only its verdict is held against another's;
    /// a scripted row's counters only where the scenario decides them.
    public var differences: [BehaviourDifference] {
        let present = cells.compactMap { $0 }
        guard present.count > 1 else { return [] }
        var found: [BehaviourDifference] = []
        func compare(_ aspect: String, predicted: Bool = false, _ value: (VerdictRecord) -> String?) {
            let values = cells.map { $0.map { value($0) ?? "none" } }
            if Set(values.compactMap { $0 }).count > 1 {
                found.append(
                    BehaviourDifference(scenario: scenario, tier: tier, aspect: aspect, values: values, predicted: predicted))
            }
        }
        compare("verdict") { $0.verdict }
        guard present.allSatisfy(\.exact) else { return found }
        let findingIDs = Set(present.flatMap { Array($0.observed.keys) + Array($0.expected.keys) }).sorted()
        for id in findingIDs {
            // Said only where every kernel passed: a row that could not run
            // expected nothing and observed nothing, which predicts nothing.
            let predicted = present.allSatisfy {
                $0.verdict == "PASS" && ($0.observed[id] ?? 0) == ($0.expected[id] ?? 0)
            }
            compare(id, predicted: predicted) { "×\($0.observed[id] ?? 0)" }
        }
        // Only counters every kernel's row says its traffic decides.
        let counters = present.dropFirst().reduce(Set(present[0].exactCounters)) { $0.intersection($1.exactCounters) }
            .sorted()
        for counter in counters {
            compare(counter.replacingOccurrences(of: "TcpExt", with: "")) { "+\($0.counters[counter] ?? 0)" }
        }
        for behaviour in Set(present.flatMap { $0.observations.keys }).sorted() {
            compare(behaviour) { $0.observations[behaviour] }
        }
        return found
    }

    public var differs: Bool { !differences.isEmpty }
}

/// Differences of one aspect that split the kernels the same way.
public struct BehaviourGroup: Sendable {
    public var aspect: String
    /// "6.1 | 6.12, host": kernels that agree, separated by bars.
    public var partition: String
    public var predicted: Bool
    public var differences: [BehaviourDifference]
}

/// One aspect of a row (its verdict, a finding's count, a counter, a
/// measured behaviour) whose value is not the same on every kernel.
public struct BehaviourDifference: Sendable, Equatable {
    public var scenario: String
    public var tier: String
    public var aspect: String
    /// Per kernel, in the comparison's order; nil where the row did not run.
    public var values: [String?]
    /// Each kernel reported what the scenario expects of that kernel (its
    /// version decides, e.g. whether drops name their socket).
    public var predicted: Bool
}
