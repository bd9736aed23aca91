import ArgumentParser
import SynShadowCore
import SynShadowTracer

/// The flags every live command shares: how to attach and what to keep.
struct TracingOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Attach tier: auto, fentry, kprobe or tracepoint.",
            discussion: "auto tries fentry, then kprobe, then tracepoint, and says why it passed over each.",
            valueName: "tier"))
    var tier: TierChoice = .auto

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Trace only listeners on this local port (filtered in the kernel).", valueName: "port"))
    var port: Int?

    @Option(
        help: ArgumentHelp(
            "Trace only this network namespace: a path (/var/run/netns/NAME, /proc/PID/ns/net) or an inode number.",
            valueName: "netns"))
    var netns: String?

    @Option(
        help: ArgumentHelp(
            "Trace only connections to this local address (IPv4 or IPv6; filtered in the kernel).",
            discussion: "Listeners bound to a wildcard address stay in view; only their flows are filtered.",
            valueName: "address"))
    var localAddress: String?

    @Option(
        help: ArgumentHelp(
            "Trace only ipv4 or ipv6 connections (filtered in the kernel). A v4 client of a dual-stack listener is ipv4.",
            valueName: "family"))
    var family: FamilyChoice?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Trace only listeners owned by this process id (filtered in the kernel).", valueName: "pid"))
    var pid: Int?

    @Option(
        help: ArgumentHelp(
            "Trace only listeners owned by processes with this name, as in /proc/PID/comm (filtered in the kernel).",
            valueName: "name"))
    var comm: String?

    @Option(
        help: ArgumentHelp(
            "Trace only listeners opened in this cgroup v2 directory or below it: a container or a service (filtered in the kernel).",
            discussion:
                "A path under the cgroup v2 mount, or one as /proc/PID/cgroup prints it, e.g. /system.slice/nginx.service.",
            valueName: "path"))
    var cgroup: String?

    @Flag(help: "On failure, also print libbpf's and the verifier's messages.")
    var verbose = false

    func validate() throws {
        try OptionRange.port.check(port)
        if let netns { _ = try FilterCheck.networkNamespace(netns) }
        if let localAddress {
            guard let address = Self.parsedAddress(localAddress) else {
                throw ValidationError("--local-address '\(localAddress)' is not an IPv4 or IPv6 address")
            }
            if let family, family.family != address.family {
                throw ValidationError("--local-address \(localAddress) is not an \(family.name) address")
            }
        }
        try OptionRange.pid.check(pid)
        if let pid { try FilterCheck.process(pid) }
        if let comm, comm.isEmpty || comm.utf8.count > 15 {
            throw ValidationError("--comm must be 1 to 15 bytes: the kernel keeps no more of a process name")
        }
    }

    /// An address and its family; an IPv4-mapped IPv6 address is IPv4, as the kernel reports its flows.
    static func parsedAddress(_ text: String) -> (address: IPAddress, family: AddressFamily)? {
        guard let address = IPAddress(text) else { return nil }
        guard text.contains(":") else { return (address, .ipv4) }
        let bytes = address.bytes
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
            return (IPAddress(bytes: Array(bytes[12..<16]) + [UInt8](repeating: 0, count: 12)), .ipv4)
        }
        return (address, .ipv6)
    }

    var requestedTier: Tier? { tier.tier }

    /// Checked by `validate()`.
    var netnsInode: UInt32? { netns.flatMap { try? FilterCheck.networkNamespace($0) } }

    /// A file naming the --netns namespace (an inode number is looked up
    /// among the tasks in it); nil without --netns.
    var netnsPath: String? {
        guard let netns else { return nil }
        if let inode = UInt32(netns), inode > 0 { return NetworkNamespace.path(ofInode: inode) ?? netns }
        return netns
    }

    /// What the traced events cover of the namespace's counters: the whole
    /// namespace only when nothing but --netns narrows the trace.
    var counterScope: CounterScope {
        var filters: [String] = []
        if let port { filters.append("--port \(port)") }
        if let localAddress { filters.append("--local-address \(localAddress)") }
        if let family { filters.append("--family \(family.name)") }
        if let pid { filters.append("--pid \(pid)") }
        if let comm { filters.append("--comm \(comm)") }
        if let cgroup { filters.append("--cgroup \(cgroup)") }
        return filters.isEmpty ? .namespace : .filtered(filters.joined(separator: " "))
    }

    func tracerConfiguration() throws(SessionError) -> LiveTracer.Configuration {
        var configuration = LiveTracer.Configuration(
            tier: requestedTier, port: port.map { UInt16($0) }, netns: netnsInode)
        let address = localAddress.flatMap(Self.parsedAddress)
        configuration.addressFilter = AddressFilter(
            family: family?.family ?? address?.family, localAddress: address?.address)
        configuration.ownerFilter = OwnerFilter(
            pid: pid.map { UInt32($0) }, comm: comm, cgroup: try cgroup.map { path throws(SessionError) in
                try OwnerFilter.cgroup(named: path, root: try Preflight.cgroupRoot())
            })
        return configuration
    }
}
