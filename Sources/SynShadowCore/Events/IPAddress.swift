/// A 16-byte address held in two words so that events stay plain values:
/// decoding allocates nothing. IPv4 uses the first four bytes.
public struct IPAddress: Hashable, Sendable {
    /// Bytes 0..<8 and 8..<16, in network order as loaded from memory.
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses dotted IPv4 or RFC 4291 IPv6 text.
    public init?(_ text: String) {
        var bytes = [UInt8](repeating: 0, count: 16)
        if text.contains(":") {
            guard IPAddress.parseIPv6(text, into: &bytes) else { return nil }
        } else {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { return nil }
            for (index, part) in parts.enumerated() {
                guard let value = UInt8(part) else { return nil }
                bytes[index] = value
            }
        }
        self.init(bytes: bytes)
    }

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 16)
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<8 {
            high |= UInt64(bytes[index]) << (8 * index)
            low |= UInt64(bytes[index + 8]) << (8 * index)
        }
        self.init(high: high, low: low)
    }

    public var bytes: [UInt8] {
        (0..<16).map { index in
            let word = index < 8 ? high : low
            return UInt8(truncatingIfNeeded: word >> (8 * (index % 8)))
        }
    }

    public func formatted(as family: AddressFamily) -> String {
        let bytes = self.bytes
        switch family {
        case .ipv4:
            return bytes[0..<4].map(String.init).joined(separator: ".")
        case .ipv6:
            return IPAddress.formatIPv6(bytes)
        case .none:
            return "-"
        }
    }

    private static func formatIPv6(_ bytes: [UInt8]) -> String {
        let groups = stride(from: 0, to: 16, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
        // The longest run of zero groups (length >= 2) becomes "::".
        var bestStart = -1
        var bestLength = 0
        var index = 0
        while index < 8 {
            if groups[index] == 0 {
                var end = index
                while end < 8, groups[end] == 0 { end += 1 }
                if end - index > bestLength, end - index >= 2 {
                    bestStart = index
                    bestLength = end - index
                }
                index = end
            } else {
                index += 1
            }
        }
        func hex(_ range: Range<Int>) -> String {
            groups[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        if bestStart < 0 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    private static func parseIPv6(_ text: String, into bytes: inout [UInt8]) -> Bool {
        let halves = text.split(separator: "::", omittingEmptySubsequences: false).map(String.init)
        guard halves.count <= 2 else { return false }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            for piece in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard piece.count <= 4, let value = UInt16(piece, radix: 16) else { return nil }
                result.append(value)
            }
            return result
        }
        guard let head = groups(halves[0]) else { return false }
        let tail: [UInt16]
        if halves.count == 2 {
            guard let parsed = groups(halves[1]), head.count + parsed.count <= 7 else { return false }
            tail = parsed
        } else {
            guard head.count == 8 else { return false }
            tail = []
        }
        let all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        for (index, group) in all.enumerated() {
            bytes[2 * index] = UInt8(group >> 8)
            bytes[2 * index + 1] = UInt8(group & 0xff)
        }
        return true
    }
}
