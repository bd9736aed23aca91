#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SynShadowCore

/// Standard output, written by a thread of its own so that a slow reader
/// (a pipe into `pv -L 1k`, a terminal over a slow link) never holds the
/// drain, the model or the exit hostage.
///
/// The drain thread formats into a bounded buffer and moves on. Past the
/// bound, event lines are shed and counted; findings, counters and loss
/// lines are kept up to a larger bound, then shed and counted too. Kernel
/// events are never what gives way: output is. The counts are reported in
/// the summary, apart from the kernel's own loss.
final class OutputQueue: @unchecked Sendable {
    struct Shed: Equatable {
        var eventLines: UInt64 = 0
        var otherLines: UInt64 = 0
        var total: UInt64 { eventLines + otherLines }
    }

    /// The writer waits for this much output, or for `flushDelay`, before a
    /// write: a busy trace makes a few hundred large writes a second instead
    /// of a wake-up and a small write per drained batch.
    static let flushBytes = 256 << 10
    /// How late a line may reach the reader when output is slow to come.
    static let flushDelay = 0.05

    private let descriptor: Int32
    private let eventLimit: Int
    private let hardLimit: Int
    private let condition = NSCondition()
    private var pending = LineBuffer(capacity: 1 << 16)
    private var closing = false
    private var writerDone = false
    private var shed = Shed()
    private var broken = false
    private var writer: Thread?

    /// `limitBytes` of unwritten event lines at most; four times that for
    /// the lines that must not be lost lightly.
    init(descriptor: Int32 = 1, limitBytes: Int = 8 << 20) {
        self.descriptor = descriptor
        eventLimit = limitBytes
        hardLimit = limitBytes * 4
        // Holds the queue until it has written everything (or the reader went away).
        let thread = Thread { self.writeLoop() }
        thread.name = "synshadow-output"
        writer = thread
        thread.start()
    }

    /// Appends event lines formatted by `body` (each ending in a newline),
    /// or sheds them, counting `lines`, when the reader is too far behind.
    func appendEvents(lines: Int, _ body: (inout LineBuffer) -> Void) {
        append(lines: lines, limit: eventLimit, isEvent: true, body)
    }

    /// Appends one line that matters more than an event (a finding, a
    /// counters reading, a loss report).
    func appendLine(_ line: String) {
        append(lines: 1, limit: hardLimit, isEvent: false) { buffer in
            buffer.append(line)
            buffer.append(0x0a)
        }
    }

    /// True once standard output is closed (EPIPE): nobody reads any more.
    var isBroken: Bool {
        condition.lock()
        defer { condition.unlock() }
        return broken
    }

    var shedLines: Shed {
        condition.lock()
        defer { condition.unlock() }
        return shed
    }

    /// Stops taking lines and gives the writer up to `seconds` to write what
    /// is buffered. Returns what was shed, and the bytes left unwritten when
    /// the reader did not keep up even then.
    @discardableResult
    func finish(within seconds: Double) -> (shed: Shed, unwrittenBytes: Int) {
        condition.lock()
        closing = true
        condition.broadcast()
        let deadline = Date(timeIntervalSinceNow: seconds)
        while !writerDone {
            if !condition.wait(until: deadline) { break }
        }
        let result = (shed, writerDone ? 0 : pending.count)
        condition.unlock()
        return result
    }

    private func append(lines: Int, limit: Int, isEvent: Bool, _ body: (inout LineBuffer) -> Void) {
        condition.lock()
        defer { condition.unlock() }
        if closing || broken || pending.count >= limit {
            if isEvent { shed.eventLines &+= UInt64(lines) } else { shed.otherLines &+= UInt64(lines) }
            return
        }
        let before = pending.count
        body(&pending)
        // Wake the writer to start its delay, and again when a write's worth is in.
        if before == 0 || (before < Self.flushBytes && pending.count >= Self.flushBytes) { condition.signal() }
    }

    private func writeLoop() {
        var writing = LineBuffer(capacity: 1 << 16)
        while true {
            condition.lock()
            while pending.isEmpty && !closing { condition.wait() }
            if !closing && pending.count < Self.flushBytes {
                let deadline = Date(timeIntervalSinceNow: Self.flushDelay)
                while !closing && pending.count < Self.flushBytes {
                    if !condition.wait(until: deadline) { break }
                }
            }
            if pending.isEmpty && closing {
                writerDone = true
                condition.broadcast()
                condition.unlock()
                return
            }
            swap(&pending, &writing)
            condition.unlock()
            let ok = writing.withUnsafeBytes { writeAll($0) }
            writing.removeAll()
            if !ok {
                condition.lock()
                broken = true
                pending.removeAll()
                writerDone = true
                condition.broadcast()
                condition.unlock()
                return
            }
        }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }
}
