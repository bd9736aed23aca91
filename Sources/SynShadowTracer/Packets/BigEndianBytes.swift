/// Network byte order for header fields, without pointer casts.
extension FixedWidthInteger {
    package var bigEndianBytes: [UInt8] {
        (0..<(Self.bitWidth / 8)).reversed().map { UInt8(truncatingIfNeeded: self >> ($0 * 8)) }
    }

    /// Reads `bitWidth / 8` bytes (or fewer) as a big-endian value.
    package init(bigEndianBytes bytes: some Collection<UInt8>) {
        self = bytes.reduce(0) { $0 << 8 | Self($1) }
    }
}
