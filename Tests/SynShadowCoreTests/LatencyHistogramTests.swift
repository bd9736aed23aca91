import SynShadowCore
import Testing

/// The histogram behind handshake and accept-wait figures: inclusive upper
/// bounds, an overflow bucket, exact count and sum, bucket-bound quantiles.
@Suite struct LatencyHistogramTests {
    private let millisecond: UInt64 = 1_000_000

    @Test func boundsAreInclusiveAndSlowerGoesToOverflow() throws {
        let bounds = LatencyHistogram.upperBounds
        var histogram = LatencyHistogram()
        histogram.record(nanoseconds: bounds[0])
        histogram.record(nanoseconds: bounds[0] + 1)
        histogram.record(nanoseconds: try #require(bounds.last))
        histogram.record(nanoseconds: try #require(bounds.last) + 1)
        histogram.record(nanoseconds: .max / 4)
        #expect(histogram.counts.count == bounds.count + 1)
        #expect(histogram.counts[0] == 1)
        #expect(histogram.counts[1] == 1)
        #expect(histogram.counts[bounds.count - 1] == 1)
        #expect(histogram.counts[bounds.count] == 2)
        #expect(histogram.counts.reduce(0, +) == histogram.count)
        #expect(histogram.quantile(1) == .max)
        #expect(histogram.quantile(0) == bounds[0])
    }

    @Test func countAndSumAreExact() {
        var histogram = LatencyHistogram()
        let samples: [UInt64] = [1, 9_999, 10_001, 3 * millisecond + 7, 47 * millisecond, 12_000 * millisecond]
        for sample in samples { histogram.record(nanoseconds: sample) }
        #expect(histogram.count == UInt64(samples.count))
        #expect(histogram.sumNanoseconds == samples.reduce(0, +))
    }

    @Test func quantilesNameTheBucketOfTheRankedSample() {
        var histogram = LatencyHistogram()
        #expect(histogram.quantile(0.5) == nil)
        // 1 ms ... 100 ms: the 50th sample is 50 ms, the 99th 99 ms.
        for value in 1...100 { histogram.record(nanoseconds: UInt64(value) * millisecond) }
        #expect(histogram.quantile(0.5) == 50 * millisecond)
        #expect(histogram.quantile(0.99) == 100 * millisecond)
        #expect(histogram.quantile(0.01) == 1 * millisecond)
        #expect(histogram.quantile(0.02) == 2 * millisecond)
        #expect(histogram.quantile(0.03) == 5 * millisecond)
    }

    @Test func bucketIndexAgreesWithALinearScan() {
        var generator = SystemRandomNumberGenerator()
        let bounds = LatencyHistogram.upperBounds
        var samples: [UInt64] = bounds.flatMap { [$0 - 1, $0, $0 + 1] } + [0, .max]
        for _ in 0..<2_000 { samples.append(UInt64.random(in: 0...20_000_000_000, using: &generator)) }
        for sample in samples {
            let linear = bounds.firstIndex { sample <= $0 } ?? bounds.count
            #expect(LatencyHistogram.bucketIndex(nanoseconds: sample) == linear, "\(sample)")
        }
    }
}
