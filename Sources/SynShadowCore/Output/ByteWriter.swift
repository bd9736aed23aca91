/// A write cursor into memory a `LineBuffer` has already reserved: every
/// byte of a line is stored without a bounds, capacity or uniqueness check,
/// which is what lets `trace` print an event in about a hundred nanoseconds.
/// Only `LineBuffer.write(reserving:_:)` makes one, with room for what its
/// body may write; the body must stay within that bound.
public struct ByteWriter {
    @usableFromInline var cursor: UnsafeMutablePointer<UInt8>

    @usableFromInline init(cursor: UnsafeMutablePointer<UInt8>) {
        self.cursor = cursor
    }

    /// Where the next byte goes: a column's start, for `pad(from:to:)`.
    @inlinable public var position: UnsafeMutablePointer<UInt8> { cursor }

    @inlinable @inline(__always)
    public mutating func write(_ byte: UInt8) {
        cursor.pointee = byte
        cursor += 1
    }

    @inlinable @inline(__always)
    public mutating func write(_ literal: StaticString) {
        if literal.hasPointerRepresentation {
            copy(UnsafeRawPointer(literal.utf8Start), count: literal.utf8CodeUnitCount)
        } else {
            literal.withUTF8Buffer { copy(UnsafeRawPointer($0.baseAddress!), count: $0.count) }
        }
    }

    @inlinable
    public mutating func write(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        copy(base, count: bytes.count)
    }

    /// Copies `count` bytes. The field names and values of a line are a few
    /// to a few dozen bytes each: word moves cost less than a call to memmove.
    @inlinable @inline(__always)
    mutating func copy(_ source: UnsafeRawPointer, count: Int) {
        let target = UnsafeMutableRawPointer(cursor)
        if count >= 8 {
            var offset = 0
            while offset < count &- 8 {
                target.storeBytes(
                    of: source.loadUnaligned(fromByteOffset: offset, as: UInt64.self), toByteOffset: offset, as: UInt64.self)
                offset &+= 8
            }
            // The last eight bytes, overlapping what was copied already.
            target.storeBytes(
                of: source.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self), toByteOffset: count &- 8,
                as: UInt64.self)
        } else if count >= 4 {
            target.storeBytes(of: source.loadUnaligned(as: UInt32.self), as: UInt32.self)
            target.storeBytes(
                of: source.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self), toByteOffset: count &- 4,
                as: UInt32.self)
        } else {
            var offset = 0
            while offset < count {
                target.storeBytes(of: source.load(fromByteOffset: offset, as: UInt8.self), toByteOffset: offset, as: UInt8.self)
                offset &+= 1
            }
        }
        cursor += count
    }

    /// Trusted text (names the program itself chose, or the kernel's).
    @inlinable
    public mutating func write(_ text: String) {
        let copied: Void? = text.utf8.withContiguousStorageIfAvailable { write(UnsafeRawBufferPointer($0)) }
        if copied == nil {
            for byte in text.utf8 { write(byte) }
        }
    }

    /// Fills with spaces up to `width` bytes from `start` (a right-padded column).
    @inlinable
    public mutating func pad(from start: UnsafeMutablePointer<UInt8>, to width: Int) {
        let used = cursor - start
        guard used < width else { return }
        cursor.initialize(repeating: 0x20, count: width - used)
        cursor += width - used
    }

    /// Takes back the spaces that end what was written since `start`.
    public mutating func trimTrailingSpaces(from start: UnsafeMutablePointer<UInt8>) {
        while cursor > start, cursor[-1] == 0x20 { cursor -= 1 }
    }

    // MARK: Numbers

    public mutating func writeDecimal(_ value: UInt64) {
        if value < 10 {
            write(0x30 &+ UInt8(truncatingIfNeeded: value))
            return
        }
        // Written backwards from the last digit.
        let digits = ByteWriter.decimalDigitCount(value)
        var rest = value
        var index = digits
        while index > 0 {
            index -= 1
            cursor[index] = 0x30 &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        }
        cursor += digits
    }

    public mutating func writeDecimal(_ value: Int64) {
        if value < 0 { write(0x2d) }
        writeDecimal(value.magnitude)
    }

    /// Lower-case hexadecimal without a prefix.
    public mutating func writeHex(_ value: UInt64) {
        if value == 0 {
            write(0x30)
            return
        }
        let nibbles = (64 - value.leadingZeroBitCount + 3) / 4
        var shift = UInt64(nibbles - 1) * 4
        for _ in 0..<nibbles {
            write(ByteWriter.hexDigit(UInt8(truncatingIfNeeded: value >> shift) & 0xf))
            shift &-= 4
        }
    }

    /// "0" for zero (an unknown kernel address), else "0x...".
    public mutating func writeAddress(_ value: UInt64) {
        if value != 0 {
            write(0x30)
            write(0x78)
        }
        writeHex(value)
    }

    /// Seconds with six decimals, from signed nanoseconds (rounded to the microsecond).
    public mutating func writeSeconds(nanoseconds: Int64) {
        let micros = (nanoseconds + (nanoseconds >= 0 ? 500 : -500)) / 1000
        if micros < 0 { write(0x2d) }
        let magnitude = micros.magnitude
        writeDecimal(magnitude / 1_000_000)
        write(0x2e)
        var fraction = magnitude % 1_000_000
        var index = 6
        while index > 0 {
            index -= 1
            cursor[index] = 0x30 &+ UInt8(truncatingIfNeeded: fraction % 10)
            fraction /= 10
        }
        cursor += 6
    }

    // MARK: Addresses

    /// An IP address in its family's text form (RFC 5952 for IPv6).
    public mutating func writeIP(_ address: IPAddress, family: AddressFamily) {
        switch family {
        case .ipv4:
            for index in 0..<4 {
                if index > 0 { write(0x2e) }
                writeDecimal(UInt64(UInt8(truncatingIfNeeded: address.high >> (8 * UInt64(index)))))
            }
        case .ipv6:
            writeIPv6(address)
        case .none:
            write(0x2d)
        }
    }

    /// "addr:port", or "[addr]:port" for IPv6.
    public mutating func writeEndpoint(_ address: IPAddress, _ port: UInt16, family: AddressFamily) {
        if family == .ipv6 { write(0x5b) }
        writeIP(address, family: family)
        if family == .ipv6 { write(0x5d) }
        write(0x3a)
        writeDecimal(UInt64(port))
    }

    private mutating func writeIPv6(_ address: IPAddress) {
        // Network order in memory: each group's first byte is its high half.
        func group(_ index: Int) -> UInt16 {
            let word = index < 4 ? address.high : address.low
            return UInt16(truncatingIfNeeded: word >> (UInt64(index % 4) * 16)).byteSwapped
        }
        // The longest run of two or more zero groups becomes "::" (the first such run on a tie).
        var bestStart = -1
        var bestLength = 0
        var index = 0
        while index < 8 {
            guard group(index) == 0 else {
                index += 1
                continue
            }
            var end = index
            while end < 8, group(end) == 0 { end += 1 }
            if end - index > bestLength, end - index >= 2 {
                bestStart = index
                bestLength = end - index
            }
            index = end
        }
        index = 0
        while index < 8 {
            if index == bestStart {
                write(0x3a)
                write(0x3a)
                index += bestLength
                continue
            }
            if index > 0 && index != bestStart + bestLength { write(0x3a) }
            writeHex(UInt64(group(index)))
            index += 1
        }
    }

    // MARK: Untrusted text

    /// The most bytes `writeJSONString` or `writeDisplay` writes for `count` input bytes.
    @inlinable
    public static func escapedBound(_ count: Int) -> Int { count &* 6 &+ 2 }

    /// A JSON string literal; any bytes, escaped as RFC 8259 requires (and DEL).
    public mutating func writeJSONString(_ text: UnsafeRawBufferPointer) {
        write(0x22)
        for byte in text {
            switch byte {
            case 0x22:
                write(0x5c)
                write(0x22)
            case 0x5c:
                write(0x5c)
                write(0x5c)
            case 0x0a:
                write(0x5c)
                write(0x6e)
            case 0x0d:
                write(0x5c)
                write(0x72)
            case 0x09:
                write(0x5c)
                write(0x74)
            case 0..<0x20, 0x7f:
                write("\\u00")
                write(ByteWriter.hexDigit(byte >> 4))
                write(ByteWriter.hexDigit(byte & 0xf))
            default:
                write(byte)
            }
        }
        write(0x22)
    }

    public mutating func writeJSONString(_ text: String) {
        let copied: Void? = text.utf8.withContiguousStorageIfAvailable { writeJSONString(UnsafeRawBufferPointer($0)) }
        if copied == nil { Array(text.utf8).withUnsafeBytes { writeJSONString($0) } }
    }

    /// Untrusted text for a terminal (process names, host names, cgroup
    /// paths): ASCII controls and DEL become `\xNN`; each run of non-ASCII
    /// bytes is kept where it is valid UTF-8, its C1 controls become `\xNN`,
    /// and what does not decode becomes `\x??`. No escape sequence reaches
    /// the terminal.
    public mutating func writeDisplay(_ text: UnsafeRawBufferPointer) {
        var index = 0
        let count = text.count
        while index < count {
            let byte = text[index]
            if byte >= 0x20 && byte < 0x7f {
                write(byte)
                index += 1
            } else if byte < 0x80 {
                writeEscaped(UInt32(byte))
                index += 1
            } else {
                var end = index + 1
                while end < count, text[end] >= 0x80 { end += 1 }
                writeNonASCII(UnsafeRawBufferPointer(rebasing: text[index..<end]))
                index = end
            }
        }
    }

    public mutating func writeDisplay(_ text: String) {
        let copied: Void? = text.utf8.withContiguousStorageIfAvailable { writeDisplay(UnsafeRawBufferPointer($0)) }
        if copied == nil { Array(text.utf8).withUnsafeBytes { writeDisplay($0) } }
    }

    /// One run of bytes of 0x80 and above, decoded as a unit.
    private mutating func writeNonASCII(_ run: UnsafeRawBufferPointer) {
        var iterator = run.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                if scalar.value < 0x20 || scalar.value == 0x7f || (0x80..<0xa0).contains(scalar.value) {
                    writeEscaped(scalar.value)
                } else {
                    UTF8.encode(scalar) { write($0) }
                }
            case .emptyInput:
                return
            case .error:
                write("\\x??")
            }
        }
    }

    private mutating func writeEscaped(_ value: UInt32) {
        if value > 0xff {
            write(0x5c)
            write(0x75)
            writeHex(UInt64(value))
            return
        }
        write(0x5c)
        write(0x78)
        write(ByteWriter.hexDigit(UInt8(value >> 4)))
        write(ByteWriter.hexDigit(UInt8(value & 0xf)))
    }

    @inline(__always)
    static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble }

    @inline(__always)
    static func decimalDigitCount(_ value: UInt64) -> Int {
        var count = 1
        var rest = value
        while rest >= 10_000 {
            rest /= 10_000
            count += 4
        }
        if rest >= 1_000 { return count + 3 }
        if rest >= 100 { return count + 2 }
        if rest >= 10 { return count + 1 }
        return count
    }
}
