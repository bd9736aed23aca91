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

    /// Reads the wire format front to back; every read checks its bounds.
    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        var atEnd: Bool { offset == bytes.count }

        mutating func take(_ count: Int) throws -> [UInt8] {
            guard count >= 0, count <= bytes.count - offset else { throw Malformed() }
            defer { offset += count }
            return Array(bytes[offset..<offset + count])
        }

        /// Base-128, least significant group first, at most ten bytes.
        mutating func varint() throws -> UInt64 {
            for (index, byte) in try peekVarint().enumerated() where byte < 0x80 {
                let groups = try take(index + 1)
                return groups.reversed().reduce(0) { $0 << 7 | UInt64($1 & 0x7f) }
            }
            throw Malformed()
        }

        private func peekVarint() throws -> ArraySlice<UInt8> {
            guard !atEnd else { throw Malformed() }
            return bytes[offset..<min(offset + 10, bytes.count)]
        }

        mutating func littleEndian(_ count: Int) throws -> UInt64 {
            try take(count).reversed().reduce(0) { $0 << 8 | UInt64($1) }
        }
    }

    init(_ bytes: [UInt8]) throws {
        var reader = Reader(bytes: bytes)
        while !reader.atEnd {
            let key = try reader.varint()
            let number = Int(key >> 3)
            switch key & 7 {
            case 0: fields.append((number, .varint(try reader.varint())))
            case 1: fields.append((number, .fixed64(try reader.littleEndian(8))))
            case 2: fields.append((number, .bytes(try reader.take(Int(try reader.varint())))))
            case 5: fields.append((number, .fixed32(UInt32(try reader.littleEndian(4)))))
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
