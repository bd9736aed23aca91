/// The listener a finding is about: which socket (kernel id), where, and
/// whose, so a per-listener answer names the server process.
public struct ListenerSummary: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Kernel address of the listening sock (0 when never observed).
    public var id: UInt64
    public var netns: UInt32
    public var family: String
    /// Bound address ("0.0.0.0" / "::" for a wildcard); empty when unknown.
    public var address: String
    public var port: UInt16
    /// Owner process, when known.
    public var pid: UInt32?
    public var comm: String?
    /// The owner's cgroup v2 path (its container or service), filled in by
    /// the live side from /proc; nil when unknown or in a replay.
    public var cgroup: String?

    public init(
        id: UInt64, netns: UInt32, family: String, address: String, port: UInt16, pid: UInt32?, comm: String?,
        cgroup: String? = nil
    ) {
        self.id = id
        self.netns = netns
        self.family = family
        self.address = address
        self.port = port
        self.pid = pid
        self.comm = comm
        self.cgroup = cgroup
    }

    /// "0.0.0.0:8080 (nginx[1234])" style, for one-line explanations.
    public var text: String {
        var text = family == AddressFamily.ipv6.name ? "[\(address)]:\(port)" : "\(address):\(port)"
        if let comm, let pid { text += " (\(comm)[\(pid)])" }
        return text
    }

    public var description: String { text }
}
