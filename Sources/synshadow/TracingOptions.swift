import ArgumentParser
import SynShadowCore
import SynShadowLive

/// The flags every live command shares: how to attach and what to keep.
struct TracingOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Attach tier: auto, fentry, kprobe or tracepoint.",
            discussion: "auto tries fentry, then kprobe, then tracepoint, and says why it passed over each.",
            valueName: "tier"))
    var tier: String = "auto"

    @Option(help: ArgumentHelp("Trace only listeners on this local port (filtered in the kernel).", valueName: "port"))
    var port: UInt16?

    @Option(
        help: ArgumentHelp(
            "Trace only this network namespace: a path (/var/run/netns/NAME, /proc/PID/ns/net) or an inode number.",
            valueName: "netns"))
    var netns: String?

    @Flag(help: "On failure, also print libbpf's and the verifier's messages.")
    var verbose = false

    func validate() throws {
        if tier != "auto" && Tier(name: tier) == nil {
            throw ValidationError("unknown tier '\(tier)': use auto, fentry, kprobe or tracepoint")
        }
        if port == 0 { throw ValidationError("--port must be 1-65535") }
        if let netns, resolvedNetns(netns) == nil {
            throw ValidationError("--netns '\(netns)' is neither a namespace file nor an inode number")
        }
    }

    var requestedTier: Tier? { Tier(name: tier) }

    var netnsInode: UInt32? { netns.flatMap(resolvedNetns) }

    /// A file naming the --netns namespace (an inode number is looked up
    /// among the tasks in it); nil without --netns.
    var netnsPath: String? {
        guard let netns else { return nil }
        if let inode = UInt32(netns), inode > 0 { return NetworkNamespace.path(ofInode: inode) ?? netns }
        return netns
    }

    /// What the traced events cover of the namespace's counters.
    var counterScope: CounterScope { port.map(CounterScope.port) ?? .namespace }

    private func resolvedNetns(_ text: String) -> UInt32? {
        if let inode = UInt32(text), inode > 0 { return inode }
        return NetworkNamespace.inode(ofPath: text)
    }

    func tracerConfiguration() -> LiveTracer.Configuration {
        LiveTracer.Configuration(tier: requestedTier, port: port, netns: netnsInode)
    }
}
