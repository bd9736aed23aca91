#if canImport(Glibc)
import Glibc
#endif
import SynShadowCore
import SynShadowTracer

/// Clean load: connections to an IPv4 and an IPv6 listener, each accepted at
/// once. Every one must be seen whole, in causal order, with the right
/// listener and child, nothing lost — and the kernel's passive-open counter
/// must agree with the number of children seen.
public struct CleanHandshakes: Scenario {
    public let name = "clean-handshakes"
    public var summary: String { "\(connectionsPerFamily) IPv4 + \(connectionsPerFamily) IPv6 connections, accepted at once" }
    public var connectionsPerFamily: Int

    public init(connectionsPerFamily: Int = 1000) {
        self.connectionsPerFamily = connectionsPerFamily
    }

    public func run(in context: ScenarioContext) throws -> ScenarioOutcome {
        var outcome = ScenarioOutcome(scenario: name, tier: context.tier)
        let started = monotonicNanoseconds()
        let sandbox = try NetworkNamespaceSandbox()
        let before = try sandbox.counters()
        let kernelBefore = context.tracer.session.counters()
        let count = connectionsPerFamily
        let clientPorts: [(AddressFamily, UInt16)] = try sandbox.run {
            let v4 = try TCPSocket(family: AF_INET)
            try v4.bindLoopback()
            let v6 = try TCPSocket(family: AF_INET6)
            try v6.setOption(level: Int32(IPPROTO_IPV6), name: IPV6_V6ONLY, value: 1)
            try v6.bindLoopback(port: v4.localPort)
            try v4.listen(backlog: 128)
            try v6.listen(backlog: 128)
            var ports: [(AddressFamily, UInt16)] = []
            for index in 0..<(2 * count) {
                let family: AddressFamily = index % 2 == 0 ? .ipv4 : .ipv6
                let client = try TCPSocket(family: family == .ipv4 ? AF_INET : AF_INET6)
                try client.connectLoopback(port: v4.localPort)
                ports.append((family, client.localPort))
                try (family == .ipv4 ? v4 : v6).accept().close()
                client.close()
            }
            return ports
        }
        // Drain as the connections go would be kinder to the ring buffer;
        // 16 MiB holds ~110,000 records, far more than this scenario makes.
        try context.settle()
        let after = try sandbox.counters()
        let settings = try sandbox.run { KernelSettingsReader.current() }
        let events = context.takeEvents(netns: sandbox.inode)
        let findings = context.findings(for: events, settings: settings, end: monotonicNanoseconds())
        outcome.observedFindings = findings.countsByID
        outcome.require(findings.isEmpty, "clean load produced findings: \(findings.countsByID)")
        outcome.connections = clientPorts.count
        outcome.events = events.count
        outcome.counterDeltas = after.delta(since: before)
        outcome.exactCounters = ["TcpPassiveOpens", "TcpExtListenOverflows", "TcpExtListenDrops", "TcpExtTCPReqQFullDrop"]

        let shape = HandshakeShape.clean(for: context.tier)
        let connections = HandshakeShape.connections(in: events)
        var broken: [String] = []
        var seenWhole = 0
        for (key, groups) in connections {
            for flowEvents in groups {
                if let problem = shape.mismatch(flowEvents) {
                    broken.append("\(key): \(problem)")
                } else {
                    seenWhole += 1
                }
            }
        }
        outcome.require(broken.isEmpty, "\(broken.count) flows malformed, e.g. \(broken.first ?? "")")
        outcome.require(
            seenWhole == clientPorts.count, "\(seenWhole) of \(clientPorts.count) connections seen whole")
        var made: [String: Int] = [:]
        for (family, port) in clientPorts { made["\(family.name):\(port)", default: 0] += 1 }
        var traced: [String: Int] = [:]
        for (key, groups) in connections { traced["\(key.family.name):\(key.remotePort)", default: 0] += groups.count }
        outcome.require(made == traced, "traced connections differ from the connections made")
        let kernelAfter = context.tracer.session.counters()
        let lost = kernelAfter.unseenEvents &- kernelBefore.unseenEvents
        outcome.lostEvents = lost
        outcome.require(
            lost == 0,
            "\(lost) events lost: kernel side \(kernelAfter.lossDescription(since: kernelBefore))")
        let passiveOpens = outcome.counterDeltas["TcpPassiveOpens"] ?? 0
        let children = events.filter { $0.kind == .childCreated }.count
        outcome.require(
            passiveOpens == Int64(children),
            "kernel TcpPassiveOpens +\(passiveOpens) but \(children) children traced")
        for counter in ["TcpExtListenOverflows", "TcpExtListenDrops", "TcpExtTCPReqQFullDrop"] {
            outcome.require(outcome.counterDeltas[counter] == nil, "\(counter) moved on clean load")
        }
        outcome.milliseconds = Int((monotonicNanoseconds() - started) / 1_000_000)
        return outcome
    }
}
