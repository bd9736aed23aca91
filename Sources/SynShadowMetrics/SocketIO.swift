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
