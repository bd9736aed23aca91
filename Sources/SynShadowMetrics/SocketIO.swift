#if canImport(Glibc)
import Glibc
#endif

/// The few POSIX calls the endpoint and the OTLP client share: clocks, a
/// bounded wait on one descriptor, and errno as words.
enum SocketIO {
    static func monotonicNanoseconds() -> UInt64 { now(CLOCK_MONOTONIC) }

    /// Since 1970, for OTLP timestamps.
    static func wallNanoseconds() -> UInt64 { now(CLOCK_REALTIME) }

    private static func now(_ clock: clockid_t) -> UInt64 {
        var time = timespec()
        clock_gettime(clock, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }

    /// Waits until `descriptor` is ready for `events` or the monotonic `deadline` passes.
    static func wait(_ descriptor: Int32, for events: Int16, until deadline: UInt64) -> Bool {
        while true {
            let now = monotonicNanoseconds()
            guard now < deadline else { return false }
            var entry = pollfd(fd: descriptor, events: events, revents: 0)
            let milliseconds = Int32(clamping: (deadline - now + 999_999) / 1_000_000)
            let ready = poll(&entry, 1, milliseconds)
            if ready > 0 { return true }
            if ready < 0, errno != EINTR { return false }
        }
    }

    /// Sends all of `bytes` on a non-blocking socket, waiting for room until
    /// the monotonic `deadline`: how many were sent, and the errno that
    /// stopped it (ETIMEDOUT when the deadline passed first).
    static func send(_ bytes: [UInt8], on descriptor: Int32, until deadline: UInt64) -> (sent: Int, error: Int32?) {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count > 0 {
                sent += count
            } else if count < 0, errno == EAGAIN || errno == EINTR {
                guard wait(descriptor, for: Int16(POLLOUT), until: deadline) else { return (sent, ETIMEDOUT) }
            } else {
                return (sent, count == 0 ? EPIPE : errno)
            }
        }
        return (sent, nil)
    }

    /// Non-blocking and closed on exec (Glibc's module has no accept4 or pipe2).
    static func makeNonBlocking(_ descriptor: Int32) {
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
    }

    /// "connection refused", from ECONNREFUSED.
    static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        let words = String(cString: text)
        return words.prefix(1).lowercased() + words.dropFirst()
    }
}
