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
}
