#if canImport(Glibc)
import Glibc
#endif
import SynShadowCore
import SynShadowTestbed
import SynShadowTracer
import Testing

/// The foundation's acceptance test: real connections on loopback, traced by
/// the real kernel through the tracepoint tier, each one seen whole.
extension LiveKernelTests {
@Suite struct LivePipelineTests {
    static let connectionsPerFamily = 1000

    @Test func everyConnectionIsSeenWholeInCausalOrder() throws {
        let v4 = try TCPSocket(family: AF_INET)
        try v4.bindLoopback()
        let port = v4.localPort
        let v6 = try TCPSocket(family: AF_INET6)
        try v6.setOption(level: Int32(IPPROTO_IPV6), name: IPV6_V6ONLY, value: 1)
        try v6.bindLoopback(port: port)

        let tracer = try LiveTracer(configuration: .init(tier: .tracepoint, port: port))
        defer { tracer.close() }
        let collector = CollectingConsumer()
        let report = try tracer.start(into: collector)
        #expect(report.silentHooks.isEmpty)

        try v4.listen(backlog: 128)
        try v6.listen(backlog: 128)
        var clientPorts: [AddressFamily: [UInt16]] = [.ipv4: [], .ipv6: []]
        for index in 0..<(2 * Self.connectionsPerFamily) {
            let family: AddressFamily = index % 2 == 0 ? .ipv4 : .ipv6
            let client = try TCPSocket(family: family == .ipv4 ? AF_INET : AF_INET6)
            try client.connectLoopback(port: port)
            clientPorts[family]!.append(client.localPort)
            let child = try (family == .ipv4 ? v4 : v6).accept()
            child.close()
            client.close()
            if index % 200 == 0 { try tracer.drainOnce(into: collector, timeoutMilliseconds: 0) }
        }
        v4.close()
        v6.close()
        for _ in 0..<5 { try tracer.drainOnce(into: collector, timeoutMilliseconds: 50) }

        let counters = tracer.session.counters()
        #expect(counters.lost == 0)
        #expect(collector.lost == 0)
        #expect(tracer.session.undecodableRecords == 0)

        let ours = collector.events.filter { $0.flow.localPort == port }
        var listeners: [AddressFamily: UInt64] = [:]
        for event in ours where event.kind == .listenStart {
            listeners[event.flow.family] = event.listener
        }
        #expect(listeners.count == 2, "one listen() per family")

        // A client port can come back once its TIME_WAIT is recycled: the
        // k-th connection from a port is the k-th one traced on that tuple.
        var byFlow = HandshakeShape.connections(in: ours)
        let expectedKinds: [EventKind] = [.syn, .requestCreated, .requestQueued, .ack, .childCreated, .accept]
        let loopback: [AddressFamily: IPAddress] = [.ipv4: IPAddress("127.0.0.1")!, .ipv6: IPAddress("::1")!]
        var checked = 0
        for (family, ports) in clientPorts {
            for clientPort in ports {
                let key = FlowKey(
                    netns: ours.first!.flow.netns, family: family, localAddress: loopback[family]!,
                    localPort: port, remoteAddress: loopback[family]!, remotePort: clientPort)
                let events = byFlow[key]?.isEmpty == false ? byFlow[key]!.removeFirst() : []
                try #require(
                    events.map(\.kind) == expectedKinds,
                    "\(key): saw \(events.map(\.kind.name))")
                #expect(events.allSatisfy { $0.listener == listeners[family] }, "\(key): listener identity")
                #expect(zip(events, events.dropFirst()).allSatisfy { $0.timestamp <= $1.timestamp }, "\(key): order")
                let child = events[4].child
                #expect(child != 0 && events[5].child == child, "\(key): child identity")
                #expect(events[4].queues.acceptQueue >= 1, "\(key): child counted on the accept queue")
                checked += 1
            }
        }
        #expect(checked == 2 * Self.connectionsPerFamily)
    }
}
}
