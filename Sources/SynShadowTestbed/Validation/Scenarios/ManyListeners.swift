#if canImport(Glibc)
import Glibc
#endif
import SynShadowCore
import SynShadowTracer

/// Many listeners at once, and an SO_REUSEPORT group sharing one port:
/// nothing goes wrong, so the model must stay silent, and it must keep the
/// listeners apart: every flow traced whole under one listener, and each
/// socket of the group under its own identity.
public struct ManyListeners: Scenario {
    public let name = "many-listeners"
    public var listenersPerFamily: Int
    public var connectionsPerListener: Int
    public var groupSize: Int
    public var groupConnections: Int

    public init(
        listenersPerFamily: Int = 12, connectionsPerListener: Int = 3, groupSize: Int = 4, groupConnections: Int = 40
    ) {
        self.listenersPerFamily = listenersPerFamily
        self.connectionsPerListener = connectionsPerListener
        self.groupSize = groupSize
        self.groupConnections = groupConnections
    }

    public var summary: String {
        "\(listenersPerFamily) IPv4 + \(listenersPerFamily) IPv6 listeners, an SO_REUSEPORT group of \(groupSize)"
            + " sharing \(groupConnections) connections"
    }

    private struct Traffic {
        var clientPorts: [AddressFamily: [UInt16]] = [:]
        var groupPort: UInt16 = 0
        /// Client ports each group socket accepted.
        var groupShares: [[UInt16]] = []
    }

    public func run(in context: ScenarioContext) throws -> ScenarioOutcome {
        let harness = try ScenarioHarness(scenario: name, context: context)
        let scenario = self
        let traffic = try harness.run { try scenario.drive() }
        let connections = traffic.clientPorts.values.reduce(0) { $0 + $1.count }
        let expected = 2 * listenersPerFamily * connectionsPerListener + groupConnections
        var expectation = ScenarioExpectation()
        expectation.counters = ["TcpPassiveOpens": Int64(expected), "TcpExtListenDrops": 0]
        expectation.comparedCounters = [.listenDrops, .listenOverflows]
        let observation = try harness.conclude(expecting: expectation, connections: connections) {
            $0.acceptLatencyThreshold = 2_000_000_000
        }
        harness.outcome.require(connections == expected, "accepted \(connections) of \(expected) connections")
        let listenerIDs = Set(observation.events.filter { $0.kind == .listenStart }.map(\.listener))
        let sockets = 2 * listenersPerFamily + groupSize
        harness.outcome.require(
            listenerIDs.count == sockets, "\(listenerIDs.count) listeners traced, \(sockets) listened")
        var byFlow: [FlowKey: [KernelEvent]] = [:]
        for event in observation.events where !event.kind.describesListener {
            byFlow[event.flow, default: []].append(event)
        }
        let shape = HandshakeShape.clean(for: context.tier)
        let broken = byFlow.values.compactMap { events in shape.mismatch(events).map { "\(events[0].flow): \($0)" } }
        harness.outcome.require(broken.isEmpty, "\(broken.count) flows malformed, e.g. \(broken.first ?? "")")
        harness.outcome.require(byFlow.count == connections, "\(byFlow.count) flows traced, \(connections) made")
        // Each group socket's children must all come from one traced listener, a different one per socket.
        var owners: [UInt64] = []
        for share in traffic.groupShares {
            let ports = Set(share)
            let ids = Set(byFlow.filter { $0.key.localPort == traffic.groupPort && ports.contains($0.key.remotePort) }
                .flatMap { $0.value.map(\.listener) }.filter { $0 != 0 })
            harness.outcome.require(
                ids.count <= 1, "one SO_REUSEPORT socket's children traced under \(ids.count) listeners")
            owners += ids
        }
        harness.outcome.require(
            Set(owners).count == owners.count, "SO_REUSEPORT sockets traced under shared listener identities")
        return harness.finish()
    }

    /// Runs on the sandbox's thread: listens, connects, accepts.
    private func drive() throws -> Traffic {
        var traffic = Traffic()
        // Clients stay open to the end so no 4-tuple recurs.
        var clients: [TCPSocket] = []
        // All listening at once; connections go round them in turn.
        var listeners: [(AddressFamily, Int32, TCPSocket)] = []
        for (family, domain) in [(AddressFamily.ipv4, AF_INET), (.ipv6, AF_INET6)] {
            for _ in 0..<listenersPerFamily {
                listeners.append((family, domain, try TCPSocket.loopbackListener(family: domain, backlog: 16)))
            }
        }
        for _ in 0..<connectionsPerListener {
            for (family, domain, listener) in listeners {
                let client = try TCPSocket(family: domain)
                try client.connectLoopback(port: listener.localPort)
                guard listener.waitReadable(milliseconds: 1000) else { continue }
                _ = try listener.accept()
                clients.append(client)
                traffic.clientPorts[family, default: []].append(client.localPort)
            }
        }
        var group: [TCPSocket] = []
        for _ in 0..<groupSize {
            let member = try TCPSocket(family: AF_INET)
            try member.setOption(level: SOL_SOCKET, name: SO_REUSEPORT, value: 1)
            try member.bindLoopback(port: group.first?.localPort ?? 0)
            try member.listen(backlog: 16)
            group.append(member)
        }
        traffic.groupPort = group[0].localPort
        traffic.groupShares = Array(repeating: [], count: groupSize)
        for _ in 0..<groupConnections {
            let client = try TCPSocket(family: AF_INET)
            try client.connectLoopback(port: group[0].localPort)
            var ready = group.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
            guard poll(&ready, nfds_t(ready.count), 1000) > 0, let index = ready.firstIndex(where: { $0.revents != 0 })
            else { continue }
            _ = try group[index].accept()
            clients.append(client)
            traffic.groupShares[index].append(client.localPort)
            traffic.clientPorts[.ipv4, default: []].append(client.localPort)
        }
        return traffic
    }
}
