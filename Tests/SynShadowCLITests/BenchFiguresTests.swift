import Testing

@testable import synshadow

/// The bench's arithmetic: the confidence interval of a median and the
/// summary a traced process prints as it detaches.
@Suite struct BenchFiguresTests {
    /// The sign test's ranks: known values of the binomial tail.
    @Test func theMediansIntervalUsesTheSignTestsRanks() {
        #expect(MedianInterval.lowerRank(count: 5) == 0)  // no rank reaches 95%: the whole range
        #expect(MedianInterval.lowerRank(count: 6) == 0)  // [x1, x6]: 96.9%
        #expect(MedianInterval.lowerRank(count: 10) == 1)  // [x2, x9]: 97.9%
        #expect(MedianInterval.lowerRank(count: 20) == 5)  // [x6, x15]: 95.9%
        #expect(MedianInterval.lowerRank(count: 30) == 9)  // [x10, x21]: 95.7%
    }

    @Test func aMedianIntervalBracketsTheMedian() {
        let values = (1...20).map(Double.init).reversed()
        let interval = MedianInterval(Array(values))
        #expect(interval.median == 10.5)
        #expect(interval.lower == 6 && interval.upper == 15)
        #expect(interval.count == 20)
        #expect(MedianInterval([]).count == 0)
        #expect(MedianInterval([0.97]).text == "0.970 [0.970, 0.970]")
    }

    /// A goal is met only when the whole interval clears it.
    @Test func aGoalIsMetOnlyByItsWholeInterval() {
        let clear = MedianInterval([0.98, 0.99, 0.975, 0.985, 0.99, 0.98])
        let straddling = MedianInterval([0.96, 0.98, 0.975, 0.985, 0.99, 0.98])
        #expect(Goal.atLeast(0.97, clear) == "met")
        #expect(Goal.atLeast(0.97, straddling) == "median met, interval reaches below")
        #expect(Goal.atLeast(0.99, straddling) == "NOT met")
    }

    @Test func theDetachSummaryGivesEventsLossAndShedLines() {
        let text = """
            synshadow: self-check: every hook of the tracepoint tier fired (1167 ms)
            synshadow: detached: 1655760 events, 42 lost (3 run(s) the kernel skipped ...), 0 filtered in the kernel, 7 findings
            synshadow: output: standard output was too slow: 120 event lines and 3 other lines shed, 0 bytes never written
            """
        let summary = ExitSummary(text)
        #expect(summary.complete)
        #expect(summary.events == 1_655_760)
        #expect(summary.lost == 42)
        #expect(summary.shedLines == 123)
        #expect(!ExitSummary("synshadow: self-check: every hook fired").complete)
    }
}
