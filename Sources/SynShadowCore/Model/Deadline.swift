/// A decision the model owes a flow at a point in event time. `generation`
/// ties it to the flow's state when it was scheduled: any later step bumps the
/// flow's generation, so a stale deadline is skipped instead of searched for.
struct Deadline {
    var slot: UInt32
    var generation: UInt32
    var due: UInt64
}
