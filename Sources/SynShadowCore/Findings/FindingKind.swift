/// The catalogue of findings. Each kind has a stable identifier (JSON, docs,
/// alerting rules key on it; never rename one) and fixed metadata, so the
/// model only chooses the kind and fills in the specifics.
/// docs/divergences.md documents every kind; a test keeps the two in step.
public enum FindingKind: UInt8, Sendable, CaseIterable {
    // Behaviour: the kernel did something worth an operator's attention.
    case synDroppedAcceptQueueFull = 0
    case synDroppedRequestQueueFull
    case synDropped
    case syncookieSent
    case syncookieAccepted
    case syncookieFailed
    case ackDroppedAcceptQueueFull
    case ackResetAcceptQueueFull
    case ackRejected
    case ackIgnored
    case embryonicReset
    case handshakeExpired
    case childResetWhileQueued
    case childClosedWhileQueued
    case listenerClosedWithQueue
    case acceptSlow
    case packetDropped
    // Divergence: the kernel and the model disagree.
    case queueMismatch
    case orphanEvent
    case illegalTransition
    case doubleAccept
    // Observability: the model's own blind spots.
    case eventsLost
    case flowsEvicted
    case listenerLimit
    // Divergence, found by `trace --counters` rather than by the model
    // (appended: raw values are stable).
    case counterMismatch
    // Behaviour (appended): an ICMP error killed a request sock.
    case requestDroppedByICMP

    /// The stable string id.
    public var identifier: String {
        switch self {
        case .synDroppedAcceptQueueFull: "syn-dropped-accept-queue-full"
        case .synDroppedRequestQueueFull: "syn-dropped-request-queue-full"
        case .synDropped: "syn-dropped"
        case .syncookieSent: "syncookie-sent"
        case .syncookieAccepted: "syncookie-accepted"
        case .syncookieFailed: "syncookie-failed"
        case .ackDroppedAcceptQueueFull: "ack-dropped-accept-queue-full"
        case .ackResetAcceptQueueFull: "ack-reset-accept-queue-full"
        case .ackRejected: "ack-rejected"
        case .ackIgnored: "ack-ignored"
        case .embryonicReset: "embryonic-reset"
        case .handshakeExpired: "handshake-expired"
        case .childResetWhileQueued: "child-reset-while-queued"
        case .childClosedWhileQueued: "child-closed-while-queued"
        case .listenerClosedWithQueue: "listener-closed-with-queue"
        case .acceptSlow: "accept-slow"
        case .packetDropped: "packet-dropped"
        case .queueMismatch: "queue-mismatch"
        case .orphanEvent: "orphan-event"
        case .illegalTransition: "illegal-transition"
        case .doubleAccept: "double-accept"
        case .eventsLost: "events-lost"
        case .flowsEvicted: "flows-evicted"
        case .listenerLimit: "listener-limit"
        case .counterMismatch: "counter-mismatch"
        case .requestDroppedByICMP: "request-dropped-icmp"
        }
    }

    public init?(identifier: String) {
        guard let kind = FindingKind.allCases.first(where: { $0.identifier == identifier }) else { return nil }
        self = kind
    }

    public var category: FindingCategory {
        switch self {
        case .queueMismatch, .orphanEvent, .illegalTransition, .doubleAccept, .counterMismatch: .divergence
        case .eventsLost, .flowsEvicted, .listenerLimit: .observability
        default: .behaviour
        }
    }

    /// The kinds that mean the server side lost a connection attempt (a SYN
    /// or handshake ACK dropped, a handshake that never finished, a request
    /// killed by an ICMP error): the "drops" of `top` and of the incident
    /// report, one per attempt. Resets by the client are not drops, and
    /// `packet-dropped` is the same loss seen as a freed packet (it would
    /// count a dropped SYN twice).
    public static let drops: [FindingKind] = [
        .synDroppedAcceptQueueFull, .synDroppedRequestQueueFull, .synDropped, .ackDroppedAcceptQueueFull,
        .ackResetAcceptQueueFull, .syncookieFailed, .handshakeExpired, .requestDroppedByICMP,
    ]

    /// Whether the kind is one of `drops`.
    public var isDrop: Bool { Self.drops.contains(self) }

    public var severity: FindingSeverity {
        switch self {
        case .syncookieAccepted, .ackRejected, .ackIgnored, .embryonicReset, .childClosedWhileQueued,
            .packetDropped:
            .info
        case .ackResetAcceptQueueFull, .queueMismatch, .orphanEvent, .illegalTransition, .doubleAccept,
            .counterMismatch:
            .error
        default:
            .warning
        }
    }

    public var step: HandshakeStep {
        switch self {
        case .synDroppedAcceptQueueFull, .synDroppedRequestQueueFull, .synDropped, .packetDropped: .syn
        case .syncookieSent, .handshakeExpired, .requestDroppedByICMP: .synAck
        case .syncookieAccepted, .syncookieFailed, .ackDroppedAcceptQueueFull, .ackResetAcceptQueueFull,
            .ackRejected, .ackIgnored, .embryonicReset:
            .ack
        case .childResetWhileQueued, .childClosedWhileQueued: .child
        case .acceptSlow, .doubleAccept: .accept
        case .listenerClosedWithQueue, .listenerLimit: .listen
        case .queueMismatch, .orphanEvent, .illegalTransition: .child
        case .eventsLost, .flowsEvicted, .counterMismatch: .trace
        }
    }

    /// The nstat counters the kernel path behind this finding increments.
    public var counters: [KernelCounter] {
        switch self {
        case .synDroppedAcceptQueueFull: [.listenOverflows, .listenDrops]
        case .synDroppedRequestQueueFull: [.requestQueueFullDrop, .listenDrops]
        case .synDropped: [.listenDrops]
        case .syncookieSent: [.syncookiesSent, .requestQueueFullCookies]
        case .syncookieAccepted: [.syncookiesReceived]
        case .syncookieFailed: [.syncookiesFailed]
        case .ackDroppedAcceptQueueFull: [.listenOverflows, .listenDrops]
        case .ackResetAcceptQueueFull: [.listenOverflows, .listenDrops, .embryonicResets]
        case .ackRejected: [.outResets]
        case .embryonicReset: [.embryonicResets]
        case .handshakeExpired: [.timeouts, .synRetransmits]
        case .childResetWhileQueued: [.establishedResets]
        case .listenerClosedWithQueue: [.establishedResets]
        case .requestDroppedByICMP: [.listenDrops]
        case .ackIgnored, .childClosedWhileQueued, .acceptSlow, .packetDropped, .queueMismatch, .orphanEvent,
            .illegalTransition, .doubleAccept, .eventsLost, .flowsEvicted, .listenerLimit, .counterMismatch:
            // counter-mismatch names the counter that disagreed in the finding itself.
            []
        }
    }

    /// Whether the finding is an inference that a lost event could have made
    /// wrong ("nothing followed", or a count). Such findings are withheld from
    /// any window the model is uncertain about: loss never becomes an alarm.
    public var requiresCompleteStream: Bool {
        switch self {
        case .childResetWhileQueued, .childClosedWhileQueued, .acceptSlow, .packetDropped, .ackRejected,
            .eventsLost, .flowsEvicted, .listenerLimit:
            false
        default:
            true
        }
    }

    /// What the finding means, in one sentence.
    public var meaning: String {
        switch self {
        case .synDroppedAcceptQueueFull:
            "a SYN was dropped because the accept queue was full"
        case .synDroppedRequestQueueFull:
            "a SYN was dropped because the request (SYN) queue was full and syncookies were off"
        case .synDropped:
            "a SYN was dropped although neither queue was full (SYN backlog pressure, memory, a filter)"
        case .syncookieSent:
            "the listener answered a SYN with a syncookie instead of keeping a request sock"
        case .syncookieAccepted:
            "a child was created from a valid syncookie ACK"
        case .syncookieFailed:
            "an ACK for a syncookie flow created no child"
        case .ackDroppedAcceptQueueFull:
            "the handshake ACK was dropped because the accept queue was full; the request sock was kept"
        case .ackResetAcceptQueueFull:
            "the handshake ACK hit a full accept queue and tcp_abort_on_overflow reset the connection"
        case .ackRejected:
            "tcp_check_req rejected the ACK (bad acknowledgment number) and the kernel sent a RST"
        case .ackIgnored:
            "tcp_check_req returned no child for an ACK although the accept queue had room"
        case .embryonicReset:
            "a RST removed a request sock before the handshake completed"
        case .handshakeExpired:
            "a request sock expired after its SYN-ACK retransmits went unanswered"
        case .childResetWhileQueued:
            "an established child was reset while still waiting in the accept queue"
        case .childClosedWhileQueued:
            "the client closed an established child that was still waiting in the accept queue"
        case .listenerClosedWithQueue:
            "a listener was closed with connections still queued; they were dropped"
        case .acceptSlow:
            "a child waited in the accept queue longer than the configured threshold"
        case .packetDropped:
            "the kernel freed a packet for a listener or request sock with a drop reason"
        case .queueMismatch:
            "the kernel's queue length differs from the model's beyond what concurrency explains"
        case .orphanEvent:
            "an event refers to a request, flow or child the model never saw created"
        case .illegalTransition:
            "an event arrived in a state where the passive open cannot take that step"
        case .doubleAccept:
            "accept() returned the same child twice"
        case .eventsLost:
            "the ring buffer dropped events; the model is uncertain until it re-synchronises"
        case .flowsEvicted:
            "the model dropped tracked flows to stay within its memory bound"
        case .listenerLimit:
            "a listener was not tracked because the listener limit was reached"
        case .counterMismatch:
            "a kernel counter of the traced namespace and the model's count for it disagreed for a whole interval"
        case .requestDroppedByICMP:
            "an ICMP error quoting the SYN-ACK made the kernel drop a request sock before the handshake completed"
        }
    }

    /// What a person should do about it.
    public var action: String {
        switch self {
        case .synDroppedAcceptQueueFull, .ackDroppedAcceptQueueFull, .ackResetAcceptQueueFull, .acceptSlow:
            "make the application accept faster, or raise the listen() backlog and net.core.somaxconn"
        case .synDroppedRequestQueueFull:
            "raise the backlog (the request queue is bounded by it), enable net.ipv4.tcp_syncookies, or look for a SYN flood"
        case .synDropped:
            "check net.ipv4.tcp_max_syn_backlog, tcp_syncookies, memory pressure and filters on the listener"
        case .syncookieSent, .syncookieAccepted:
            "the request queue overflowed (SYN flood or a backlog too small): raise the backlog if the traffic is legitimate"
        case .syncookieFailed:
            "expect spoofed or stale ACKs; if clients fail, check for cookie expiry or asymmetric routing"
        case .ackRejected, .ackIgnored:
            "usually stale or spoofed segments; investigate if clients report resets during connect"
        case .embryonicReset:
            "clients or middleboxes abort handshakes; investigate if frequent"
        case .handshakeExpired:
            "clients never completed the handshake: check reachability of the SYN-ACK path or a SYN flood"
        case .childResetWhileQueued, .childClosedWhileQueued:
            "clients gave up before the application accepted: accept faster"
        case .listenerClosedWithQueue:
            "drain the accept queue before closing the listener (graceful restarts)"
        case .packetDropped:
            "look up the drop reason; it names the kernel check that discarded the packet"
        case .queueMismatch, .orphanEvent, .illegalTransition, .doubleAccept:
            "report it with the trace file: the kernel path differs from the model (or a probe misses a path)"
        case .eventsLost:
            "raise the ring-buffer size or narrow the filter (--port, --netns)"
        case .flowsEvicted:
            "raise the model's flow limit, or narrow the filter"
        case .listenerLimit:
            "raise the model's listener limit, or narrow the filter"
        case .counterMismatch:
            "record the traffic (synshadow record) and report it with the trace file: a kernel path moves the"
                + " counter without a step the model knows (or a probe misses one)"
        case .requestDroppedByICMP:
            "the SYN-ACK could not reach the client (unreachable host or port, a filtering middlebox): check the"
                + " route back to those clients"
        }
    }
}

extension FindingKind: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let kind = FindingKind(identifier: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown finding id \(text)")
        }
        self = kind
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(identifier)
    }
}
