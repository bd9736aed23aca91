#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a reader's bytes come from: a file descriptor or memory. Reads
/// fill a caller's buffer, so memory stays bounded whatever the file says.
protocol TraceByteSource {
    /// Reads up to `buffer.count` bytes; 0 means end of input.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(TraceFileError) -> Int
    func close()
}

/// A file opened read-only, or a descriptor already open (standard input).
final class FileByteSource: TraceByteSource {
    private let descriptor: Int32
    private var position = 0

    /// Opening a FIFO blocks until a writer opens it, silently and for ever
    /// if none comes: so it is opened without blocking, and given
    /// `writerTimeout` seconds to deliver its first byte (or its end).
    init(path: String, writerTimeout: Int32) throws(TraceFileError) {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw .io(offset: 0, reason: "cannot open \(path): \(systemError())") }
        self.descriptor = descriptor
        var info = stat()
        if fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFIFO {
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            var ready: Int32
            repeat { ready = poll(&entry, 1, writerTimeout * 1000) } while ready < 0 && errno == EINTR
            if ready == 0 {
                close()
                throw .io(offset: 0, reason: "no writer opened the FIFO \(path) within \(writerTimeout) s")
            }
        }
        // Reads block from here on, as for any file.
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) & ~O_NONBLOCK)
    }

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(TraceFileError) -> Int {
        while true {
            #if canImport(Glibc)
            let count = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            #else
            let count = Darwin.read(descriptor, buffer.baseAddress, buffer.count)
            #endif
            if count >= 0 {
                position += count
                return count
            }
            if errno == EINTR { continue }
            throw .io(offset: position, reason: systemError())
        }
    }

    func close() {
        #if canImport(Glibc)
        _ = Glibc.close(descriptor)
        #else
        _ = Darwin.close(descriptor)
        #endif
    }
}

/// Bytes already in memory (tests, fuzzing, piped input).
struct MemoryByteSource: TraceByteSource {
    private let bytes: [UInt8]
    private var position = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(TraceFileError) -> Int {
        let count = min(buffer.count, bytes.count - position)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + position, byteCount: count)
        }
        position += count
        return count
    }

    func close() {}
}

func systemError() -> String {
    String(cString: strerror(errno))
}
