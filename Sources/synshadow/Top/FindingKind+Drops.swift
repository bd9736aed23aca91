import SynShadowCore

extension FindingKind {
    /// The kinds that mean the server side lost a connection attempt (a SYN
    /// or handshake ACK dropped, a handshake that never finished, a request
    /// killed by an ICMP error): the "drops" of `top`, one per attempt.
    /// Resets by the client are not drops, and `packet-dropped` is the same
    /// loss seen as a freed packet (it would count a dropped SYN twice).
    static let drops: [FindingKind] = [
        .synDroppedAcceptQueueFull, .synDroppedRequestQueueFull, .synDropped, .ackDroppedAcceptQueueFull,
        .ackResetAcceptQueueFull, .syncookieFailed, .handshakeExpired, .requestDroppedByICMP,
    ]
}
