/// A kernel `comm` (16 bytes, NUL-padded) kept inline: no allocation until printed.
public struct ProcessName: Hashable, Sendable, CustomStringConvertible {
    public var first: UInt64
    public var second: UInt64

    public init(first: UInt64, second: UInt64) {
        self.first = first
        self.second = second
    }

    public init(_ text: String) {
        var bytes = Array(text.utf8.prefix(15))
        bytes += Array(repeating: 0, count: 16 - bytes.count)
        var first: UInt64 = 0
        var second: UInt64 = 0
        for index in 0..<8 {
            first |= UInt64(bytes[index]) << (8 * index)
            second |= UInt64(bytes[index + 8]) << (8 * index)
        }
        self.init(first: first, second: second)
    }

    public static let unknown = ProcessName(first: 0, second: 0)

    public var description: String {
        var bytes: [UInt8] = []
        for index in 0..<16 {
            let word = index < 8 ? first : second
            let byte = UInt8(truncatingIfNeeded: word >> (8 * (index % 8)))
            if byte == 0 { break }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
