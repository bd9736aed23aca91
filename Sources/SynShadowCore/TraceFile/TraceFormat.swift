/// The on-disk layout of a trace, in one place:
///
///     file   = magic(8) version(u16) reserved(u16) headerLength(u32)
///              header(JSON, headerLength bytes) headerChecksum(u64) frame*
///     frame  = type(u8) reserved(3) length(u32) checksum(u64) payload(length)
///     events = payload of N raw 144-byte `struct synshadow_event` records
///              (what formats 1 and 2 write; still read in format 3)
///     compact events (format 3+) = count(u32) record{count}: each record
///              stored as its changes from the frame's last record of the
///              same kind and rebuilt byte for byte (`CompactEventLayout`);
///              a frame starts from nothing, so it decodes on its own
///     loss   = timestamp(u64) count(u64)
///     clock  = timestamp(u64)
///     netns  = inode(u32) reserved(u32) JSON KernelSettings (format 2+): the
///              sysctls of one network namespace, read from inside it, in
///              force for the events that follow
///     end    = JSON TraceSummary; nothing may follow it
///
/// Integers are little-endian. Lengths are bounded per frame type so a
/// damaged length can never make a reader allocate or wait for gigabytes.
enum TraceFormat {
    static let magic: [UInt8] = Array("SYNSHADW".utf8)
    static let version = TraceHeader.currentFormatVersion
    static let preambleSize = 16
    static let frameHeaderSize = 16
    static let maximumHeaderSize = 1 << 20
    static let maximumSummarySize = 1 << 20
    static let maximumSettingsSize = 4096
    /// The oldest format this build reads (1 had no netns frames).
    static let oldestReadableVersion = 1
    /// Records per event frame the writer emits.
    static let recordsPerFrame = 4096
    /// Accept frames up to twice what this build writes.
    static let maximumEventFrameSize = 2 * recordsPerFrame * EventCodec.recordSize
    static let maximumCompactRecords = 2 * recordsPerFrame
    static let maximumCompactFrameSize =
        CompactEventLayout.countSize + maximumCompactRecords * CompactEventLayout.maximumRecordSize
    /// The first format with compact event frames.
    static let compactEventsVersion = 3

    enum FrameType: UInt8 {
        case events = 1
        case loss = 2
        case clock = 3
        case end = 4
        case namespaceSettings = 5
        case compactEvents = 6
    }
}

/// A fast 64-bit checksum over a frame, eight bytes at a time: it catches
/// flipped bits and misplaced bytes without slowing replay down.
enum TraceChecksum {
    static func compute(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        var index = 0
        while index + 8 <= bytes.count {
            let word = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            hash = (hash ^ word) &* 0xFF51_AFD7_ED55_8CCD
            hash ^= hash >> 29
            index += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count {
            tail |= UInt64(bytes[index]) << shift
            shift += 8
            index += 1
        }
        hash = (hash ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        hash ^= hash >> 32
        return hash
    }
}

/// Little-endian stores and loads for the layout above.
enum LittleEndian {
    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        var value = value.littleEndian
        withUnsafeBytes(of: &value) { bytes.append(contentsOf: $0) }
    }

    static func load<T: FixedWidthInteger>(_ type: T.Type, from bytes: UnsafeRawBufferPointer, at offset: Int) -> T {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}
