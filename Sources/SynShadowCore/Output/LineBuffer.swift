/// Output text built as bytes: numbers, addresses and names are written
/// digit by digit into one reused array, so printing an event costs no
/// allocation and no String interpolation (`trace --json` on a busy server
/// prints hundreds of thousands of lines a second).
public struct LineBuffer: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 512) {
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }
    public var isEmpty: Bool { bytes.isEmpty }

    public mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    /// The bytes as text (a String only where a caller needs one).
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    @inline(__always)
    public mutating func append(_ byte: UInt8) { bytes.append(byte) }

    public mutating func append(_ literal: StaticString) {
        literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Trusted text (names the program itself chose).
    public mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    public mutating func appendDecimal(_ value: UInt64) {
        if value < 10 {
            bytes.append(0x30 &+ UInt8(value))
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 20 digits at most, written backwards
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { raw in
            while rest > 0 {
                raw[23 - count] = 0x30 &+ UInt8(rest % 10)
                rest /= 10
                count += 1
            }
        }
        withUnsafeBytes(of: &digits) { raw in
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[(24 - count)..<24]))
        }
    }

    public mutating func appendDecimal(_ value: Int64) {
        if value < 0 { bytes.append(0x2d) }
        appendDecimal(value.magnitude)
    }

    /// Lower-case hexadecimal without a prefix.
    public mutating func appendHex(_ value: UInt64) {
        if value == 0 {
            bytes.append(0x30)
            return
        }
        let nibbles = (64 - value.leadingZeroBitCount + 3) / 4
        for index in stride(from: nibbles - 1, through: 0, by: -1) {
            let nibble = UInt8(truncatingIfNeeded: value >> (UInt64(index) * 4)) & 0xf
            bytes.append(nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble)
        }
    }

    /// "0" for zero (an unknown kernel address), else "0x...".
    public mutating func appendAddress(_ value: UInt64) {
        if value != 0 { append("0x") }
        appendHex(value)
    }

    /// A right-padded column.
    public mutating func pad(from start: Int, to width: Int) {
        let used = bytes.count - start
        if used < width { bytes.append(contentsOf: repeatElement(0x20, count: width - used)) }
    }

    /// Seconds with six decimals, from signed nanoseconds.
    public mutating func appendSeconds(nanoseconds: Int64) {
        let micros = (nanoseconds + (nanoseconds >= 0 ? 500 : -500)) / 1000
        if micros < 0 { bytes.append(0x2d) }
        let magnitude = micros.magnitude
        appendDecimal(magnitude / 1_000_000)
        bytes.append(0x2e)
        let fraction = magnitude % 1_000_000
        var divisor: UInt64 = 100_000
        while divisor > 0 {
            bytes.append(0x30 &+ UInt8((fraction / divisor) % 10))
            divisor /= 10
        }
    }

    /// An IP address in its family's text form (RFC 5952 for IPv6).
    public mutating func appendIP(_ address: IPAddress, family: AddressFamily) {
        switch family {
        case .ipv4:
            for index in 0..<4 {
                if index > 0 { bytes.append(0x2e) }
                appendDecimal(UInt64(UInt8(truncatingIfNeeded: address.high >> (8 * UInt64(index)))))
            }
        case .ipv6:
            appendIPv6(address)
        case .none:
            bytes.append(0x2d)
        }
    }

    /// "addr:port", or "[addr]:port" for IPv6.
    public mutating func appendEndpoint(_ address: IPAddress, _ port: UInt16, family: AddressFamily) {
        if family == .ipv6 { bytes.append(0x5b) }
        appendIP(address, family: family)
        if family == .ipv6 { bytes.append(0x5d) }
        bytes.append(0x3a)
        appendDecimal(UInt64(port))
    }

    private mutating func appendIPv6(_ address: IPAddress) {
        var groups: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16) = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &groups) { raw in
            let words = raw.bindMemory(to: UInt16.self)
            for index in 0..<8 {
                let word = index < 4 ? address.high : address.low
                let shift = UInt64(index % 4) * 16
                // Network order in memory: the first byte is the high half.
                let pair = UInt16(truncatingIfNeeded: word >> shift)
                words[index] = pair.byteSwapped
            }
        }
        withUnsafeBytes(of: &groups) { raw in
            let words = raw.bindMemory(to: UInt16.self)
            // The longest run of two or more zero groups becomes "::".
            var bestStart = -1
            var bestLength = 0
            var index = 0
            while index < 8 {
                guard words[index] == 0 else {
                    index += 1
                    continue
                }
                var end = index
                while end < 8, words[end] == 0 { end += 1 }
                if end - index > bestLength, end - index >= 2 {
                    bestStart = index
                    bestLength = end - index
                }
                index = end
            }
            index = 0
            while index < 8 {
                if index == bestStart {
                    append("::")
                    index += bestLength
                    continue
                }
                if index > 0 && index != bestStart + bestLength { bytes.append(0x3a) }
                appendHex(UInt64(words[index]))
                index += 1
            }
        }
    }

    /// A JSON string literal; any text, escaped as RFC 8259 requires.
    public mutating func appendJSONString<Bytes: Sequence<UInt8>>(_ text: Bytes) {
        bytes.append(0x22)
        for byte in text {
            switch byte {
            case 0x22: append("\\\"")
            case 0x5c: append("\\\\")
            case 0x0a: append("\\n")
            case 0x0d: append("\\r")
            case 0x09: append("\\t")
            case 0..<0x20, 0x7f:
                append("\\u00")
                bytes.append(LineBuffer.hexDigit(byte >> 4))
                bytes.append(LineBuffer.hexDigit(byte & 0xf))
            default: bytes.append(byte)
            }
        }
        bytes.append(0x22)
    }

    public mutating func appendJSONString(_ text: String) { appendJSONString(text.utf8) }

    /// Untrusted text for a terminal (process names, host names): control
    /// characters, DEL and bytes that are not valid UTF-8 become `\xNN`, so
    /// no escape sequence reaches the terminal.
    public mutating func appendDisplay<Bytes: Sequence<UInt8>>(_ text: Bytes) {
        var pending: [UInt8] = []
        func flushValid(_ buffer: inout LineBuffer) {
            guard !pending.isEmpty else { return }
            // Keep valid UTF-8 as is; escape what does not decode.
            var iterator = pending.makeIterator()
            var decoder = UTF8()
            decoding: while true {
                switch decoder.decode(&iterator) {
                case .scalarValue(let scalar):
                    if scalar.value < 0x20 || scalar.value == 0x7f || (0x80..<0xa0).contains(scalar.value) {
                        buffer.appendEscaped(scalar.value)
                    } else {
                        buffer.bytes.append(contentsOf: String(scalar).utf8)
                    }
                case .emptyInput:
                    break decoding
                case .error:
                    buffer.append("\\x??")
                }
            }
            pending.removeAll()
        }
        for byte in text {
            if byte < 0x80 {
                flushValid(&self)
                if byte < 0x20 || byte == 0x7f { appendEscaped(UInt32(byte)) } else { bytes.append(byte) }
            } else {
                pending.append(byte)
            }
        }
        flushValid(&self)
    }

    private mutating func appendEscaped(_ value: UInt32) {
        if value > 0xff {
            append("\\u")
            appendHex(UInt64(value))
            return
        }
        append("\\x")
        bytes.append(LineBuffer.hexDigit(UInt8(value >> 4)))
        bytes.append(LineBuffer.hexDigit(UInt8(value & 0xf)))
    }

    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 &+ nibble : 0x61 &+ nibble &- 10 }
}

extension ProcessName {
    /// The name's bytes, up to its NUL (no allocation).
    public func withBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        var words = (first, second)
        return withUnsafeBytes(of: &words) { raw in
            let length = raw.firstIndex(of: 0) ?? 16
            return body(UnsafeRawBufferPointer(rebasing: raw[0..<length]))
        }
    }
}

extension LineBuffer {
    public mutating func trimTrailingSpaces() {
        while bytes.last == 0x20 { bytes.removeLast() }
    }
}
