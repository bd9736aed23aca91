/// One listener as the model mirrors it: its two queues kept strictly apart
/// (request queue and accept queue), how sure the model is of them, and who
/// owns the socket. Plain data, stored in a manually managed buffer.
struct ListenerRecord {
    var id: UInt64
    var address: IPAddress
    var comm: ProcessName
    /// The model's request (SYN) queue length: request socks awaiting the ACK.
    var requests: Int64 = 0
    /// The model's accept queue length: children awaiting accept().
    var children: Int64 = 0
    /// The part of each count held by flows whose whole history the model saw
    /// since it last became unsure of this listener.
    var freshRequests: Int64 = 0
    var freshChildren: Int64 = 0
    /// Requests and children the kernel holds that the model cannot name
    /// (before tracing, across a loss). Unknown requests may expire silently,
    /// so they are written off at `unknownDeadline`.
    var unknownRequests: Int64 = 0
    var unknownChildren: Int64 = 0
    var unknownDeadline: UInt64 = 0
    /// Requests the kernel may have dropped without an event, and requests
    /// the model dropped that the kernel may still hold: the tolerance of the
    /// request-queue comparison, both ways.
    var mayHaveLeft: Int64 = 0
    var mayRemain: Int64 = 0
    /// Requests hashed in the last race windows (their queue increment may
    /// not be visible to another CPU's probe yet).
    var bucketStart: UInt64 = 0
    var bucketCurrent: Int64 = 0
    var bucketPrevious: Int64 = 0
    var lastCookieTime: UInt64 = 0
    /// When the model last saw children queued and accepted (see ModelCore+Race).
    var recentChildren = RecentInstants()
    var recentAccepts = RecentInstants()
    var resyncNotBefore: UInt64 = 0
    var offsetRequests: Int64 = 0
    var offsetChildren: Int64 = 0
    var check = QueueCheck()
    var createdAt: UInt64
    var flowCount: UInt32 = 0
    /// Flows created at or after this epoch are fresh for this listener.
    var freshSince: UInt32
    var netns: UInt32
    var pid: UInt32 = 0
    /// `sk_max_ack_backlog`.
    var limit: UInt32 = 0
    var limitKnown = false
    var port: UInt16
    var family: AddressFamily
    var isOpen = true
    /// Unsure of the counts: no divergence is reported until two queue
    /// readings agree on the same offset (see `ModelCore.observeWhileResyncing`).
    var isResyncing = false
    var hasOffset = false
    var ownerKnown = false
    /// The bound address is known (a listener event), not guessed from a flow.
    var addressKnown = false
    /// Reachable through the id index (false once replaced by a newer listener).
    var isIndexed = true
    var evictionReported = false
    /// The slot holds a listener (false once freed for reuse).
    var inUse = true

    init(id: UInt64, netns: UInt32, family: AddressFamily, address: IPAddress, port: UInt16, epoch: UInt32, time: UInt64) {
        self.id = id
        self.netns = netns
        self.family = family
        self.address = address
        self.port = port
        self.comm = .unknown
        self.freshSince = epoch
        self.createdAt = time
    }

    /// Requests hashed within the race window before `time`.
    mutating func recentRequests(at time: UInt64, window: UInt64) -> Int64 {
        roll(to: time, window: window)
        return bucketCurrent + bucketPrevious
    }

    mutating func noteRequestQueued(at time: UInt64, window: UInt64) {
        roll(to: time, window: window)
        bucketCurrent += 1
    }

    private mutating func roll(to time: UInt64, window: UInt64) {
        let width = max(window, 1)
        guard time >= bucketStart &+ width else { return }
        if time >= bucketStart &+ 2 &* width {
            bucketPrevious = 0
        } else {
            bucketPrevious = bucketCurrent
        }
        bucketCurrent = 0
        bucketStart = time
    }
}
