/// Where one connection attempt stands in the passive open, from the first
/// SYN to accept() and its exits. Terminal outcomes (dropped, expired, reset)
/// are reported and the flow forgotten, so they need no state of their own.
enum FlowState: UInt8 {
    case free = 0
    /// A SYN reached the listener; conn_request's outcome is not known yet.
    case synReceived
    /// A request was built (RWND_INIT); hashed or syncookie not known yet.
    case requestCreated
    /// The request sock sits in the request (SYN) queue.
    case requestQueued
    /// The handshake ACK reached tcp_check_req; the child is not known yet.
    case ackReceived
    /// A RST reached the request; whether it removed it is not known yet.
    case resetPending
    /// A syncookie SYN-ACK went out; no request sock exists.
    case cookieSent
    /// An ACK reached the listener for a cookie flow (tracepoint tier).
    case cookieAck
    /// An ACK reached the listener for a flow the model does not know
    /// (tracepoint tier): a cookie from before tracing, or a stray segment.
    case strayAck
    /// The child sits in the accept queue.
    case childQueued
    /// accept() returned the child; kept briefly to catch a double accept.
    case accepted
}

/// Facts about a flow that outlive a single state.
struct FlowFlags: OptionSet {
    let rawValue: UInt16

    /// Its request is counted in the listener's request queue.
    static let countsRequest = FlowFlags(rawValue: 1 << 0)
    /// Its child is counted in the listener's accept queue.
    static let countsChild = FlowFlags(rawValue: 1 << 1)
    /// The kernel may already have dropped its request without an event
    /// (expiry-eligible, ACK pending, abort_on_overflow unknown).
    static let mayHaveLeft = FlowFlags(rawValue: 1 << 2)
    /// The kernel may still hold a request the model removed (RST pending).
    static let mayRemain = FlowFlags(rawValue: 1 << 3)
    /// Known from the start-up snapshot: its age is unknown.
    static let fromSnapshot = FlowFlags(rawValue: 1 << 4)
    /// A TCP Fast Open child (created at SYN time).
    static let fastOpen = FlowFlags(rawValue: 1 << 5)
    /// A child created from a syncookie.
    static let cookieChild = FlowFlags(rawValue: 1 << 6)
    /// accept() came before the child's creation event (tolerated race).
    static let awaitingChild = FlowFlags(rawValue: 1 << 7)
    /// The client closed or reset the queued child (already reported).
    static let closedWhileQueued = FlowFlags(rawValue: 1 << 8)
    /// The ACK of this flow was dropped on a full accept queue at least once.
    static let ackDropped = FlowFlags(rawValue: 1 << 9)
    /// Accept latency already reported.
    static let latencyReported = FlowFlags(rawValue: 1 << 10)
    /// The child's creation callback (PASSIVE_ESTABLISHED) was seen.
    static let childEventSeen = FlowFlags(rawValue: 1 << 11)
    /// A failed syncookie ACK already reported (once per flow).
    static let cookieFailed = FlowFlags(rawValue: 1 << 12)
    /// Its first event was its SYN (`firstTime` is the SYN's time).
    static let synSeen = FlowFlags(rawValue: 1 << 13)
    /// Its first event was accept(): the model held no flow for the child.
    /// A creation callback within the settle window is accept()'s race with
    /// it, and tells where the child came from.
    static let acceptedUnknown = FlowFlags(rawValue: 1 << 14)
    /// accept() named one of the listener's unknown children for it (given
    /// back if the child's creation callback follows).
    static let claimedAtAccept = FlowFlags(rawValue: 1 << 15)
}
