#if canImport(Glibc)
import Glibc
#endif
import SynShadowCore
import SynShadowTracer
import Synchronization

/// Where lines go: events and findings to stdout, buffered and written once
/// per drained batch (so a pipe sees them live without a syscall per line),
/// diagnostics to stderr at once.
enum Terminal {
    private static let pending = Mutex(LineBuffer(capacity: 1 << 17))

    static func output(_ line: String) {
        output { $0.append(line) }
    }

    /// One line formatted by `body` straight into the buffer (no String per line).
    static func output(_ body: (inout LineBuffer) -> Void) {
        pending.withLock { buffer in
            body(&buffer)
            buffer.append(0x0a)
            if buffer.count >= 1 << 16 {
                buffer.withUnsafeBytes { writeAll(1, $0) }
                buffer.removeAll()
            }
        }
    }

    static func flush() {
        pending.withLock { buffer in
            buffer.withUnsafeBytes { writeAll(1, $0) }
            buffer.removeAll()
        }
    }

    /// One diagnostic line; whatever it quotes (a file name, a guest's
    /// console, a recorded host name) reaches the terminal escaped.
    static func note(_ line: String) {
        flush()
        Array(("synshadow: " + line.terminalSafe + "\n").utf8).withUnsafeBytes { writeAll(2, $0) }
    }

    /// Prints a start-up failure as one line, plus the kernel's log with --verbose.
    static func fail(_ error: SessionError, verbose: Bool) -> Int32 {
        note("error: \(error)")
        if verbose, let detail = error.detail, !detail.isEmpty {
            Array(detail.utf8).withUnsafeBytes { writeAll(2, $0) }
        }
        return 1
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written <= 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }
}
