/// What one listener has been doing, as the model saw it: the figures behind
/// `synshadow top` and the metrics endpoint. A snapshot of plain values taken
/// between batches (`ShadowModel.listenerActivity()`); counts are monotonic
/// since tracing began, so a reader turns two snapshots into rates.
public struct ListenerActivity: Sendable, Hashable {
    public var listener: ListenerSummary
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
    /// Every finding the model decided for this listener, per kind — reported,
    /// withheld or over the per-listener limit alike. Drops by cause are the
    /// behaviour kinds among them.
    public var findings: [FindingKind: UInt64]
    /// SYN seen → child created: the handshake as the server lives it.
    public var handshakeTime: LatencyHistogram
    /// Child created → accept() returned it: how long the application kept it waiting.
    public var acceptWait: LatencyHistogram

    public init(
        listener: ListenerSummary, isOpen: Bool = true, backlog: UInt32? = nil,
        modelRequestQueue: Int = 0, modelAcceptQueue: Int = 0,
        kernelRequestQueue: Int? = nil, kernelAcceptQueue: Int? = nil,
        syns: UInt64 = 0, handshakes: UInt64 = 0, accepts: UInt64 = 0,
        findings: [FindingKind: UInt64] = [:],
        handshakeTime: LatencyHistogram = LatencyHistogram(), acceptWait: LatencyHistogram = LatencyHistogram()
    ) {
        self.listener = listener
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
        self.handshakeTime = handshakeTime
        self.acceptWait = acceptWait
    }
}
