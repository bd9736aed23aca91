/// Identifies one connection attempt wherever it is seen: the network
/// namespace plus the 4-tuple. Reused ports in other namespaces, or the same
/// port on IPv4 and IPv6, never collide.
public struct FlowKey: Hashable, Sendable, CustomStringConvertible {
    public var netns: UInt32
    public var family: AddressFamily
    public var localAddress: IPAddress
    public var localPort: UInt16
    public var remoteAddress: IPAddress
    public var remotePort: UInt16

    public init(
        netns: UInt32, family: AddressFamily, localAddress: IPAddress, localPort: UInt16,
        remoteAddress: IPAddress, remotePort: UInt16
    ) {
        self.netns = netns
        self.family = family
        self.localAddress = localAddress
        self.localPort = localPort
        self.remoteAddress = remoteAddress
        self.remotePort = remotePort
    }

    public var description: String {
        "\(endpoint(remoteAddress, remotePort)) -> \(localEndpoint)"
    }

    /// The listener's side, "addr:port" or "[addr]:port".
    public var localEndpoint: String { endpoint(localAddress, localPort) }

    private func endpoint(_ address: IPAddress, _ port: UInt16) -> String {
        let text = address.formatted(as: family)
        return family == .ipv6 ? "[\(text)]:\(port)" : "\(text):\(port)"
    }
}
