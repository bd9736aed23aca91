/// Nanoseconds written as seconds in decimal, digit for digit: a bucket
/// bound or a sum is exported exactly as the model holds it, with no
/// binary floating point rounding in between (10_000 ns is "0.00001").
enum ExactSeconds {
    static func text(nanoseconds: UInt64) -> String {
        let whole = nanoseconds / 1_000_000_000
        let fraction = nanoseconds % 1_000_000_000
        guard fraction > 0 else { return String(whole) }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 9 - digits.count) + digits
        while digits.last == "0" { digits.removeLast() }
        return "\(whole).\(digits)"
    }

    static func value(nanoseconds: UInt64) -> Double { Double(nanoseconds) / 1e9 }
}
