/// Builds one compact event frame's payload (see `CompactEventLayout`) as
/// records arrive from the ring buffer. It runs on the live drain path, so
/// it allocates nothing per record and touches each record once: compare
/// 17 words with the reference, write the changed bytes, keep the record
/// as the next reference.
final class CompactEventEncoder {
    private let references = CompactEventReferences()
    private let buffer: UnsafeMutableRawPointer
    private let maximumRecords: Int
    private var used = CompactEventLayout.countSize
    /// Records in the frame being built.
    private(set) var recordCount = 0

    init(maximumRecords: Int) {
        self.maximumRecords = maximumRecords
        buffer = .allocate(
            byteCount: CompactEventLayout.countSize + maximumRecords * CompactEventLayout.maximumRecordSize,
            alignment: 8)
    }

    deinit {
        buffer.deallocate()
        references.deallocate()
    }

    var isFull: Bool { recordCount == maximumRecords }

    /// Appends one whole 144-byte record.
    func append(_ record: UnsafeRawPointer) {
        let recordCount = self.recordCount
        precondition(recordCount < maximumRecords, "compact frame is full")
        let offsets = references.wordOffsets
        let slot = Int(record.load(fromByteOffset: 1, as: UInt8.self)) & (CompactEventLayout.slotCount - 1)
        let reference = references.reference(slot)
        var mask: UInt64 = 0
        for index in 0..<CompactEventLayout.wordCount {
            let offset = Int(offsets[index])
            let changed = record.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                != reference.load(fromByteOffset: offset, as: UInt64.self)
            // Without a branch: which words change is hard to predict.
            mask |= UInt64(changed ? 1 : 0) << UInt64(index)
        }
        var out = buffer + used
        Self.writeVarint(mask << UInt64(CompactEventLayout.slotBits) | UInt64(slot), to: &out)
        let timestamp = UInt64(
            littleEndian: record.loadUnaligned(fromByteOffset: CompactEventLayout.timestampOffset, as: UInt64.self))
        let delta = Int64(bitPattern: timestamp &- references.previousTimestamp)
        Self.writeVarint(UInt64(bitPattern: (delta << 1) ^ (delta >> 63)), to: &out)
        while mask != 0 {
            let offset = Int(offsets[mask.trailingZeroBitCount])
            mask &= mask &- 1
            let changed = UInt64(
                littleEndian: record.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                    ^ reference.load(fromByteOffset: offset, as: UInt64.self))
            var bytes = CompactEventReferences.nonzeroBytes(changed)
            out.storeBytes(of: bytes, as: UInt8.self)
            out += 1
            while bytes != 0 {
                let index = bytes.trailingZeroBitCount
                bytes &= bytes &- 1
                out.storeBytes(of: record.load(fromByteOffset: offset + index, as: UInt8.self), as: UInt8.self)
                out += 1
            }
        }
        references.storage(slot).copyMemory(from: record, byteCount: EventCodec.recordSize)
        references.filled(slot)
        references.previousTimestamp = timestamp
        used = out - buffer
        self.recordCount = recordCount + 1
    }

    /// The finished payload (count and records); the encoder starts a new
    /// frame from empty references.
    func takePayload() -> [UInt8] {
        buffer.storeBytes(of: UInt32(recordCount).littleEndian, as: UInt32.self)
        let payload = [UInt8](UnsafeRawBufferPointer(start: buffer, count: used))
        used = CompactEventLayout.countSize
        recordCount = 0
        references.reset()
        return payload
    }

    @inline(__always)
    private static func writeVarint(_ value: UInt64, to out: inout UnsafeMutableRawPointer) {
        var value = value
        while value >= 0x80 {
            out.storeBytes(of: UInt8(truncatingIfNeeded: value) | 0x80, as: UInt8.self)
            out += 1
            value >>= 7
        }
        out.storeBytes(of: UInt8(value), as: UInt8.self)
        out += 1
    }
}
