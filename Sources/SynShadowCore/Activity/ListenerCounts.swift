/// The figures every view of a listener shares: its queues as the model and
/// the kernel see them, and its monotonic step counts. Defined once, held by
/// both `ListenerFigures` (per event, no allocation) and `ListenerActivity`
/// (the full snapshot), which read them as their own members.
public struct ListenerCounts: Sendable, Hashable {
    /// False once the listener closed (kept until the model forgets it).
    public var isOpen: Bool
    /// `sk_max_ack_backlog`, once an event has carried it.
    public var backlog: UInt32?
    /// The model's own queues: request socks awaiting the ACK, children awaiting accept().
    public var modelRequestQueue: Int
    public var modelAcceptQueue: Int
    /// The kernel's figures, from the latest event that carried them.
    public var kernelRequestQueue: Int?
    public var kernelAcceptQueue: Int?
    /// SYNs that reached the listener.
    public var syns: UInt64
    /// Children created (handshakes completed).
    public var handshakes: UInt64
    /// Children handed to the application by accept().
    public var accepts: UInt64

    public init(
        isOpen: Bool = true, backlog: UInt32? = nil, modelRequestQueue: Int = 0, modelAcceptQueue: Int = 0,
        kernelRequestQueue: Int? = nil, kernelAcceptQueue: Int? = nil,
        syns: UInt64 = 0, handshakes: UInt64 = 0, accepts: UInt64 = 0
    ) {
        self.isOpen = isOpen
        self.backlog = backlog
        self.modelRequestQueue = modelRequestQueue
        self.modelAcceptQueue = modelAcceptQueue
        self.kernelRequestQueue = kernelRequestQueue
        self.kernelAcceptQueue = kernelAcceptQueue
        self.syns = syns
        self.handshakes = handshakes
        self.accepts = accepts
    }
}

/// A view of a listener that holds its `ListenerCounts` and reads (and
/// writes) them as its own members: `figures.syns`, `activity.accepts += 1`.
@dynamicMemberLookup
public protocol ListenerCountsReading {
    var counts: ListenerCounts { get set }
}

extension ListenerCountsReading {
    public subscript<Value>(dynamicMember keyPath: WritableKeyPath<ListenerCounts, Value>) -> Value {
        get { counts[keyPath: keyPath] }
        set { counts[keyPath: keyPath] = newValue }
    }
}
