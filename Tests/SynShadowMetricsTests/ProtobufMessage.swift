/// A protobuf message read back field by field (no schema), so the tests
/// can check OTLP requests by field number as the spec writes them.
struct ProtobufMessage {
    enum Value {
        case varint(UInt64)
        case fixed64(UInt64)
        case bytes([UInt8])
        case fixed32(UInt32)
    }

    struct Malformed: Error {}

    private(set) var fields: [(number: Int, value: Value)] = []

    init(_ bytes: [UInt8]) throws {
        var cursor = 0
        func varint() throws -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while cursor < bytes.count, shift < 64 {
                let byte = bytes[cursor]
                cursor += 1
                value |= UInt64(byte & 0x7f) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
            throw Malformed()
        }
        func take(_ count: Int) throws -> [UInt8] {
            guard count >= 0, count <= bytes.count - cursor else { throw Malformed() }
            defer { cursor += count }
            return Array(bytes[cursor..<cursor + count])
        }
        func littleEndian(_ bytes: [UInt8]) -> UInt64 {
            bytes.enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        }
        while cursor < bytes.count {
            let key = try varint()
            let number = Int(key >> 3)
            switch key & 7 {
            case 0: fields.append((number, .varint(try varint())))
            case 1: fields.append((number, .fixed64(littleEndian(try take(8)))))
            case 2: fields.append((number, .bytes(try take(Int(try varint())))))
            case 5: fields.append((number, .fixed32(UInt32(littleEndian(try take(4))))))
            default: throw Malformed()
            }
        }
    }

    func all(_ number: Int) -> [Value] { fields.filter { $0.number == number }.map(\.value) }

    func messages(_ number: Int) throws -> [ProtobufMessage] {
        try all(number).map { value in
            guard case .bytes(let bytes) = value else { throw Malformed() }
            return try ProtobufMessage(bytes)
        }
    }

    func message(_ number: Int) throws -> ProtobufMessage? { try messages(number).first }

    func string(_ number: Int) -> String? {
        guard case .bytes(let bytes)? = all(number).first else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    func uint(_ number: Int) -> UInt64? {
        switch all(number).first {
        case .varint(let value)?, .fixed64(let value)?: value
        default: nil
        }
    }

    func double(_ number: Int) -> Double? { uint(number).map { Double(bitPattern: $0) } }

    /// A packed `repeated fixed64` or `repeated double` field.
    func packed(_ number: Int) -> [UInt64] {
        guard case .bytes(let bytes)? = all(number).first else { return [] }
        return stride(from: 0, to: bytes.count, by: 8).map { offset in
            (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
        }
    }

    /// `repeated KeyValue` with string values, as a dictionary.
    func attributes(_ number: Int) throws -> [String: String] {
        var attributes: [String: String] = [:]
        for pair in try messages(number) {
            attributes[pair.string(1) ?? ""] = try pair.message(2)?.string(1)
        }
        return attributes
    }
}
