import Foundation
import Glibc
import SynShadowCore
import Testing

@testable import synshadow

/// Standard output written by its own thread, in large writes: every line
/// reaches a file whole and in order, and a lone line is not held back.
@Suite struct OutputQueueTests {
    private func temporaryFile() -> (descriptor: Int32, path: String) {
        let path = NSTemporaryDirectory() + "synshadow-output-\(getpid())-\(UInt64.random(in: 0...UInt64.max)).txt"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        return (descriptor, path)
    }

    private func contents(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    @Test func everyLineReachesAFileInOrder() {
        let (descriptor, path) = temporaryFile()
        defer {
            close(descriptor)
            unlink(path)
        }
        let queue = OutputQueue(descriptor: descriptor)
        var expected = ""
        for batch in 0..<2_000 {
            queue.appendEvents(lines: 10) { buffer in
                for line in 0..<10 {
                    buffer.append("event ")
                    buffer.appendDecimal(UInt64(batch * 10 + line))
                    buffer.append(" padding to make the line as long as a text event line is, about a hundred bytes")
                    buffer.append(0x0a)
                }
            }
            for line in 0..<10 {
                expected += "event \(batch * 10 + line) padding to make the line as long as a text event line is, about a hundred bytes\n"
            }
            if batch % 500 == 0 {
                queue.appendLine("finding \(batch)")
                expected += "finding \(batch)\n"
            }
        }
        let result = queue.finish(within: 10)
        #expect(result.shed == OutputQueue.Shed())
        #expect(result.unwrittenBytes == 0)
        #expect(contents(path) == expected)
    }

    /// Writes wait for a large chunk, but not for long: someone following
    /// the output sees a quiet trace's lines within a fraction of a second.
    @Test func aLoneLineIsWrittenWithoutMoreOutput() {
        let (descriptor, path) = temporaryFile()
        defer {
            close(descriptor)
            unlink(path)
        }
        let queue = OutputQueue(descriptor: descriptor)
        queue.appendLine("only line")
        let deadline = Date(timeIntervalSinceNow: 2)
        while contents(path).isEmpty && Date() < deadline { usleep(10_000) }
        #expect(contents(path) == "only line\n")
        queue.finish(within: 1)
    }
}
