/// One step of the passive open, as a probe reported it (`enum synshadow_event_kind`).
public enum EventKind: UInt8, Sendable, CaseIterable, Codable {
    case listenStart = 1
    case listenStop = 2
    case syn = 3
    case connRequestDone = 4
    case requestCreated = 5
    case requestQueued = 6
    case synAckRetransmit = 7
    case ack = 8
    case rst = 9
    case checkRequestDone = 10
    case childCreated = 11
    case childState = 12
    case accept = 13
    case drop = 14
    case snapshotListener = 15
    case snapshotRequest = 16
    case snapshotChild = 17
    case requestDropped = 18
    case cookieCheckDone = 19

    /// Stable lower-case name used in JSON and human output.
    public var name: String {
        switch self {
        case .listenStart: "listen"
        case .listenStop: "listen_stop"
        case .syn: "syn"
        case .connRequestDone: "conn_request_done"
        case .requestCreated: "request_created"
        case .requestQueued: "request_queued"
        case .synAckRetransmit: "synack_retransmit"
        case .ack: "ack"
        case .rst: "rst"
        case .checkRequestDone: "check_req_done"
        case .childCreated: "child_created"
        case .childState: "child_state"
        case .accept: "accept"
        case .drop: "drop"
        case .snapshotListener: "snapshot_listener"
        case .snapshotRequest: "snapshot_request"
        case .snapshotChild: "snapshot_child"
        case .requestDropped: "request_dropped"
        case .cookieCheckDone: "cookie_check_done"
        }
    }

    /// Whether the record is about a listener itself (its flow holds only the local side).
    public var describesListener: Bool {
        self == .listenStart || self == .listenStop || self == .snapshotListener
    }

    /// Whether the record describes state found at start-up rather than a live step.
    public var isSnapshot: Bool {
        self == .snapshotListener || self == .snapshotRequest || self == .snapshotChild
    }
}

