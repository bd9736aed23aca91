/// The flow a finding is about, in printable form (built only when a finding
/// is made, never per event).
public struct FlowSummary: Sendable, Hashable, Codable, CustomStringConvertible {
    public var netns: UInt32
    public var family: String
    public var localAddress: String
    public var localPort: UInt16
    public var remoteAddress: String
    public var remotePort: UInt16

    public init(_ key: FlowKey) {
        netns = key.netns
        family = key.family.name
        localAddress = key.localAddress.formatted(as: key.family)
        localPort = key.localPort
        remoteAddress = key.remoteAddress.formatted(as: key.family)
        remotePort = key.remotePort
    }

    /// "client -> server", as the event formatter prints flows.
    public var text: String {
        func endpoint(_ address: String, _ port: UInt16) -> String {
            family == AddressFamily.ipv6.name ? "[\(address)]:\(port)" : "\(address):\(port)"
        }
        return endpoint(remoteAddress, remotePort) + " -> " + endpoint(localAddress, localPort)
    }

    public var description: String { text }
}
