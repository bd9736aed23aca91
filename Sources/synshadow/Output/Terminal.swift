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
    private static let pending = Mutex<[UInt8]>([])

    static func output(_ line: String) {
        pending.withLock { buffer in
            buffer.append(contentsOf: line.utf8)
            buffer.append(0x0a)
            if buffer.count >= 1 << 16 { writeAll(1, buffer); buffer.removeAll(keepingCapacity: true) }
        }
    }

    static func flush() {
        pending.withLock { buffer in
            writeAll(1, buffer)
            buffer.removeAll(keepingCapacity: true)
        }
    }

    /// One diagnostic line; whatever it quotes (a file name, a guest's
    /// console, a recorded host name) reaches the terminal escaped.
    static func note(_ line: String) {
        flush()
        writeAll(2, Array(("synshadow: " + line.terminalSafe + "\n").utf8))
    }

    /// Prints a start-up failure as one line, plus the kernel's log with --verbose.
    static func fail(_ error: SessionError, verbose: Bool) -> Int32 {
        note("error: \(error)")
        if verbose, let detail = error.detail, !detail.isEmpty {
            writeAll(2, Array(detail.utf8))
        }
        return 1
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written <= 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }
}
