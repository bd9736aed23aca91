/// A bounded read window over a byte source: makes the next `count` bytes
/// contiguous, where `count` is always capped by the format's limits, so
/// memory stays bounded whatever lengths a damaged file declares.
final class TraceInput {
    private var source: any TraceByteSource
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    /// Valid bytes are buffer[start..<end]; `base` is the file offset of buffer[0].
    private var start = 0
    private var end = 0
    private var base = 0
    private var exhausted = false

    init(source: any TraceByteSource) {
        self.source = source
        capacity = 64 * 1024
        buffer = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit {
        buffer.deallocate()
        source.close()
    }

    /// The file offset of the next unconsumed byte.
    var offset: Int { base + start }

    /// The unconsumed bytes at hand (valid until the next call).
    func bytes(_ count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: buffer + start, count: count)
    }

    func consume(_ count: Int) { start += count }

    /// Makes up to `count` bytes contiguous; returns how many are at hand
    /// (fewer only at the end of the input).
    func available(atLeast count: Int) throws(TraceFileError) -> Int {
        if end - start >= count { return end - start }
        if start > 0 {
            buffer.copyMemory(from: buffer + start, byteCount: end - start)
            base += start
            end -= start
            start = 0
        }
        if count > capacity {
            let bigger = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 16)
            bigger.copyMemory(from: buffer, byteCount: end)
            buffer.deallocate()
            buffer = bigger
            capacity = count
        }
        while end < count && !exhausted {
            let read = try source.read(into: UnsafeMutableRawBufferPointer(start: buffer + end, count: capacity - end))
            if read == 0 { exhausted = true }
            end += read
        }
        return end - start
    }
}
