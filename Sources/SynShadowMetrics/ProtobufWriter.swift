/// The protobuf wire format, for the few OTLP messages SynShadow sends:
/// varints, fixed 64-bit numbers, strings, packed arrays and nested
/// messages. Writing it directly keeps protobuf code generation (and its
/// runtime library) out of the build.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    private enum WireType: UInt64 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2
    }

    private mutating func key(_ field: Int, _ type: WireType) {
        varint(UInt64(field) << 3 | type.rawValue)
    }

    private mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private mutating func littleEndian(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    private mutating func lengthDelimited(_ field: Int, _ payload: some Collection<UInt8>) {
        key(field, .lengthDelimited)
        varint(UInt64(payload.count))
        bytes.append(contentsOf: payload)
    }

    mutating func uint(_ field: Int, _ value: UInt64) {
        key(field, .varint)
        varint(value)
    }

    mutating func bool(_ field: Int, _ value: Bool) { uint(field, value ? 1 : 0) }

    mutating func fixed64(_ field: Int, _ value: UInt64) {
        key(field, .fixed64)
        littleEndian(value)
    }

    mutating func sfixed64(_ field: Int, _ value: Int64) { fixed64(field, UInt64(bitPattern: value)) }

    mutating func double(_ field: Int, _ value: Double) { fixed64(field, value.bitPattern) }

    /// Written even when empty: an empty string value is still a value.
    mutating func string(_ field: Int, _ value: String) { lengthDelimited(field, value.utf8) }

    mutating func packedFixed64(_ field: Int, _ values: [UInt64]) {
        var payload = ProtobufWriter()
        for value in values { payload.littleEndian(value) }
        lengthDelimited(field, payload.bytes)
    }

    mutating func packedDouble(_ field: Int, _ values: [Double]) { packedFixed64(field, values.map(\.bitPattern)) }

    mutating func message(_ field: Int, _ build: (inout ProtobufWriter) -> Void) {
        var nested = ProtobufWriter()
        build(&nested)
        lengthDelimited(field, nested.bytes)
    }
}
