/// The shape of a compact event frame (format 3), shared by its encoder and
/// decoder. Each record is written against the last record of the same kind
/// in the frame (its reference): most fields of a SYN repeat the previous
/// SYN's, so only the 8-byte words that changed are stored, and within each
/// only the bytes that changed. The first record of a kind in the frame is
/// written against the frame's previous record instead (same flow or
/// listener, often), as frames are cut at every clock tick and are short
/// on a quiet host. The timestamp is stored apart, as the difference from
/// the previous record's, which is small.
///
///     payload = count(u32) record{count}
///     record  = varint(wordMask << 5 | slot) varint(zigzag(timestamp - previous timestamp))
///               (byteMask(u8) changedByte{popcount(byteMask)}) for each bit of wordMask
///
/// `slot` is the record's kind modulo 32, which picks the reference: the
/// slot's last record, or the frame's previous record while the slot has
/// none, or all zeros for the frame's first record. Bit `i` of
/// `wordMask` stands for the word at byte offset `wordOffsets[i]`; bit `j` of
/// a word's `byteMask` for its byte `j`. A frame starts from empty
/// references and a previous timestamp of 0, so it decodes on its own.
enum CompactEventLayout {
    /// Bits of the record header that choose the reference.
    static let slotBits = 5
    static let slotCount = 1 << slotBits
    /// The words compared, most often changed first (measured on loopback
    /// recordings) so the usual header fits one or two bytes: ports, child,
    /// accept queue, cpu, tid, request, request queue, detail, listener,
    /// then the rest. The timestamp (offset 8) is not among them.
    static let wordOffsets: [UInt8] = [48, 104, 112, 16, 24, 96, 120, 136, 88, 0, 72, 80, 128, 32, 40, 56, 64]
    static let wordCount = 17
    static let timestampOffset = 8
    /// Largest header value: a mask of `wordCount` bits above the slot.
    static let headerLimit: UInt64 = 1 << UInt64(wordCount + slotBits)
    /// The header varint needs at most this many bytes (22 bits, 7 a byte).
    static let maximumHeaderBytes = 4
    /// The most a record can take: header, a 10-byte timestamp, every word whole.
    static let maximumRecordSize = maximumHeaderBytes + 10 + wordCount * 9
    /// The smallest: one header byte and one timestamp byte.
    static let minimumRecordSize = 2
    /// The record count in front of the records.
    static let countSize = 4
}

/// The references a compact frame's records are written against: the last
/// record of each slot, and the previous record's slot and timestamp.
/// Encoder and decoder each keep one and update it identically. Everything
/// lives in memory it owns (no class properties), so the per-record path
/// pays no exclusivity checks; its owner calls `deallocate()`.
struct CompactEventReferences {
    private static let slotBytes = CompactEventLayout.slotCount * EventCodec.recordSize
    /// The slots, then the previous timestamp (u64), the filled slots (a
    /// bit each, u32) and the previous record's slot (i32, -1 for none).
    private let memory: UnsafeMutableRawPointer
    /// `CompactEventLayout.wordOffsets`, where the hot loops read it without
    /// array checks.
    let wordOffsets: UnsafeMutablePointer<UInt8>

    init() {
        memory = .allocate(byteCount: Self.slotBytes + 16, alignment: 8)
        wordOffsets = .allocate(capacity: CompactEventLayout.wordCount)
        wordOffsets.initialize(from: CompactEventLayout.wordOffsets, count: CompactEventLayout.wordCount)
        reset()
    }

    func deallocate() {
        memory.deallocate()
        wordOffsets.deallocate()
    }

    /// Back to a frame's start: every reference zero, no previous record.
    func reset() {
        memory.initializeMemory(as: UInt8.self, repeating: 0, count: Self.slotBytes + 12)
        memory.storeBytes(of: -1, toByteOffset: Self.slotBytes + 12, as: Int32.self)
    }

    /// The previous record's timestamp (0 at a frame's start).
    var previousTimestamp: UInt64 {
        get { memory.load(fromByteOffset: Self.slotBytes, as: UInt64.self) }
        nonmutating set { memory.storeBytes(of: newValue, toByteOffset: Self.slotBytes, as: UInt64.self) }
    }

    /// Where slot `slot` (0..<32) keeps its last record.
    @inline(__always)
    func storage(_ slot: Int) -> UnsafeMutableRawPointer {
        memory + slot &* EventCodec.recordSize
    }

    /// The record the next record of `slot` is written against.
    @inline(__always)
    func reference(_ slot: Int) -> UnsafeMutableRawPointer {
        let filled = memory.load(fromByteOffset: Self.slotBytes + 8, as: UInt32.self)
        let previous = Int(memory.load(fromByteOffset: Self.slotBytes + 12, as: Int32.self))
        if filled & (1 << UInt32(slot)) == 0 && previous >= 0 { return storage(previous) }
        return storage(slot)
    }

    /// A record of `slot` was written: it is the slot's reference from now on.
    @inline(__always)
    func filled(_ slot: Int) {
        let filled = memory.load(fromByteOffset: Self.slotBytes + 8, as: UInt32.self)
        memory.storeBytes(of: filled | 1 << UInt32(slot), toByteOffset: Self.slotBytes + 8, as: UInt32.self)
        memory.storeBytes(of: Int32(slot), toByteOffset: Self.slotBytes + 12, as: Int32.self)
    }

    /// One bit per nonzero byte of `word` (bit j for byte j, little-endian).
    @inline(__always)
    static func nonzeroBytes(_ word: UInt64) -> UInt8 {
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        // A byte's top bit ends up set iff the byte is nonzero.
        let tops = (((word & low7) &+ low7) | word) & ~low7
        // Gathers the eight top bits into one byte: each product term lands on its own bit.
        return UInt8(truncatingIfNeeded: ((tops >> 7) &* 0x0002_0408_1020_4081) >> 49)
    }
}
