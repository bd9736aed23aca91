/// The step of the passive open a finding is about, as DESIGN.md draws it.
public enum HandshakeStep: String, Sendable, Codable, CaseIterable {
    /// listen() and the listener's life.
    case listen
    /// A SYN reaching conn_request.
    case syn
    /// The request sock and its SYN-ACK (including retransmits and expiry).
    case synAck = "syn-ack"
    /// The handshake ACK reaching tcp_check_req (or the syncookie check).
    case ack
    /// The child sock waiting in the accept queue.
    case child
    /// accept() taking the child.
    case accept
    /// The event stream itself (loss, eviction).
    case trace
}
