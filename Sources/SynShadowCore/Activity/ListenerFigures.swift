/// One listener's figures at one instant, as plain numbers: what
/// `ShadowModel.takeListenerChanges` hands over after each step, cheap enough
/// to read per event (no strings, no allocation). `ListenerActivity` is the
/// full value (owner, per-kind findings, latency histograms).
public struct ListenerFigures: Sendable, Hashable {
    /// Where the model keeps the listener. A slot is reused once the model
    /// forgets a closed listener; `generation` tells its listeners apart.
    public var slot: UInt32
    public var generation: UInt32
    /// Kernel address of the listening sock (0 when never observed).
    public var id: UInt64
    /// The owner's process id, once known (0 before).
    public var pid: UInt32
    public var isOpen: Bool
    /// `sk_max_ack_backlog`, once an event has carried it.
    public var backlog: UInt32?
    /// The model's own queues.
    public var modelRequestQueue: Int
    public var modelAcceptQueue: Int
    /// The kernel's figures, from the latest event that carried them.
    public var kernelRequestQueue: Int?
    public var kernelAcceptQueue: Int?
    public var syns: UInt64
    public var handshakes: UInt64
    public var accepts: UInt64
    /// Every finding decided for the listener, all kinds together
    /// (`ShadowModel.findingCount(slot:kind:)` has them by kind).
    public var findings: UInt64

    public init(
        slot: UInt32, generation: UInt32, id: UInt64 = 0, pid: UInt32 = 0, isOpen: Bool = true,
        backlog: UInt32? = nil, modelRequestQueue: Int = 0, modelAcceptQueue: Int = 0,
        kernelRequestQueue: Int? = nil, kernelAcceptQueue: Int? = nil,
        syns: UInt64 = 0, handshakes: UInt64 = 0, accepts: UInt64 = 0, findings: UInt64 = 0
    ) {
        self.slot = slot
        self.generation = generation
        self.id = id
        self.pid = pid
        self.isOpen = isOpen
        self.backlog = backlog
        self.modelRequestQueue = modelRequestQueue
        self.modelAcceptQueue = modelAcceptQueue
        self.kernelRequestQueue = kernelRequestQueue
        self.kernelAcceptQueue = kernelAcceptQueue
        self.syns = syns
        self.handshakes = handshakes
        self.accepts = accepts
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
