#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a writer's bytes go: a file descriptor or memory.
protocol TraceByteSink: AnyObject {
    func write(_ bytes: [UInt8]) throws(TraceFileError)
    func close() throws(TraceFileError)
}

/// A file open for writing (see `TraceOutputFile`), closed by the sink.
final class FileByteSink: TraceByteSink {
    private var descriptor: Int32
    private var position = 0

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    func write(_ bytes: [UInt8]) throws(TraceFileError) {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { raw in
                #if canImport(Glibc)
                Glibc.write(descriptor, raw.baseAddress! + written, raw.count - written)
                #else
                Darwin.write(descriptor, raw.baseAddress! + written, raw.count - written)
                #endif
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw .io(offset: position + written, reason: systemError())
            }
            written += count
        }
        position += written
    }

    func close() throws(TraceFileError) {
        guard descriptor >= 0 else { return }
        #if canImport(Glibc)
        let result = Glibc.close(descriptor)
        #else
        let result = Darwin.close(descriptor)
        #endif
        descriptor = -1
        if result != 0 { throw .io(offset: position, reason: systemError()) }
    }

    deinit {
        if descriptor >= 0 { try? close() }
    }
}

/// Collects the bytes in memory.
final class MemoryByteSink: TraceByteSink {
    private(set) var bytes: [UInt8] = []

    func write(_ bytes: [UInt8]) throws(TraceFileError) {
        self.bytes.append(contentsOf: bytes)
    }

    func close() throws(TraceFileError) {}
}
