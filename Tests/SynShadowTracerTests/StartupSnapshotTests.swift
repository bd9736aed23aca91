#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SynShadowCore
import SynShadowTestbed
import SynShadowTracer
import Testing

/// What existed before tracing began must be modelled, not missed: the
/// listener (with its owner), children already queued, requests already
/// half-open, and an accept() already blocked.
extension LiveKernelTests {
    @Suite struct StartupSnapshotTests {
        @Test func existingListenersRequestsAndQueuedChildrenAreSnapshotted() throws {
            let listener = try TCPSocket(family: AF_INET)
            try listener.bindLoopback()
            let port = listener.localPort
            // Bare ACKs are held back: a client stays a request sock (NEW_SYN_RECV).
            let deferred = try TCPSocket(family: AF_INET)
            try deferred.bindLoopback()
            try deferred.setOption(level: Int32(IPPROTO_TCP), name: TCP_DEFER_ACCEPT, value: 30)
            try deferred.listen(backlog: 8)
            try listener.listen(backlog: 8)
            let queued = try (0..<2).map { _ in
                let client = try TCPSocket(family: AF_INET)
                try client.connectLoopback(port: port)
                return client
            }
            let halfOpen = try TCPSocket(family: AF_INET)
            try halfOpen.connectLoopback(port: deferred.localPort)

            let tracer = try LiveTracer(configuration: .init(tier: .tracepoint))
            defer { tracer.close() }
            let collector = CollectingConsumer()
            _ = try tracer.start(into: collector)
            for _ in 0..<3 { try tracer.drainOnce(into: collector, timeoutMilliseconds: 20) }

            let snapshot = collector.events.filter(\.kind.isSnapshot)
            let listenerRecord = try #require(
                snapshot.first { $0.kind == .snapshotListener && $0.flow.localPort == port })
            #expect(listenerRecord.pid == UInt32(getpid()), "owner named from /proc: \(listenerRecord.pid)")
            #expect(listenerRecord.flags.contains(.ownerKnown))
            #expect(listenerRecord.queues.acceptQueue == 2 && listenerRecord.queues.acceptQueueLimit == 8)
            let children = snapshot.filter { $0.kind == .snapshotChild && $0.flow.localPort == port }
            #expect(Set(children.map(\.flow.remotePort)) == Set(queued.map(\.localPort)))
            let requests = snapshot.filter { $0.kind == .snapshotRequest && $0.flow.localPort == deferred.localPort }
            #expect(requests.count == 1 && requests.first?.flow.remotePort == halfOpen.localPort)
            #expect(requests.first?.request != 0 && requests.first?.listener != 0)

            // The queued children are accepted after tracing began: the accept
            // records name the same child sockets the snapshot found.
            let accepted = try (0..<2).map { _ in try listener.accept() }
            for _ in 0..<3 { try tracer.drainOnce(into: collector, timeoutMilliseconds: 20) }
            let accepts = collector.events.filter { $0.kind == .accept && $0.flow.localPort == port }
            #expect(Set(accepts.map(\.child)) == Set(children.map(\.child)))
            accepted.forEach { $0.close() }
        }

        @Test func anAcceptBlockedBeforeTracingIsSeenReturning() throws {
            let listener = try TCPSocket(family: AF_INET)
            try listener.bindLoopback()
            try listener.listen(backlog: 8)
            let port = listener.localPort
            let descriptor = listener.descriptor
            let returned = DispatchSemaphore(value: 0)
            let thread = Thread {
                let fd = Glibc.accept(descriptor, nil, nil)
                if fd >= 0 { Glibc.close(fd) }
                returned.signal()
            }
            thread.start()
            usleep(100_000)  // the thread is now blocked in accept()

            let tracer = try LiveTracer(configuration: .init(tier: .tracepoint, port: port))
            defer { tracer.close() }
            let collector = CollectingConsumer()
            _ = try tracer.start(into: collector)
            let client = try TCPSocket(family: AF_INET)
            try client.connectLoopback(port: port)
            #expect(returned.wait(timeout: .now() + 5) == .success)
            for _ in 0..<3 { try tracer.drainOnce(into: collector, timeoutMilliseconds: 20) }
            let flow = collector.events.filter { $0.flow.localPort == port && $0.flow.remotePort == client.localPort }
            #expect(flow.map(\.kind) == [.syn, .requestCreated, .requestQueued, .ack, .childCreated, .accept])
            #expect(flow.last?.child == flow.first { $0.kind == .childCreated }?.child)
            client.close()
        }
    }
}
