/// One decoded ring-buffer record: a plain value, so batches of them cost no
/// allocation beyond the array that holds them.
public struct KernelEvent: Hashable, Sendable {
    public var kind: EventKind
    public var hook: Hook
    /// CLOCK_MONOTONIC nanoseconds (`bpf_ktime_get_ns`).
    public var timestamp: UInt64
    public var cpu: UInt32
    /// Network namespace and 4-tuple; `family == .none` when the step has no flow.
    public var flow: FlowKey
    /// The listener owner's process (see `flags.ownerKnown`), else 0.
    public var pid: UInt32
    /// The thread the hook ran on (in softirq: whoever was interrupted).
    public var tid: UInt32
    public var comm: ProcessName
    public var tcpFlags: UInt16
    public var flags: EventFlags
    public var oldState: UInt8
    public var newState: UInt8
    /// Kernel addresses used as identities; 0 = unknown or unobserved.
    public var listener: UInt64
    public var request: UInt64
    public var child: UInt64
    /// The listener's queues at this instant, when `flags.queuesValid`.
    public var queues: QueueFigures
    public var result: Int64
    /// Drop reason, retransmit count or accepted fd, by kind.
    public var detail: UInt32

    public init(
        kind: EventKind, hook: Hook, timestamp: UInt64, cpu: UInt32 = 0, flow: FlowKey,
        pid: UInt32 = 0, tid: UInt32 = 0, comm: ProcessName = .unknown, tcpFlags: UInt16 = 0,
        flags: EventFlags = [], oldState: UInt8 = 0, newState: UInt8 = 0,
        listener: UInt64 = 0, request: UInt64 = 0, child: UInt64 = 0,
        queues: QueueFigures = QueueFigures(), result: Int64 = 0, detail: UInt32 = 0
    ) {
        self.kind = kind
        self.hook = hook
        self.timestamp = timestamp
        self.cpu = cpu
        self.flow = flow
        self.pid = pid
        self.tid = tid
        self.comm = comm
        self.tcpFlags = tcpFlags
        self.flags = flags
        self.oldState = oldState
        self.newState = newState
        self.listener = listener
        self.request = request
        self.child = child
        self.queues = queues
        self.result = result
        self.detail = detail
    }
}

/// `enum synshadow_event_flag`.
public struct EventFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let queuesValid = EventFlags(rawValue: 1 << 0)
    public static let ownerKnown = EventFlags(rawValue: 1 << 1)
    public static let fastOpen = EventFlags(rawValue: 1 << 2)
    public static let requestStolen = EventFlags(rawValue: 1 << 3)
    /// The tracepoint tier saw the segment just seen again: tcp_check_req
    /// handed it back to the listener (see SS_FLAG_SECOND_PASS).
    public static let secondPass = EventFlags(rawValue: 1 << 4)
}

/// A listener's two queues, kept strictly apart: the request (SYN) queue of
/// half-open request socks, and the accept queue of established children.
public struct QueueFigures: Hashable, Sendable {
    /// `sk_ack_backlog`: children waiting for accept().
    public var acceptQueue: UInt32
    /// `sk_max_ack_backlog`: the backlog passed to listen().
    public var acceptQueueLimit: UInt32
    /// `icsk_accept_queue.qlen`: request socks waiting for the final ACK.
    public var requestQueue: UInt32
    /// `icsk_accept_queue.young`: requests that have not had a SYN-ACK retransmitted.
    public var requestYoung: UInt32
    /// Threads inside accept() on this listener when the figures were read
    /// (read after them): each may have taken a child off the queue that no
    /// record reports yet, or be about to report a child it took.
    public var acceptsInFlight: UInt32

    public init(
        acceptQueue: UInt32 = 0, acceptQueueLimit: UInt32 = 0, requestQueue: UInt32 = 0, requestYoung: UInt32 = 0,
        acceptsInFlight: UInt32 = 0
    ) {
        self.acceptQueue = acceptQueue
        self.acceptQueueLimit = acceptQueueLimit
        self.requestQueue = requestQueue
        self.requestYoung = requestYoung
        self.acceptsInFlight = acceptsInFlight
    }
}
