#if canImport(Glibc)
import Glibc
#endif
import SynShadowCore
import SynShadowLive
import Testing

/// `synshadow bench` compares traced and untraced windows of one load by
/// detaching the hooks and attaching them again in place: detached, the
/// kernel must send nothing; re-attached, every handshake must be whole again.
extension LiveKernelTests {
    @Suite struct HookDetachTests {
        @Test func detachedHooksSendNothingAndReattachedOnesSeeEveryHandshake() throws {
            let listener = try TCPSocket(family: AF_INET)
            try listener.bindLoopback()
            let port = listener.localPort
            let tracer = try LiveTracer(configuration: .init(tier: .tracepoint, port: port))
            defer { tracer.close() }
            let collector = CollectingConsumer()
            _ = try tracer.start(into: collector)
            try listener.listen(backlog: 128)
            try tracer.drainOnce(into: collector, timeoutMilliseconds: 50)
            let programs = KernelSession.loadedProgramCount()

            try tracer.session.setHooksAttached(false)
            #expect(KernelSession.loadedProgramCount() == programs, "detaching keeps the programs loaded")
            let before = tracer.session.counters().events
            try connect(20, to: listener, port: port)
            try tracer.drainOnce(into: collector, timeoutMilliseconds: 50)
            #expect(tracer.session.counters().events == before, "a detached hook ran")

            collector.events.removeAll()
            try tracer.session.setHooksAttached(true)
            try tracer.session.setHooksAttached(true)  // attaching twice is harmless
            try connect(20, to: listener, port: port)
            for _ in 0..<3 { try tracer.drainOnce(into: collector, timeoutMilliseconds: 50) }
            let handshakes = HandshakeShape.connections(in: collector.events.filter { $0.flow.localPort == port })
            let expected: [EventKind] = [.syn, .requestCreated, .requestQueued, .ack, .childCreated, .accept]
            #expect(handshakes.count == 20)
            for (key, connections) in handshakes {
                #expect(connections.map { $0.map(\.kind) } == [expected], "\(key)")
            }
            #expect(tracer.session.counters().lost == 0)
            listener.close()
        }

        private func connect(_ count: Int, to listener: TCPSocket, port: UInt16) throws {
            for _ in 0..<count {
                let client = try TCPSocket(family: AF_INET)
                try client.connectLoopback(port: port)
                let child = try listener.accept()
                child.close()
                client.close()
            }
        }
    }
}
