#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// What the process writes on stderr while it is held (fd 2 pointed at a
/// pipe), for tests of the warnings an operator reads there.
final class StandardErrorCapture: Sendable {
    private let saved: Int32
    private let writeEnd: Int32
    private let text = Mutex<[UInt8]>([])
    private let done = DispatchSemaphore(value: 0)

    init() {
        var ends: [Int32] = [0, 0]
        pipe(&ends)
        saved = dup(2)
        writeEnd = ends[1]
        dup2(ends[1], 2)
        let readEnd = ends[0]
        Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                if count <= 0 { break }
                text.withLock { $0 += buffer[0..<count] }
            }
            close(readEnd)
            done.signal()
        }.start()
    }

    /// Puts stderr back and returns what was written meanwhile.
    func stop() -> String {
        dup2(saved, 2)
        close(saved)
        close(writeEnd)
        _ = done.wait(timeout: .now() + 2)
        let captured = String(decoding: text.withLock { $0 }, as: UTF8.self)
        FileHandle.standardError.write(Data(captured.utf8))
        return captured
    }
}
