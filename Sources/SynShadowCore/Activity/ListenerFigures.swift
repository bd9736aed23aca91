/// One listener's figures at one instant, as plain numbers: what
/// `ShadowModel.takeListenerChanges` hands over after each step, cheap enough
/// to read per event (no strings, no allocation). `ListenerActivity` is the
/// full value (owner, per-kind findings, latency histograms).
public struct ListenerFigures: ListenerCountsReading, Sendable, Hashable {
    /// Where the model keeps the listener. A slot is reused once the model
    /// forgets a closed listener; `generation` tells its listeners apart.
    public var slot: UInt32
    public var generation: UInt32
    /// Kernel address of the listening sock (0 when never observed).
    public var id: UInt64
    /// The owner's process id, once known (0 before).
    public var pid: UInt32
    /// Queues and step counts, read as members (`figures.syns`).
    public var counts: ListenerCounts
    /// Every finding decided for the listener, all kinds together
    /// (`ShadowModel.findingCount(slot:kind:)` has them by kind).
    public var findings: UInt64

    public init(
        slot: UInt32, generation: UInt32, id: UInt64 = 0, pid: UInt32 = 0, counts: ListenerCounts = ListenerCounts(),
        findings: UInt64 = 0
    ) {
        self.slot = slot
        self.generation = generation
        self.id = id
        self.pid = pid
        self.counts = counts
        self.findings = findings
    }
}

/// What changed among the model's listeners since the last
/// `ShadowModel.takeListenerChanges`.
public enum ListenerChange: Sendable, Hashable {
    /// A listener's figures moved (a new listener appears this way first).
    case changed(ListenerFigures)
    /// The model forgot a closed listener to reuse its slot: its last
    /// figures and full activity, handed over before the slot's new listener
    /// (indirect: the change read after every event stays small to copy).
    indirect case forgotten(ListenerFigures, ListenerActivity)
}
