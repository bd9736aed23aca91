/// Wrong counts the cross-check can be told on purpose (the hidden
/// `trace --counters-fault`): a check that cannot fire proves nothing.
public enum CounterFault: String, Sendable, CaseIterable {
    /// The model is credited with three children it never saw (first base only).
    case skewPassiveOpens = "skew-passive-opens"

    /// What the fault adds to the model's side.
    var skew: CounterClaims {
        var claims = CounterClaims()
        switch self {
        case .skewPassiveOpens: claims.add(.passiveOpens, count: 3)
        }
        return claims
    }
}
