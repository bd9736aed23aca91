/// The flow's address family; IPv4 clients of dual-stack listeners are
/// reported as IPv4 by the kernel side, so one flow never has two keys.
public enum AddressFamily: UInt8, Sendable, Codable {
    case none = 0
    case ipv4 = 2
    case ipv6 = 10

    public var name: String {
        switch self {
        case .none: "none"
        case .ipv4: "ipv4"
        case .ipv6: "ipv6"
        }
    }

    /// Parses "ipv4" or "ipv6" (also "4", "6", "inet", "inet6"), as users type them.
    public init?(name: String) {
        switch name.lowercased() {
        case "ipv4", "4", "inet": self = .ipv4
        case "ipv6", "6", "inet6": self = .ipv6
        default: return nil
        }
    }
}
