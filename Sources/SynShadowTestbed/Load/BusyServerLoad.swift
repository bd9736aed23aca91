#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
import SynShadowTracer

/// A server as servers really run, for the busy-server check: an event-loop
/// server (two workers sharing an IPv4 and an IPv6 listener, like nginx's),
/// many client threads mixing keep-alive connections and one request per
/// connection, both CPUs kept busy by spinning threads, and an overload
/// phase (a tiny backlog, the server stalled for seconds). Run it on a
/// thread inside a network namespace of its own: every thread it starts
/// inherits that namespace, so the namespace's counters are its alone.
///
/// Requests are one line: "K\n" (keep the connection) or "C\n" (close it);
/// the answer is "OK\n", and on "C" the server closes first (its TIME_WAIT,
/// not the client's: a client port in TIME_WAIT would slow every connect).
public enum BusyServerLoad {
    public struct Result: Sendable {
        public var connections: Int
        public var requests: Int
        public var failures: Int
        public var seconds: Double
        public var rate: Double { seconds > 0 ? Double(connections) / seconds : 0 }
    }

    /// Clean phase: `connections` connections (half IPv4, half IPv6) from
    /// `clientThreads` threads; every `keepAliveEvery`-th connection carries
    /// `requestsPerKeepAlive` requests, the others one.
    public static func clean(
        connections: Int, clientThreads: Int = 8, keepAliveEvery: Int = 4, requestsPerKeepAlive: Int = 20,
        busyCPUs: Int = 2
    ) throws -> Result {
        let server = try EventLoopServer(families: [AF_INET, AF_INET6], backlog: 4096, workers: 2)
        let burner = CPUBurner(threads: busyCPUs)
        defer { burner.stop() }
        let started = Date()
        let issued = Atomic<Int>(0)
        let tally = SessionTally()
        let group = DispatchGroup()
        for _ in 0..<clientThreads {
            group.spawnThread {
                while true {
                    let index = issued.add(1, ordering: .relaxed).oldValue
                    if index >= connections { return }
                    let family = index % 2 == 0 ? AF_INET : AF_INET6
                    let port = family == AF_INET ? server.ports[0] : server.ports[1]
                    let count = index % max(keepAliveEvery, 1) == 0 ? requestsPerKeepAlive : 1
                    tally.note(Client.session(family: family, port: port, requests: count))
                }
            }
        }
        group.wait()
        let seconds = Date().timeIntervalSince(started)
        server.stop()
        return tally.result(of: connections, seconds: seconds)
    }

    /// Client sessions' outcomes, added up from many threads.
    private final class SessionTally: Sendable {
        private let requests = Atomic<Int>(0)
        private let failures = Atomic<Int>(0)

        /// A session's requests served, or nil when it failed.
        func note(_ served: Int?) {
            if let served { requests.add(served, ordering: .relaxed) } else { failures.add(1, ordering: .relaxed) }
        }

        func result(of sessions: Int, seconds: Double) -> Result {
            let failed = failures.load(ordering: .relaxed)
            return Result(
                connections: sessions - failed, requests: requests.load(ordering: .relaxed), failures: failed,
                seconds: seconds)
        }
    }

    /// Overload phase: `clients` clients connect at once to an IPv4 listener
    /// of backlog `backlog` whose server does not accept for `stallSeconds`,
    /// each sending one request; then the server catches up. SYNs and ACKs
    /// meet full queues (and syncookies, where the namespace sends them).
    public static func overload(clients: Int = 50, backlog: Int32 = 4, stallSeconds: Double = 3, busyCPUs: Int = 2)
        throws -> Result
    {
        let server = try EventLoopServer(families: [AF_INET], backlog: backlog, workers: 1, startPaused: true)
        let burner = CPUBurner(threads: busyCPUs)
        defer { burner.stop() }
        let started = Date()
        let tally = SessionTally()
        let group = DispatchGroup()
        let port = server.ports[0]
        for _ in 0..<clients {
            group.spawnThread {
                // Long enough for SYN retransmits to reach the server after the stall.
                tally.note(Client.session(family: AF_INET, port: port, requests: 1, timeoutSeconds: stallSeconds + 20))
            }
        }
        Thread.sleep(forTimeInterval: stallSeconds)
        server.resume()
        group.wait()
        let seconds = Date().timeIntervalSince(started)
        server.stop()
        return tally.result(of: clients, seconds: seconds)
    }
}

/// Threads that spin until stopped: both CPUs busy, as on a loaded server.
public final class CPUBurner: @unchecked Sendable {
    private let running = Atomic<Bool>(true)
    private let group = DispatchGroup()

    public init(threads: Int) {
        for _ in 0..<threads {
            group.spawnThread { [self] in
                var value: UInt64 = 1
                while running.load(ordering: .relaxed) {
                    for _ in 0..<10_000 { value = value &* 6_364_136_223_846_793_005 &+ 1 }
                }
                if value == 0 { print("") }
            }
        }
    }

    public func stop() {
        running.store(false, ordering: .relaxed)
        group.wait()
    }
}

/// One client connection: connect, `requests` requests (the last asks the
/// server to close), wait for the server's FIN. Returns the requests served,
/// nil on failure.
enum Client {
    static func session(family: Int32, port: UInt16, requests: Int, timeoutSeconds: Double = 10) -> Int? {
        guard let socket = try? TCPSocket(family: family) else { return nil }
        defer { socket.close() }
        var timeout = timeval(tv_sec: Int(timeoutSeconds), tv_usec: Int((timeoutSeconds.truncatingRemainder(dividingBy: 1)) * 1e6))
        setsockopt(socket.descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket.descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        do {
            try socket.connectLoopback(port: port)
        } catch {
            return nil
        }
        var buffer = [UInt8](repeating: 0, count: 16)
        for index in 0..<requests {
            let request: [UInt8] = index == requests - 1 ? [0x43, 0x0a] : [0x4b, 0x0a]
            guard (try? socket.send(request)) != nil else { return nil }
            var received = 0
            while received < 3 {
                let count = buffer.withUnsafeMutableBytes { recv(socket.descriptor, $0.baseAddress! + received, 3 - received, 0) }
                if count <= 0 { return nil }
                received += count
            }
        }
        socket.awaitClose(timeoutMilliseconds: Int32(timeoutSeconds * 1000))
        return requests
    }
}

/// A small event-loop server (poll): workers share the listeners, accept
/// until EAGAIN, and answer each "K\n"/"C\n" with "OK\n" (closing after "C").
final class EventLoopServer: @unchecked Sendable {
    let ports: [UInt16]
    private var listeners: [Int32] = []
    private let running = Atomic<Bool>(true)
    private let paused: Atomic<Bool>
    private let group = DispatchGroup()

    init(families: [Int32], backlog: Int32, workers: Int, startPaused: Bool = false) throws {
        paused = Atomic(startPaused)
        var ports: [UInt16] = []
        for family in families {
            let socket = try TCPSocket(family: family)
            if family == AF_INET6 { try socket.setOption(level: Int32(IPPROTO_IPV6), name: IPV6_V6ONLY, value: 1) }
            try socket.bindLoopback(port: ports.first ?? 0)
            try socket.listen(backlog: backlog)
            ports.append(socket.localPort)
            let fd = dup(socket.descriptor)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            listeners.append(fd)
        }
        self.ports = ports
        for _ in 0..<workers {
            group.spawnThread { [self] in serve() }
        }
    }

    func resume() { paused.store(false, ordering: .relaxed) }

    func stop() {
        running.store(false, ordering: .relaxed)
        group.wait()
        for fd in listeners { close(fd) }
        listeners.removeAll()
    }

    private func serve() {
        var connections: [Int32] = []
        var buffer = [UInt8](repeating: 0, count: 256)
        var entries: [pollfd] = []
        while running.load(ordering: .relaxed) {
            if paused.load(ordering: .relaxed) {
                usleep(10_000)
                continue
            }
            entries.removeAll(keepingCapacity: true)
            for fd in listeners + connections { entries.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            guard poll(&entries, nfds_t(entries.count), 20) > 0 else { continue }
            var closed: Set<Int32> = []
            for entry in entries where entry.revents != 0 {
                let fd = entry.fd
                if listeners.contains(fd) {
                    while true {
                        let child = accept(fd, nil, nil)
                        if child < 0 { break }
                        _ = fcntl(child, F_SETFL, fcntl(child, F_GETFL) | O_NONBLOCK)
                        _ = fcntl(child, F_SETFD, FD_CLOEXEC)
                        connections.append(child)
                    }
                    continue
                }
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if count == 0 || (count < 0 && errno != EAGAIN) {
                    close(fd)
                    closed.insert(fd)
                    continue
                }
                var closing = false
                for byte in buffer.prefix(max(count, 0)) where byte == 0x4b || byte == 0x43 {
                    _ = [UInt8]([0x4f, 0x4b, 0x0a]).withUnsafeBytes { send(fd, $0.baseAddress, 3, Int32(MSG_NOSIGNAL)) }
                    if byte == 0x43 { closing = true }
                }
                if closing {
                    close(fd)
                    closed.insert(fd)
                }
            }
            if !closed.isEmpty { connections.removeAll { closed.contains($0) } }
        }
        for fd in connections { close(fd) }
    }
}
