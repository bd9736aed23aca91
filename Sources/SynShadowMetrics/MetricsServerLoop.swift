#if canImport(Glibc)
import Glibc
#endif

/// The metrics endpoint's event loop, on one thread of its own: `poll()`
/// over the listener and at most `maxConnections` non-blocking connections.
/// No client can hold more than a bounded buffer, a slot and a deadline; a
/// new connection at the cap closes the oldest one (an idle or slow client,
/// never the fresh scrape); running out of descriptors closes the oldest
/// too, or pauses accepting briefly, but never closes the listener.
final class MetricsServerLoop {
    /// What to answer a well-formed request with (`method`, `target`).
    typealias Responder = (String, String) -> HTTPResponse

    private struct Connection {
        enum Phase {
            case reading(RequestHeadParser)
            case writing([UInt8], sent: Int)
            /// Response sent and the write side shut: dropping what still comes until EOF or the deadline.
            case lingering
        }

        var descriptor: Int32
        var phase: Phase
        var deadline: UInt64
    }

    private let listener: Int32
    private let wake: Int32
    private let limits: MetricsServerLimits
    private let respond: Responder
    private let warn: @Sendable (String) -> Void
    private var connections: [Connection] = []
    private var acceptPausedUntil: UInt64 = 0
    private var warnedAboutDescriptors = false
    private var scratch = [UInt8](repeating: 0, count: 4096)

    init(
        listener: Int32, wake: Int32, limits: MetricsServerLimits, warn: @escaping @Sendable (String) -> Void,
        respond: @escaping Responder
    ) {
        self.listener = listener
        self.wake = wake
        self.limits = limits
        self.warn = warn
        self.respond = respond
    }

    /// Serves until `wake` is readable (written to, or its other end closed), then closes every connection and the listener.
    func run() {
        defer {
            for connection in connections { close(connection.descriptor) }
            connections.removeAll()
            close(listener)
        }
        while true {
            var now = SocketIO.monotonicNanoseconds()
            let accepting = now >= acceptPausedUntil
            var entries = [pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
            if accepting { entries.append(pollfd(fd: listener, events: Int16(POLLIN), revents: 0)) }
            let first = entries.count
            for connection in connections { entries.append(pollfd(fd: connection.descriptor, events: Self.events(connection.phase), revents: 0)) }
            let count = nfds_t(entries.count)
            let ready = poll(&entries, count, timeout(now: now))
            if ready < 0 {
                if errno != EINTR { usleep(10_000) }
                continue
            }
            if entries[0].revents != 0 { return }
            now = SocketIO.monotonicNanoseconds()
            // Connections first, then new ones: a scrape already in is served before newcomers can push it out.
            for index in connections.indices where entries[first + index].revents != 0 {
                service(&connections[index], events: entries[first + index].revents, now: now)
            }
            expire(now: now)
            connections.removeAll { $0.descriptor < 0 }
            if accepting, entries[1].revents != 0 { acceptPending(now: now) }
        }
    }

    private static func events(_ phase: Connection.Phase) -> Int16 {
        switch phase {
        case .reading, .lingering: Int16(POLLIN)
        case .writing: Int16(POLLOUT)
        }
    }

    /// Until the nearest deadline (or the end of an accept pause), at most a second.
    private func timeout(now: UInt64) -> Int32 {
        var next = now + 1_000_000_000
        for connection in connections { next = min(next, connection.deadline) }
        if acceptPausedUntil > now { next = min(next, acceptPausedUntil) }
        return Int32((next > now ? next - now : 0) / 1_000_000) + 1
    }

    private func service(_ connection: inout Connection, events: Int16, now: UInt64) {
        switch connection.phase {
        case .reading(var parser):
            // A few reads per turn, so one fast sender cannot starve the others.
            for _ in 0..<4 {
                let wanted = min(scratch.count, parser.room + 1)
                let count = scratch.withUnsafeMutableBytes { recv(connection.descriptor, $0.baseAddress, wanted, 0) }
                if count < 0, errno == EAGAIN || errno == EINTR { break }
                guard count > 0 else { return finish(&connection) }
                switch parser.append(scratch[0..<count]) {
                case .needMore:
                    continue
                case .request(let method, let target):
                    return startWriting(&connection, respond(method, target).bytes(includeBody: method != "HEAD"), now: now)
                case .refuse(let status):
                    return startWriting(&connection, HTTPResponse.refusal(status).bytes(), now: now)
                }
            }
            connection.phase = .reading(parser)
        case .writing(let bytes, let sent):
            if events & Int16(POLLERR | POLLHUP) != 0 { return finish(&connection) }
            write(&connection, bytes, sent: sent, now: now)
        case .lingering:
            for _ in 0..<16 {
                let count = scratch.withUnsafeMutableBytes { recv(connection.descriptor, $0.baseAddress, $0.count, 0) }
                if count < 0, errno == EAGAIN || errno == EINTR { return }
                if count <= 0 { return finish(&connection) }
            }
        }
    }

    private func startWriting(_ connection: inout Connection, _ bytes: [UInt8], now: UInt64) {
        connection.deadline = now + limits.writeTimeoutNanoseconds
        write(&connection, bytes, sent: 0, now: now)
    }

    private func write(_ connection: inout Connection, _ bytes: [UInt8], sent: Int, now: UInt64) {
        var sent = sent
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(connection.descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count > 0 {
                sent += count
            } else if count < 0, errno == EAGAIN || errno == EINTR {
                connection.phase = .writing(bytes, sent: sent)
                return
            } else {
                return finish(&connection)
            }
        }
        shutdown(connection.descriptor, Int32(SHUT_WR))
        connection.phase = .lingering
        connection.deadline = now + limits.lingerNanoseconds
    }

    private func finish(_ connection: inout Connection) {
        close(connection.descriptor)
        connection.descriptor = -1
    }

    /// Past its deadline: a request still arriving gets 408 (one try, never waiting), anything else just closes.
    private func expire(now: UInt64) {
        for index in connections.indices where connections[index].descriptor >= 0 && connections[index].deadline <= now {
            if case .reading = connections[index].phase {
                let refusal = HTTPResponse.refusal(.requestTimeout).bytes()
                _ = refusal.withUnsafeBytes {
                    send(connections[index].descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                }
            }
            finish(&connections[index])
        }
    }

    /// Takes what the backlog holds, a bounded number per turn.
    private func acceptPending(now: UInt64) {
        for _ in 0..<32 {
            let descriptor = accept(listener, nil, nil)
            if descriptor >= 0 {
                SocketIO.makeNonBlocking(descriptor)
                if connections.count >= limits.maxConnections { closeOldest() }
                connections.append(
                    Connection(
                        descriptor: descriptor, phase: .reading(RequestHeadParser(limits: limits)),
                        deadline: now + limits.headerTimeoutNanoseconds))
                continue
            }
            let code = errno
            switch code {
            case EAGAIN, EWOULDBLOCK:
                return
            case EINTR, ECONNABORTED, EPROTO, EPERM, ENETDOWN, ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH, EOPNOTSUPP,
                ENETUNREACH:
                continue
            default:
                // EMFILE, ENFILE, ENOBUFS, ENOMEM: out of descriptors or memory.
                if !warnedAboutDescriptors {
                    warnedAboutDescriptors = true
                    warn(
                        "warning: metrics endpoint: accept failed (\(SocketIO.describe(code))): out of file descriptors or memory;"
                            + " it closes its oldest connection to make room, or pauses accepting for a moment, and keeps listening"
                            + " (said once)")
                }
                if connections.isEmpty {
                    acceptPausedUntil = now + limits.acceptBackoffNanoseconds
                    return
                }
                closeOldest()
            }
        }
    }

    private func closeOldest() {
        guard !connections.isEmpty else { return }
        close(connections.removeFirst().descriptor)
    }
}
