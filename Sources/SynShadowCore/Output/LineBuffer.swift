/// Output text built as bytes in one reused, growing array: a line reserves
/// room once, then a `ByteWriter` stores its bytes with no per-byte check,
/// allocation or String interpolation (`trace --json` on a busy server
/// prints hundreds of thousands of lines a second).
///
/// The array is kept fully initialized (zeros past `count`) so that the
/// buffer stays a plain copy-on-write value.
public struct LineBuffer: Sendable {
    private var storage: [UInt8]
    /// Bytes written so far; the rest of `storage` is room.
    public private(set) var count = 0

    public init(capacity: Int = 512) {
        storage = [UInt8](repeating: 0, count: Swift.max(capacity, 64))
    }

    public var isEmpty: Bool { count == 0 }

    public mutating func removeAll() { count = 0 }

    /// The bytes as text (a String only where a caller needs one).
    public var text: String { String(decoding: storage[0..<count], as: UTF8.self) }

    /// The bytes written, for a write(2) of the whole buffer.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try storage.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }

    /// Runs `body` with a cursor that has room for `maximum` bytes, and keeps
    /// what it wrote. `body` must not write more than `maximum` bytes (the
    /// writer does not check); a line that did is a fatal error.
    @inlinable
    public mutating func write(reserving maximum: Int, _ body: (inout ByteWriter) -> Void) {
        let start = reserve(maximum)
        let end = withStorage { base in
            var writer = ByteWriter(cursor: base + start)
            body(&writer)
            return writer.cursor - base
        }
        precondition(end - start <= maximum, "a line overran the room it reserved")
        commit(end)
    }

    /// Makes room for `maximum` more bytes; returns where they start.
    @usableFromInline
    mutating func reserve(_ maximum: Int) -> Int {
        if storage.count - count < maximum {
            storage.append(contentsOf: repeatElement(0, count: Swift.max(storage.count, maximum)))
        }
        return count
    }

    @usableFromInline
    mutating func withStorage(_ body: (UnsafeMutablePointer<UInt8>) -> Int) -> Int {
        storage.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    }

    @usableFromInline
    mutating func commit(_ end: Int) { count = end }

    // MARK: Single values (each reserves its own room)

    public mutating func append(_ byte: UInt8) {
        if count == storage.count { _ = reserve(1) }
        storage[count] = byte
        count += 1
    }

    public mutating func append(_ literal: StaticString) {
        write(reserving: literal.utf8CodeUnitCount) { $0.write(literal) }
    }

    /// Trusted text (names the program itself chose).
    public mutating func append(_ text: String) {
        write(reserving: text.utf8.count) { $0.write(text) }
    }

    public mutating func appendDecimal(_ value: UInt64) {
        write(reserving: 20) { $0.writeDecimal(value) }
    }

    public mutating func appendDecimal(_ value: Int64) {
        write(reserving: 21) { $0.writeDecimal(value) }
    }

    /// Lower-case hexadecimal without a prefix.
    public mutating func appendHex(_ value: UInt64) {
        write(reserving: 16) { $0.writeHex(value) }
    }

    /// "0" for zero (an unknown kernel address), else "0x...".
    public mutating func appendAddress(_ value: UInt64) {
        write(reserving: 18) { $0.writeAddress(value) }
    }

    /// A right-padded column.
    public mutating func pad(from start: Int, to width: Int) {
        let used = count - start
        guard used < width else { return }
        write(reserving: width - used) { $0.pad(from: $0.position, to: width - used) }
    }

    /// Seconds with six decimals, from signed nanoseconds.
    public mutating func appendSeconds(nanoseconds: Int64) {
        write(reserving: 28) { $0.writeSeconds(nanoseconds: nanoseconds) }
    }

    /// An IP address in its family's text form (RFC 5952 for IPv6).
    public mutating func appendIP(_ address: IPAddress, family: AddressFamily) {
        write(reserving: 40) { $0.writeIP(address, family: family) }
    }

    /// "addr:port", or "[addr]:port" for IPv6.
    public mutating func appendEndpoint(_ address: IPAddress, _ port: UInt16, family: AddressFamily) {
        write(reserving: 48) { $0.writeEndpoint(address, port, family: family) }
    }

    /// A JSON string literal; any text, escaped as RFC 8259 requires.
    public mutating func appendJSONString<Bytes: Sequence<UInt8>>(_ text: Bytes) {
        let bytes = Array(text)
        write(reserving: ByteWriter.escapedBound(bytes.count)) { writer in
            bytes.withUnsafeBytes { writer.writeJSONString($0) }
        }
    }

    public mutating func appendJSONString(_ text: String) {
        write(reserving: ByteWriter.escapedBound(text.utf8.count)) { $0.writeJSONString(text) }
    }

    /// Untrusted text for a terminal (process names, host names): control
    /// characters, DEL and bytes that are not valid UTF-8 become `\xNN`, so
    /// no escape sequence reaches the terminal.
    public mutating func appendDisplay<Bytes: Sequence<UInt8>>(_ text: Bytes) {
        let bytes = Array(text)
        write(reserving: ByteWriter.escapedBound(bytes.count)) { writer in
            bytes.withUnsafeBytes { writer.writeDisplay($0) }
        }
    }

    public mutating func trimTrailingSpaces() {
        while count > 0, storage[count - 1] == 0x20 { count -= 1 }
    }
}

extension ProcessName {
    /// The name's bytes, up to its NUL (no allocation).
    public func withBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        var words = (first, second)
        return Swift.withUnsafeBytes(of: &words) { raw in
            let length = raw.firstIndex(of: 0) ?? 16
            return body(UnsafeRawBufferPointer(rebasing: raw[0..<length]))
        }
    }
}
