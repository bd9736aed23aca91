import SynShadowTracer

/// The handle for one scripted connection attempt: which forged client
/// talks to which kernel endpoint. Scenarios pass it back to the peer and can
/// match it against traced flow keys.
public struct PeerFlow: Hashable, Sendable, CustomStringConvertible {
    /// The forged client, an address behind the TUN device.
    public let peer: PeerEndpoint
    /// The kernel side: the listener's address and port.
    public let server: PeerEndpoint

    public init(peer: PeerEndpoint, server: PeerEndpoint) {
        self.peer = peer
        self.server = server
    }

    public var description: String { "\(peer) -> \(server)" }
}
