/// Separates what an operator should act on from what says the model and the
/// kernel disagree, and from what says the model could not see: each calls for
/// a different reader (ops engineer, kernel developer, the tool's own health).
public enum FindingCategory: String, Sendable, Codable, CaseIterable {
    /// The kernel did something worth attention (drops, cookies, slow accept).
    case behaviour
    /// The kernel and the model disagree (queue mismatch, orphan, illegal transition).
    case divergence
    /// The model's own blind spots (lost or evicted events).
    case observability
}
