#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SynShadowCore
import SynShadowTestbed
import SynShadowTracer
import Testing

/// Filters are applied in the kernel: traffic they turn away never reaches
/// user space. Each test drives wanted and unwanted traffic side by side and
/// checks every record that came out of the ring buffer, and the kernel's own
/// count of what it filtered.
extension LiveKernelTests {
    @Suite struct FilterTests {
        static let connections = 20

        @Test func portAndNetnsFiltersKeepOtherListenersOutOfUserSpace() throws {
            let wanted = try Listener(family: AF_INET)
            let otherPort = try Listener(family: AF_INET)
            let sandbox = try NetworkNamespaceSandbox()
            let ownNetns = try #require(NetworkNamespace.inode(ofPath: "/proc/self/ns/net"))
            let port = wanted.socket.localPort

            let tracer = try LiveTracer(configuration: .init(tier: .tracepoint, port: port, netns: ownNetns))
            defer { tracer.close() }
            let collector = CollectingConsumer()
            _ = try tracer.start(into: collector)
            let filteredBefore = tracer.session.counters().filtered

            try wanted.connectAndAccept(Self.connections)
            try otherPort.connectAndAccept(Self.connections)
            // The same port in another namespace.
            try sandbox.run {
                let twin = try Listener(family: AF_INET, port: port)
                try twin.connectAndAccept(Self.connections)
            }
            try drain(tracer, into: collector)

            let live = collector.events.filter { !$0.kind.isSnapshot }
            #expect(live.allSatisfy { $0.flow.localPort == port && $0.flow.netns == ownNetns },
                "only port \(port) in netns \(ownNetns) reached user space: \(strays(live, port: port))")
            #expect(live.filter { $0.kind == .syn }.count == Self.connections)
            #expect(live.filter { $0.kind == .accept }.count == Self.connections)
            // A SYN and an ACK per turned-away connection on the other
            // namespace's listener (the other port leaves before counting).
            // Our connections are in another cgroup: the cgroup programs, attached
            // at the chosen one, never run for them; the tracepoints still do and
            // filter each one out.
            #expect(tracer.session.counters().filtered - filteredBefore >= UInt64(Self.connections))
            #expect(tracer.session.counters().lost == 0)
        }

        @Test func localAddressFilterKeepsOneAddressOfAWildcardListener() throws {
            let listener = try Listener(family: AF_INET, bindTo: "0.0.0.0")
            let wanted = IPAddress("127.0.0.2")!
            let run = try traceFlows(
                to: listener, filter: AddressFilter(family: .ipv4, localAddress: wanted), via: ["127.0.0.1", "127.0.0.2"])
            #expect(run.flows.allSatisfy { $0.flow.localAddress == wanted },
                "flows to 127.0.0.1 reached user space: \(strays(run.flows, port: listener.socket.localPort))")
            #expect(run.flows.filter { $0.kind == .syn }.count == Self.connections)
            #expect(run.flows.filter { $0.kind == .accept }.count == Self.connections)
            // The wildcard listener itself stays in view.
            #expect(run.snapshotListeners == 1)
            #expect(run.filtered >= UInt64(2 * Self.connections))
        }

        @Test func familyFilterSplitsADualStackListener() throws {
            let listener = try Listener(family: AF_INET6, bindTo: "::", v6Only: false)
            let run = try traceFlows(to: listener, filter: AddressFilter(family: .ipv6), via: ["127.0.0.1", "::1"])
            #expect(run.flows.allSatisfy { $0.flow.family == .ipv6 }, "IPv4 flows reached user space")
            #expect(run.flows.filter { $0.kind == .syn }.count == Self.connections)
            #expect(run.flows.filter { $0.kind == .accept }.count == Self.connections)
            #expect(run.filtered >= UInt64(2 * Self.connections))
        }

        /// Traces `listener`'s port through `filter` while `connections`
        /// clients arrive by each address in `via`.
        private func traceFlows(to listener: Listener, filter: AddressFilter, via addresses: [String]) throws
            -> (flows: [KernelEvent], snapshotListeners: Int, filtered: UInt64)
        {
            let port = listener.socket.localPort
            var configuration = LiveTracer.Configuration(tier: .tracepoint, port: port)
            configuration.addressFilter = filter
            let tracer = try LiveTracer(configuration: configuration)
            defer { tracer.close() }
            let collector = CollectingConsumer()
            _ = try tracer.start(into: collector)
            let filteredBefore = tracer.session.counters().filtered
            for address in addresses { try listener.connectAndAccept(Self.connections, to: address) }
            try drain(tracer, into: collector)
            let flows = collector.events.filter { !$0.kind.isSnapshot && $0.flow.remotePort != 0 }
            let listeners = collector.events.filter { $0.kind == .snapshotListener && $0.flow.localPort == port }
            return (flows, listeners.count, tracer.session.counters().filtered - filteredBefore)
        }

        /// comm and cgroup decided in the kernel at listen(), in the owner's context.
        @Test func commAndCgroupFiltersFollowTheListenersOwner() throws {
            let cgroupRoot = try Preflight.cgroupRoot()
            let directory = "\(cgroupRoot)/synshadow-filter-test-\(getpid())"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
            defer { rmdir(directory) }
            let ours = try Listener(family: AF_INET)
            let serverPort = try freePort()

            var configuration = LiveTracer.Configuration(tier: .tracepoint)
            configuration.ownerFilter = OwnerFilter(
                comm: "busybox", cgroup: try OwnerFilter.cgroup(named: directory, root: cgroupRoot))
            let tracer = try LiveTracer(configuration: configuration)
            defer { tracer.close() }
            let collector = CollectingConsumer()
            _ = try tracer.start(into: collector)
            let filteredBefore = tracer.session.counters().filtered

            let server = try BusyboxListener(port: serverPort, cgroup: directory)
            defer { server.stop() }
            try server.connectOnce()
            try ours.connectAndAccept(Self.connections)
            try drain(tracer, into: collector)

            let live = collector.events.filter { !$0.kind.isSnapshot }
            #expect(live.allSatisfy { $0.flow.localPort == serverPort },
                "traffic of other owners reached user space: \(strays(live, port: serverPort))")
            #expect(live.contains { $0.kind == .listenStart && $0.pid == server.pid && $0.comm.description == "busybox" })
            #expect(live.map(\.kind).contains(.syn) && live.map(\.kind).contains(.childCreated))
            #expect(live.contains { $0.kind == .accept && $0.pid == server.pid })
            // Our connections are in another cgroup: the cgroup programs, attached
            // at the chosen one, never run for them; the tracepoints still do and
            // filter each one out.
            #expect(tracer.session.counters().filtered - filteredBefore >= UInt64(Self.connections))
        }

        /// `--cgroup` attaches the cgroup programs at that cgroup, not at the
        /// root: a socket of any other cgroup never runs them (the kernel's
        /// own run counts say so), while the chosen cgroup's listener is
        /// traced and the self-check still sees every hook (its listener
        /// lives in a cgroup of its own, removed afterwards).
        @Test func aCgroupFilterAttachesAtThatCgroupOnly() throws {
            let cgroupRoot = try Preflight.cgroupRoot()
            let directory = "\(cgroupRoot)/synshadow-attach-test-\(getpid())"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
            defer { rmdir(directory) }
            let statistics = try BPFStatistics()
            defer { statistics.close() }
            let ours = try Listener(family: AF_INET)
            let serverPort = try freePort()

            var configuration = LiveTracer.Configuration(tier: .tracepoint)
            configuration.ownerFilter = OwnerFilter(cgroup: try OwnerFilter.cgroup(named: directory, root: cgroupRoot))
            let tracer = try LiveTracer(configuration: configuration)
            defer { tracer.close() }
            #expect(tracer.attachment.attachAt == directory)
            let collector = CollectingConsumer()
            _ = try tracer.start(into: collector)
            let selfCheckCgroup = try #require(tracer.attachment.selfCheckCgroup)
            #expect(!FileManager.default.fileExists(atPath: selfCheckCgroup), "the self-check's cgroup stayed behind")

            func cgroupProgramRuns() -> UInt64 {
                tracer.session.programStatistics()
                    .filter { $0.name.hasPrefix("ss_cgroup_skb") || $0.name.hasPrefix("ss_sock_ops") }
                    .reduce(0) { $0 + $1.runCount }
            }
            let beforeOurs = cgroupProgramRuns()
            try ours.connectAndAccept(Self.connections)
            let afterOurs = cgroupProgramRuns()
            #expect(afterOurs == beforeOurs, "sockets of another cgroup ran the cgroup programs \(afterOurs - beforeOurs) times")

            let server = try BusyboxListener(port: serverPort, cgroup: directory)
            defer { server.stop() }
            try server.connectOnce()
            try drain(tracer, into: collector)
            #expect(cgroupProgramRuns() > afterOurs, "the chosen cgroup's listener did not run the cgroup programs")
            let live = collector.events.filter { !$0.kind.isSnapshot && $0.flow.localPort == serverPort }
            #expect(live.map(\.kind).contains(.syn) && live.map(\.kind).contains(.childCreated))
        }

        /// A listener older than the session: user space decides from /proc.
        @Test func pidFilterAppliesToAListenerOlderThanTheSession() throws {
            let serverPort = try freePort()
            let server = try BusyboxListener(port: serverPort, cgroup: nil)
            defer { server.stop() }
            let ours = try Listener(family: AF_INET)

            var configuration = LiveTracer.Configuration(tier: .tracepoint)
            configuration.ownerFilter = OwnerFilter(pid: server.pid)
            let tracer = try LiveTracer(configuration: configuration)
            defer { tracer.close() }
            let collector = CollectingConsumer()
            _ = try tracer.start(into: collector)
            let filteredBefore = tracer.session.counters().filtered

            try server.connectOnce()
            try ours.connectAndAccept(Self.connections)
            try drain(tracer, into: collector)

            let snapshot = collector.events.filter { $0.kind == .snapshotListener }
            #expect(snapshot.map(\.flow.localPort) == [serverPort], "snapshot: \(snapshot.map(\.flow.localPort))")
            #expect(snapshot.first?.pid == server.pid)
            let live = collector.events.filter { !$0.kind.isSnapshot }
            #expect(live.allSatisfy { $0.flow.localPort == serverPort },
                "traffic of other owners reached user space: \(strays(live, port: serverPort))")
            #expect(live.contains { $0.kind == .syn } && live.contains { $0.kind == .accept && $0.pid == server.pid })
            // Our connections are in another cgroup: the cgroup programs, attached
            // at the chosen one, never run for them; the tracepoints still do and
            // filter each one out.
            #expect(tracer.session.counters().filtered - filteredBefore >= UInt64(Self.connections))
        }

        private func drain(_ tracer: LiveTracer, into collector: CollectingConsumer) throws {
            for _ in 0..<4 { try tracer.drainOnce(into: collector, timeoutMilliseconds: 50) }
        }

        private func strays(_ events: [KernelEvent], port: UInt16) -> String {
            events.filter { $0.flow.localPort != port }.prefix(5).map { "\($0.kind.name) \($0.flow)" }
                .joined(separator: ", ")
        }

        private func freePort() throws -> UInt16 {
            let probe = try TCPSocket(family: AF_INET)
            defer { probe.close() }
            try probe.bindLoopback()
            return probe.localPort
        }
    }
}

/// A listener of the test's own, and real clients for it.
private struct Listener {
    let socket: TCPSocket
    let family: Int32

    init(family: Int32, port: UInt16 = 0, bindTo address: String? = nil, v6Only: Bool = true) throws {
        self.family = family
        socket = try TCPSocket(family: family)
        if family == AF_INET6 {
            try socket.setOption(level: Int32(IPPROTO_IPV6), name: IPV6_V6ONLY, value: v6Only ? 1 : 0)
        }
        if let address {
            try socket.bind(to: PeerEndpoint(address: PeerAddress(address)!, port: port))
        } else {
            try socket.bindLoopback(port: port)
        }
        try socket.listen(backlog: 64)
    }

    /// Connects `count` clients (to loopback, or to `address`) and accepts each.
    func connectAndAccept(_ count: Int, to address: String? = nil) throws {
        let port = socket.localPort
        for _ in 0..<count {
            let target = address.flatMap(PeerAddress.init)
            let client = try TCPSocket(family: target.map { $0.family == .ipv4 ? AF_INET : AF_INET6 } ?? family)
            if let target {
                try client.connect(to: PeerEndpoint(address: target, port: port))
            } else {
                try client.connectLoopback(port: port)
            }
            let child = try socket.accept()
            child.close()
            client.close()
        }
    }
}

/// Another process's listener: busybox nc (Debian's busybox-static), its
/// comm "busybox", optionally started inside a cgroup.
private final class BusyboxListener {
    let process = Process()
    let port: UInt16
    var pid: UInt32 { UInt32(process.processIdentifier) }

    init(port: UInt16, cgroup: String?) throws {
        self.port = port
        let join = cgroup.map { "echo $$ > '\($0)/cgroup.procs' && " } ?? ""
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "\(join)exec busybox nc -l -p \(port) >/dev/null </dev/null"]
        try process.run()
        // Ready once the port is in LISTEN (state 0A): busybox listens on
        // [::] (dual stack), so /proc/net/tcp6 as well as /proc/net/tcp.
        let hexPort = String(port, radix: 16, uppercase: true)
        let localSuffix = ":" + String(repeating: "0", count: 4 - hexPort.count) + hexPort
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
                let text = (try? String(contentsOfFile: table, encoding: .utf8)) ?? ""
                for line in text.split(separator: "\n") {
                    let fields = line.split(separator: " ")
                    if fields.count > 3 && fields[1].hasSuffix(localSuffix) && fields[3] == "0A" { return }
                }
            }
            usleep(10_000)
        }
        stop()
        throw SessionError("busybox nc -l -p \(port) never listened", fix: "install busybox-static (scripts/setup.sh test)")
    }

    func connectOnce() throws {
        let client = try TCPSocket(family: AF_INET)
        try client.connectLoopback(port: port)
        usleep(50_000)  // let nc accept before the client closes
        client.close()
    }

    /// SIGKILL: the test process may hold SIGTERM blocked, and a child inherits that.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
