import Foundation

/// A median with its 95% confidence interval, free of any assumption about
/// the distribution: the interval runs between two order statistics chosen
/// so that the true median lies between them with probability >= 0.95 (the
/// sign test's binomial tail). Window ratios on a VM are skewed by bursts of
/// other work, so a mean and a normal interval would claim more than the
/// data shows.
struct MedianInterval: Equatable {
    var median: Double
    var lower: Double
    var upper: Double
    var count: Int

    init(_ values: [Double]) {
        let sorted = values.sorted()
        count = sorted.count
        guard !sorted.isEmpty else {
            (median, lower, upper) = (0, 0, 0)
            return
        }
        median = count % 2 == 1 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2
        let rank = Self.lowerRank(count: count)
        lower = sorted[rank]
        upper = sorted[count - 1 - rank]
    }

    /// The 0-based rank j of the lower bound: the largest with
    /// P(Binomial(n, 1/2) <= j) <= 0.025, so that [x(j), x(n-1-j)] covers
    /// the median with >= 95% (the sign test). With fewer than six values no
    /// rank qualifies, and the whole range (j = 0) is all there is.
    static func lowerRank(count n: Int) -> Int {
        var cumulative = 0.0
        var probability = pow(0.5, Double(n))  // P(X = 0)
        var rank = 0
        for j in 0..<max(n, 1) {
            cumulative += probability
            guard cumulative <= 0.025 else { break }
            rank = j
            probability *= Double(n - j) / Double(j + 1)
        }
        return rank
    }

    /// "0.972 [0.961, 0.985]".
    var text: String { String(format: "%.3f [%.3f, %.3f]", median, lower, upper) }
}
