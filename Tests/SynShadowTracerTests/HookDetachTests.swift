#if canImport(Glibc)
import Glibc
#endif
import SynShadowCore
import SynShadowTestbed
import SynShadowTracer
import Testing

/// `synshadow bench` compares traced and untraced windows of one load by
/// detaching the hooks and attaching them again in place: detached, the
/// kernel must send nothing; re-attached, every handshake must be whole again.
/// Its idle windows keep the hooks attached but make each return at once:
/// idle, nothing runs past that check; resumed, every handshake is whole.
extension LiveKernelTests {
    @Suite struct HookDetachTests {
        @Test func detachedHooksSendNothingAndReattachedOnesSeeEveryHandshake() throws {
            let (listener, port) = try boundListener()
            let tracer = try LiveTracer(configuration: .init(tier: .tracepoint, port: port))
            defer { tracer.close() }
            let collector = try start(tracer, thenListenOn: listener)
            let programs = LoadedPrograms.count()

            try tracer.session.setHooksAttached(false)
            #expect(LoadedPrograms.count() == programs, "detaching keeps the programs loaded")
            #expect(!tracer.session.isAttached(.cgroupSkbIngress) && !tracer.session.isAttached(.sockOpsListen))
            let before = tracer.session.counters().events
            try connect(20, to: listener, port: port)
            try tracer.drainOnce(into: collector, timeoutMilliseconds: 50)
            #expect(tracer.session.counters().events == before, "a detached hook ran")

            collector.events.removeAll()
            try tracer.session.setHooksAttached(true)
            try tracer.session.setHooksAttached(true)  // attaching twice is harmless
            #expect(tracer.session.isAttached(.cgroupSkbIngress) && tracer.session.isAttached(.sockOpsListen))
            try connect(20, to: listener, port: port)
            try expectWholeHandshakes(20, port: port, tracer: tracer, collector: collector)
            listener.close()
        }

        @Test func idleHooksStayAttachedAndDoNothingUntilResumed() throws {
            let (listener, port) = try boundListener()
            let tracer = try LiveTracer(configuration: .init(tier: .tracepoint, port: port))
            defer { tracer.close() }
            let collector = try start(tracer, thenListenOn: listener)

            try tracer.session.setHooksIdle(true)
            let before = tracer.session.counters()
            try connect(20, to: listener, port: port)
            try tracer.drainOnce(into: collector, timeoutMilliseconds: 50)
            let during = tracer.session.counters()
            #expect(during.events == before.events, "an idle hook sent a record")
            #expect(during.hookHits == before.hookHits, "an idle hook ran past its idle check")
            #expect(tracer.session.isAttached(.cgroupSkbIngress) && tracer.session.isAttached(.sockOpsListen))

            collector.events.removeAll()
            try tracer.session.setHooksIdle(false)
            try connect(20, to: listener, port: port)
            try expectWholeHandshakes(20, port: port, tracer: tracer, collector: collector)
            listener.close()
        }

        private func boundListener() throws -> (TCPSocket, UInt16) {
            let listener = try TCPSocket(family: AF_INET)
            try listener.bindLoopback()
            return (listener, listener.localPort)
        }

        /// Tracing starts before listen(), so the listener is known from its
        /// first event.
        private func start(_ tracer: LiveTracer, thenListenOn listener: TCPSocket) throws -> CollectingConsumer {
            let collector = CollectingConsumer()
            _ = try tracer.start(into: collector)
            try listener.listen(backlog: 128)
            try tracer.drainOnce(into: collector, timeoutMilliseconds: 50)
            return collector
        }

        /// Every connection made since `collector` was emptied shows the
        /// whole tracepoint-tier handshake, and nothing was lost.
        private func expectWholeHandshakes(
            _ count: Int, port: UInt16, tracer: LiveTracer, collector: CollectingConsumer
        ) throws {
            for _ in 0..<3 { try tracer.drainOnce(into: collector, timeoutMilliseconds: 50) }
            let handshakes = HandshakeShape.connections(in: collector.events.filter { $0.flow.localPort == port })
            let expected: [EventKind] = [.syn, .requestCreated, .requestQueued, .ack, .childCreated, .accept]
            #expect(handshakes.count == count)
            for (key, connections) in handshakes {
                #expect(connections.map { $0.map(\.kind) } == [expected], "\(key)")
            }
            #expect(tracer.session.counters().lost == 0)
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
