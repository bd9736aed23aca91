/// One kernel event a finding rests on: enough to find it again in a trace
/// (kind, probe, kernel timestamp) and, when the probe read them, the queues.
public struct Evidence: Sendable, Hashable {
    public var kind: EventKind
    public var hook: Hook
    /// CLOCK_MONOTONIC nanoseconds, as the kernel stamped the event.
    public var timestamp: UInt64
    /// The listener's queues at that instant, when the probe read them.
    public var queues: QueueSnapshot?

    public init(kind: EventKind, hook: Hook, timestamp: UInt64, queues: QueueSnapshot? = nil) {
        self.kind = kind
        self.hook = hook
        self.timestamp = timestamp
        self.queues = queues
    }

    /// The evidence an event gives, queues included when valid.
    public init(_ event: KernelEvent) {
        self.init(
            kind: event.kind, hook: event.hook, timestamp: event.timestamp,
            queues: event.flags.contains(.queuesValid) ? QueueSnapshot(event.queues) : nil
        )
    }
}

extension Evidence: Codable {
    private enum CodingKeys: String, CodingKey {
        case kind, hook, timestamp, queues
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kindName = try container.decode(String.self, forKey: .kind)
        let hookName = try container.decode(String.self, forKey: .hook)
        guard let kind = EventKind.allCases.first(where: { $0.name == kindName }) else {
            throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: "unknown event kind")
        }
        guard let hook = Hook.allCases.first(where: { $0.name == hookName }) else {
            throw DecodingError.dataCorruptedError(forKey: .hook, in: container, debugDescription: "unknown hook")
        }
        self.init(
            kind: kind, hook: hook, timestamp: try container.decode(UInt64.self, forKey: .timestamp),
            queues: try container.decodeIfPresent(QueueSnapshot.self, forKey: .queues)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind.name, forKey: .kind)
        try container.encode(hook.name, forKey: .hook)
        try container.encode(timestamp, forKey: .timestamp)
        try container.encodeIfPresent(queues, forKey: .queues)
    }
}

/// A listener's two queues as a finding reports them; the request (SYN) queue
/// and the accept queue are always named apart.
public struct QueueSnapshot: Sendable, Hashable, Codable {
    /// Children waiting for accept() (`sk_ack_backlog`).
    public var acceptQueue: UInt32
    /// The accept queue limit (`sk_max_ack_backlog`).
    public var acceptQueueLimit: UInt32
    /// Request socks waiting for the final ACK (`icsk_accept_queue.qlen`).
    public var requestQueue: UInt32

    public init(acceptQueue: UInt32, acceptQueueLimit: UInt32, requestQueue: UInt32) {
        self.acceptQueue = acceptQueue
        self.acceptQueueLimit = acceptQueueLimit
        self.requestQueue = requestQueue
    }

    public init(_ figures: QueueFigures) {
        self.init(
            acceptQueue: figures.acceptQueue, acceptQueueLimit: figures.acceptQueueLimit,
            requestQueue: figures.requestQueue
        )
    }
}
