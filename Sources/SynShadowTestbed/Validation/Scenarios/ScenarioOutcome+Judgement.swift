import SynShadowCore

extension ScenarioOutcome {
    /// Holds the oracle's findings and the kernel's counters against what the
    /// scenario declared, and the findings' counter claims against the
    /// kernel: each disagreement becomes one readable failure. `racedClaims`
    /// are what the model's undecidable verdicts may have moved: the kernel
    /// may be anywhere from the findings' claims to those plus these.
    mutating func judge(
        _ findings: [Finding], racedClaims: CounterClaims = CounterClaims(), against expectation: ScenarioExpectation,
        lostEvents: UInt64, lossDetail: String = ""
    ) {
        expectedFindings = expectation.findingIDs
        exactCounters = Set(expectation.counters.keys).union(expectation.comparedCounters.map(\.rawValue))
        observedFindings = findings.countsByID
        for id in Set(expectedFindings.keys).union(observedFindings.keys).sorted() {
            let expected = expectedFindings[id] ?? 0
            let observed = observedFindings[id] ?? 0
            guard expected != observed else { continue }
            if expected == 0, let kind = FindingKind(identifier: id), expectation.tolerated.contains(kind),
                kind.category == .behaviour
            {
                continue
            }
            guard let example = findings.first(where: { $0.id == id }) else {
                failures.append("\(id): expected \(expected), the model reported none")
                continue
            }
            let evidence = example.evidence.map(\.summary).joined(separator: ", ")
            failures.append(
                "\(id): expected \(expected), the model reported \(observed),"
                    + " e.g. \"\(example.explanation)\" [\(evidence)]")
        }
        for (name, expected) in expectation.counters.sorted(by: { $0.key < $1.key }) {
            let moved = counterDeltas[name] ?? 0
            require(moved == expected, "kernel \(name) moved \(moved), the traffic should move it \(expected)")
        }
        let claims = CounterClaims(findings)
        for counter in expectation.comparedCounters {
            let claimed = claims[counter]
            let raced = racedClaims[counter]
            let moved = counterDeltas[counter.rawValue] ?? 0
            require(
                claimed <= moved && moved <= claimed + raced,
                "\(counter.rawValue): kernel +\(moved), the model's findings claim \(claimed)"
                    + (raced > 0 ? " and \(raced) undecidable verdict(s) may have moved it" : ""))
        }
        self.lostEvents = lostEvents
        require(lostEvents == 0, "\(lostEvents) events lost while the scenario ran" + (lossDetail.isEmpty ? "" : ": kernel side \(lossDetail)"))
    }
}

extension Evidence {
    /// "ack@cgroupSkbIngress t=123456789 ackq 3/2 reqq 1": one piece of evidence in a reason.
    var summary: String {
        let figures = queues.map { " ackq \($0.acceptQueue)/\($0.acceptQueueLimit) reqq \($0.requestQueue)" } ?? ""
        return "\(kind.name)@\(hook.name) t=\(timestamp)\(figures)"
    }
}
