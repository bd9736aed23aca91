/// Walks protobuf wire format (no schema needed) and collects every
/// length-delimited field that is itself a message, recursively, and every
/// one that is UTF-8 text: enough to read names, attribute keys and values
/// out of an OTLP request body — and to fail on bytes that are not protobuf.
enum ProtobufStrings {
    struct Malformed: Error {}

    /// The strings in a well-formed message; throws if the bytes are not one.
    static func strings(in bytes: [UInt8]) throws -> Set<String> {
        var found: Set<String> = []
        try walk(bytes[...], into: &found)
        return found
    }

    private static func walk(_ bytes: ArraySlice<UInt8>, into found: inout Set<String>) throws {
        var cursor = bytes.startIndex
        func varint() throws -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while cursor < bytes.endIndex, shift < 64 {
                let byte = bytes[cursor]
                cursor += 1
                value |= UInt64(byte & 0x7f) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
            }
            throw Malformed()
        }
        while cursor < bytes.endIndex {
            let key = try varint()
            guard key >> 3 > 0 else { throw Malformed() }
            switch key & 7 {
            case 0: _ = try varint()
            case 1: cursor += 8
            case 5: cursor += 4
            case 2:
                let length = Int(try varint())
                guard length >= 0, length <= bytes.endIndex - cursor else { throw Malformed() }
                let field = bytes[cursor..<cursor + length]
                cursor += length
                var nested: Set<String> = []
                if (try? walk(field, into: &nested)) != nil, !field.isEmpty {
                    found.formUnion(nested)
                }
                if let text = String(validating: field, as: UTF8.self), !text.isEmpty { found.insert(text) }
            default: throw Malformed()
            }
            guard cursor <= bytes.endIndex else { throw Malformed() }
        }
    }
}
