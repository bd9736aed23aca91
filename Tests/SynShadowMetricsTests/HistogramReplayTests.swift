import SynShadowCore
import SynShadowMetrics
import Testing

/// The observations replayed into a metrics library's histogram land in the
/// model's buckets, as many as the model counted, adding up to its sum.
struct HistogramReplayTests {
    /// Re-records the replayed runs, the way the exporters do.
    static func replayed(_ runs: [HistogramReplay.Run]) -> LatencyHistogram {
        var histogram = LatencyHistogram()
        for run in runs { for _ in 0..<run.repeats { histogram.record(nanoseconds: run.nanoseconds) } }
        return histogram
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func growthReplaysToTheExactBucketsCountAndSum(seed: UInt64) {
        var random = seed &* 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return random >> 11
        }
        var model = LatencyHistogram()
        var earlier: HistogramFigures?
        for _ in 0..<5 {
            for _ in 0..<(next() % 200) {
                // Latencies over every bucket, from 0 ns to past the last bound.
                let magnitude = next() % 12
                var bound: UInt64 = 1
                for _ in 0..<magnitude { bound *= 10 }
                model.record(nanoseconds: next() % (bound * 3 + 1))
            }
            let later = HistogramFigures(model)
            let replay = Self.replayed(HistogramReplay.runs(from: earlier, to: later))
            let base = earlier ?? .empty
            #expect(replay.count == later.count - base.count)
            #expect(replay.sumNanoseconds == later.sumNanoseconds - base.sumNanoseconds)
            #expect(replay.counts == zip(later.counts, base.counts).map { $0 - $1 })
            earlier = later
        }
    }

    @Test func atMostThreeRunsPerBucket() {
        var model = LatencyHistogram()
        for value in stride(from: UInt64(0), to: 2_000_000_000, by: 997) { model.record(nanoseconds: value) }
        let runs = HistogramReplay.runs(from: nil, to: HistogramFigures(model))
        #expect(runs.count <= 3 * model.counts.filter { $0 > 0 }.count)
        #expect(Self.replayed(runs).counts == model.counts)
        #expect(Self.replayed(runs).sumNanoseconds == model.sumNanoseconds)
    }

    @Test func aHistogramThatShrankReplaysFromEmpty() {
        var small = LatencyHistogram()
        small.record(nanoseconds: 50_000)
        var large = small
        large.record(nanoseconds: 7_000_000)
        let replay = Self.replayed(HistogramReplay.runs(from: HistogramFigures(large), to: HistogramFigures(small)))
        #expect(replay == small)
    }
}
