/// Rebuilds the 144-byte records of a compact event frame (see
/// `CompactEventLayout`), byte for byte, one at a time. Every read is
/// bounds-checked against the payload and every varint is bounded, so a
/// damaged frame ends in an error, never past its end or in a long loop.
final class CompactEventDecoder {
    /// Why a compact record cannot be rebuilt.
    enum Failure: Error, Equatable {
        case truncated
        case badHeader
        case badTimestamp
        case emptyWord
        case wrongSlot

        var reason: String {
            switch self {
            case .truncated: "compact record runs past its frame"
            case .badHeader: "compact record header out of range"
            case .badTimestamp: "compact record timestamp varint too long"
            case .emptyWord: "compact record marks a word changed with no byte changed"
            case .wrongSlot: "compact record kind does not match its reference slot"
            }
        }
    }

    private let references = CompactEventReferences()

    deinit { references.deallocate() }

    /// A new frame: references back to zero.
    func reset() { references.reset() }

    /// Rebuilds the record at the start of `payload` and returns how many
    /// bytes it took; the record is then `record` (valid until the next call).
    func decode(_ payload: UnsafeRawBufferPointer) throws(Failure) -> (consumed: Int, record: UnsafeRawBufferPointer) {
        var cursor = 0
        let header = try Self.readVarint(payload, &cursor, maximumBytes: CompactEventLayout.maximumHeaderBytes)
        guard header < CompactEventLayout.headerLimit else { throw .badHeader }
        let zigzag: UInt64
        do {
            zigzag = try Self.readVarint(payload, &cursor, maximumBytes: 10)
        } catch .truncated {
            throw .truncated
        } catch {
            throw .badTimestamp
        }
        let slot = Int(header) & (CompactEventLayout.slotCount - 1)
        // Rebuilt in place, over a copy of its reference.
        let record = references.storage(slot)
        let reference = references.reference(slot)
        if reference != record { record.copyMemory(from: reference, byteCount: EventCodec.recordSize) }
        let offsets = references.wordOffsets
        var mask = header >> UInt64(CompactEventLayout.slotBits)
        while mask != 0 {
            let offset = Int(offsets[mask.trailingZeroBitCount])
            mask &= mask &- 1
            guard cursor < payload.count else { throw .truncated }
            var bytes = payload[cursor]
            cursor += 1
            guard bytes != 0 else { throw .emptyWord }
            guard cursor + bytes.nonzeroBitCount <= payload.count else { throw .truncated }
            while bytes != 0 {
                let index = bytes.trailingZeroBitCount
                bytes &= bytes &- 1
                record.storeBytes(of: payload[cursor], toByteOffset: offset + index, as: UInt8.self)
                cursor += 1
            }
        }
        guard Int(record.load(fromByteOffset: 1, as: UInt8.self)) & (CompactEventLayout.slotCount - 1) == slot else {
            throw .wrongSlot
        }
        let delta = Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
        let timestamp = references.previousTimestamp &+ UInt64(bitPattern: delta)
        record.storeBytes(
            of: timestamp.littleEndian, toByteOffset: CompactEventLayout.timestampOffset, as: UInt64.self)
        references.filled(slot)
        references.previousTimestamp = timestamp
        return (cursor, UnsafeRawBufferPointer(start: record, count: EventCodec.recordSize))
    }

    /// A little-endian base-128 varint of at most `maximumBytes` bytes
    /// (10 holds any UInt64; bits past 64 are refused).
    private static func readVarint(
        _ payload: UnsafeRawBufferPointer, _ cursor: inout Int, maximumBytes: Int
    ) throws(Failure) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        for _ in 0..<maximumBytes {
            guard cursor < payload.count else { throw .truncated }
            let byte = payload[cursor]
            cursor += 1
            let bits = UInt64(byte & 0x7F)
            guard shift < 63 || bits <= 1 else { throw .badHeader }
            value |= bits << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        throw .badHeader
    }
}
