import SynShadowCore

extension FindingKind {
    /// The kinds that mean the server side lost a connection attempt (a SYN
    /// or handshake ACK dropped, a handshake that never finished): the
    /// "drops" of `top`. Resets by the client are not drops.
    static let drops: [FindingKind] = [
        .synDroppedAcceptQueueFull, .synDroppedRequestQueueFull, .synDropped, .ackDroppedAcceptQueueFull,
        .ackResetAcceptQueueFull, .syncookieFailed, .handshakeExpired, .packetDropped,
    ]
}
