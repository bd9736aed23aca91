/// What the model does when a new flow would exceed `maximumFlows`. Either
/// way the event is counted and the affected listener becomes uncertain:
/// memory stays bounded and nothing is dropped silently.
public enum EvictionPolicy: String, Sendable, Hashable, Codable {
    /// Forget the oldest tracked flow to make room (keeps recent traffic exact).
    case evictOldest
    /// Do not track the new flow (keeps old flows exact, e.g. for slow accepts).
    case refuseNew
}
