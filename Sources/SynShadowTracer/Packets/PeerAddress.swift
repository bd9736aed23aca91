import SynShadowCore

/// An IPv4 or IPv6 address the scripted peer speaks from or to. It keeps the
/// family beside the bytes so that forging knows which header to build, and
/// exposes SynShadowCore's `IPAddress` so flows compare directly with traced keys.
public struct PeerAddress: Hashable, Sendable, CustomStringConvertible {
    public let family: AddressFamily
    /// IPv4 in the first four bytes, as in `FlowKey`.
    public let ip: IPAddress

    /// Parses dotted IPv4 or IPv6 text.
    public init?(_ text: String) {
        guard let ip = IPAddress(text) else { return nil }
        self.family = text.contains(":") ? .ipv6 : .ipv4
        self.ip = ip
    }

    /// Four bytes make an IPv4 address, sixteen an IPv6 one (network order).
    public init?(bytes: some Collection<UInt8>) {
        switch bytes.count {
        case 4:
            family = .ipv4
            ip = IPAddress(bytes: Array(bytes) + Array(repeating: 0, count: 12))
        case 16:
            family = .ipv6
            ip = IPAddress(bytes: Array(bytes))
        default:
            return nil
        }
    }

    /// The wire bytes: 4 for IPv4, 16 for IPv6.
    public var bytes: [UInt8] {
        family == .ipv4 ? Array(ip.bytes.prefix(4)) : ip.bytes
    }

    public var description: String { ip.formatted(as: family) }
}
