/// Formats milliseconds with one decimal ("12.3") for explanations, without
/// Foundation: findings are built inside the model.
func formatMilliseconds(_ value: Double) -> String {
    let tenths = Int64((value * 10).rounded())
    return "\(tenths / 10).\(abs(tenths % 10))"
}
