#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
import SynShadowTracer

/// A loopback connect/accept load at the machine's maximum rate: client
/// threads connect and close as fast as they can, accept threads take each
/// child and close it. Used by the clean-load scenario and `synshadow bench`.
public final class ConnectionLoad: @unchecked Sendable {
    public struct Result: Sendable {
        public var connections: Int
        public var failures: Int
        public var seconds: Double
        public var rate: Double { seconds > 0 ? Double(connections) / seconds : 0 }
    }

    public let port: UInt16
    private let listener: TCPSocket
    private let family: Int32
    private let accepted = Atomic<Int>(0)
    private let attempted = Atomic<Int>(0)
    private let failed = Atomic<Int>(0)
    private let stop = Atomic<Bool>(false)

    /// Binds and listens on loopback at once, so a tracer can be told the port.
    public init(family: Int32 = AF_INET, backlog: Int32 = 4096) throws {
        self.family = family
        listener = try TCPSocket(family: family)
        try listener.bindLoopback()
        try listener.listen(backlog: backlog)
        port = listener.localPort
    }

    /// Connections accepted so far by the running load (for windowed rates).
    public var acceptedSoFar: Int { accepted.load(ordering: .relaxed) }

    /// Ends a `run` started without a count or duration, from another thread.
    public func finish() { stop.store(true, ordering: .relaxed) }

    /// Runs until `count` connections were accepted or `seconds` passed; once
    /// only (the listener closes at the end).
    public func run(clientThreads: Int, acceptThreads: Int = 1, count: Int? = nil, seconds: Double? = nil) -> Result {
        accepted.store(0, ordering: .relaxed)
        attempted.store(0, ordering: .relaxed)
        failed.store(0, ordering: .relaxed)
        stop.store(false, ordering: .relaxed)
        let limit = count ?? Int.max
        let group = DispatchGroup()
        let started = Date()
        for _ in 0..<acceptThreads {
            group.spawnThread { [self] in acceptLoop(limit: limit) }
        }
        for _ in 0..<clientThreads {
            group.spawnThread { [self] in connectLoop(limit: limit) }
        }
        while !stop.load(ordering: .relaxed) {
            if let seconds, Date().timeIntervalSince(started) >= seconds { break }
            usleep(10_000)
        }
        stop.store(true, ordering: .relaxed)
        let elapsed = Date().timeIntervalSince(started)
        // Clients still waiting on unaccepted children are released by the
        // listener's close (their connections are reset).
        listener.close()
        group.wait()
        return Result(
            connections: accepted.load(ordering: .relaxed), failures: failed.load(ordering: .relaxed),
            seconds: elapsed)
    }

    private func connectLoop(limit: Int) {
        while !stop.load(ordering: .relaxed) {
            if attempted.add(1, ordering: .relaxed).newValue > limit { return }
            do {
                // The server closes first and keeps the TIME_WAIT: a client
                // port in TIME_WAIT would make every later connect() search
                // further for a free port, and the load would measure that.
                let client = try TCPSocket(family: family)
                try client.connectLoopback(port: port)
                client.awaitClose(timeoutMilliseconds: 2000)
                client.close()
            } catch {
                failed.add(1, ordering: .relaxed)
                attempted.subtract(1, ordering: .relaxed)
            }
        }
    }

    private func acceptLoop(limit: Int) {
        var entry = pollfd(fd: listener.descriptor, events: Int16(POLLIN), revents: 0)
        while !stop.load(ordering: .relaxed), accepted.load(ordering: .relaxed) < limit {
            guard poll(&entry, 1, 50) == 1 else { continue }
            let fd = Glibc.accept(listener.descriptor, nil, nil)
            if fd >= 0 {
                Glibc.close(fd)
                if accepted.add(1, ordering: .relaxed).newValue >= limit { stop.store(true, ordering: .relaxed) }
            }
        }
        stop.store(true, ordering: .relaxed)
    }
}
