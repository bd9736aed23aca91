import SynShadowCore

/// The labels one listener's series carry: `listener="addr:port"`, `netns`,
/// `comm`. Two listener sockets with the same labels (a server that closed
/// and reopened its port) are one series, so counts stay monotonic.
public struct ListenerLabels: Sendable, Hashable, Comparable {
    public var listener: String
    public var netns: String
    public var comm: String

    /// Where every listener past `--metrics-max-listeners` is counted.
    public static let other = ListenerLabels(listener: "other", netns: "", comm: "")

    public init(listener: String, netns: String, comm: String) {
        self.listener = listener
        self.netns = netns
        self.comm = comm
    }

    public init(_ summary: ListenerSummary) {
        let address = summary.address.isEmpty ? "unknown" : summary.address
        listener = summary.family == AddressFamily.ipv6.name ? "[\(address)]:\(summary.port)" : "\(address):\(summary.port)"
        netns = String(summary.netns)
        comm = summary.comm ?? ""
    }

    public var pairs: [MetricLabel] {
        [MetricLabel("listener", listener), MetricLabel("netns", netns), MetricLabel("comm", comm)]
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.listener, lhs.netns, lhs.comm) < (rhs.listener, rhs.netns, rhs.comm)
    }
}
