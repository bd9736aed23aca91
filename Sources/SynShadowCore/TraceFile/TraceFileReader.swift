#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reads a trace back, record by record. Every structure is checked before
/// it is used (magic, version, bounded lengths, checksums), so a damaged,
/// cut, foreign or newer file ends in a `TraceFileError` naming the byte
/// offset: never a crash, never an unbounded allocation, never a hang.
public final class TraceFileReader {
    public let header: TraceHeader
    /// The end marker's summary, once read; nil if the trace has none (yet).
    public private(set) var summary: TraceSummary?

    private let input: TraceInput
    /// Records left in the current event frame, which ends at `frameEnd`.
    private var recordsLeft = 0
    private var frameEnd = 0
    /// Set while the current event frame is compact.
    private var compactFrame = false
    private lazy var decoder = CompactEventDecoder()
    /// The bytes the last `.event` came from (see `withEventBytes`).
    private var lastRecord = UnsafeRawBufferPointer(start: nil, count: 0)
    private var ended = false

    /// Opens the trace at `path` and reads its header. A FIFO has
    /// `writerTimeout` seconds to start delivering.
    public convenience init(path: String, writerTimeout: Int32 = 10) throws(TraceFileError) {
        try self.init(source: FileByteSource(path: path, writerTimeout: writerTimeout))
    }

    /// Reads a trace from an open descriptor (standard input for `replay -`), closing it at the end.
    public convenience init(descriptor: Int32) throws(TraceFileError) {
        try self.init(source: FileByteSource(descriptor: descriptor))
    }

    /// Reads a trace held in memory.
    public convenience init(bytes: [UInt8]) throws(TraceFileError) {
        try self.init(source: MemoryByteSource(bytes: bytes))
    }

    private init(source: any TraceByteSource) throws(TraceFileError) {
        let input = TraceInput(source: source)
        header = try TraceFileReader.readHeader(input)
        self.input = input
    }

    private static func readHeader(_ input: TraceInput) throws(TraceFileError) -> TraceHeader {
        let magic = TraceFormat.magic
        let have = try input.available(atLeast: TraceFormat.preambleSize)
        if have == 0 { throw .empty }
        let prefix = input.bytes(min(have, magic.count))
        guard prefix.elementsEqual(magic.prefix(prefix.count)) else { throw .foreign(offset: 0) }
        guard have >= TraceFormat.preambleSize else {
            throw .truncated(offset: 0, needed: TraceFormat.preambleSize, available: have, what: "the file preamble")
        }
        let preamble = input.bytes(TraceFormat.preambleSize)
        let version = Int(LittleEndian.load(UInt16.self, from: preamble, at: 8))
        guard version <= TraceFormat.version else {
            throw .futureVersion(version: version, supported: TraceFormat.version, offset: 8)
        }
        guard version > 0 else { throw .corrupted(offset: 8, reason: "format version 0") }
        let length = Int(LittleEndian.load(UInt32.self, from: preamble, at: 12))
        guard length > 0, length <= TraceFormat.maximumHeaderSize else {
            throw .corrupted(offset: 12, reason: "impossible header length \(length)")
        }
        let total = TraceFormat.preambleSize + length + 8
        let got = try input.available(atLeast: total)
        guard got >= total else {
            throw .truncated(
                offset: TraceFormat.preambleSize, needed: length + 8, available: got - TraceFormat.preambleSize,
                what: "the header")
        }
        let all = input.bytes(total)
        let json = UnsafeRawBufferPointer(rebasing: all[TraceFormat.preambleSize..<(TraceFormat.preambleSize + length)])
        let checksum = LittleEndian.load(UInt64.self, from: all, at: TraceFormat.preambleSize + length)
        guard TraceChecksum.compute(json) == checksum else {
            throw .corrupted(offset: TraceFormat.preambleSize, reason: "header checksum mismatch")
        }
        let header: TraceHeader
        do {
            header = try JSONDecoder().decode(TraceHeader.self, from: Data(json))
        } catch {
            throw .corrupted(offset: TraceFormat.preambleSize, reason: "header is not valid JSON for this format")
        }
        guard header.formatVersion == version else {
            throw .corrupted(
                offset: TraceFormat.preambleSize,
                reason: "header says format version \(header.formatVersion), preamble says \(version)")
        }
        guard header.abiVersion >= Int(EventCodec.oldestReadableVersion) && header.abiVersion <= Int(EventCodec.abiVersion)
        else {
            throw .corrupted(
                offset: TraceFormat.preambleSize,
                reason: "records use event ABI version \(header.abiVersion); this build reads versions "
                    + "\(EventCodec.oldestReadableVersion) to \(EventCodec.abiVersion)")
        }
        input.consume(total)
        return header
    }

    /// The byte offset of the next unread byte.
    public var offset: Int { input.offset }

    /// The next record, or nil at the end of the trace (after the end marker,
    /// or at a clean frame boundary when the recording was cut short).
    public func next() throws(TraceFileError) -> TraceRecord? {
        lastRecord = UnsafeRawBufferPointer(start: nil, count: 0)
        if recordsLeft > 0 { return .event(try nextRecord()) }
        if ended {
            if try input.available(atLeast: 1) > 0 {
                throw .corrupted(offset: offset, reason: "data after the end marker")
            }
            return nil
        }
        let frameStart = offset
        let headerBytes = try input.available(atLeast: TraceFormat.frameHeaderSize)
        if headerBytes == 0 { return nil }
        guard headerBytes >= TraceFormat.frameHeaderSize else {
            throw .truncated(
                offset: frameStart, needed: TraceFormat.frameHeaderSize, available: headerBytes, what: "a frame header")
        }
        let frameHeader = input.bytes(TraceFormat.frameHeaderSize)
        let rawType = frameHeader[0]
        let length = Int(LittleEndian.load(UInt32.self, from: frameHeader, at: 4))
        let checksum = LittleEndian.load(UInt64.self, from: frameHeader, at: 8)
        guard frameHeader[1] == 0, frameHeader[2] == 0, frameHeader[3] == 0 else {
            throw .corrupted(offset: frameStart, reason: "frame header reserved bytes are not zero")
        }
        guard let type = TraceFormat.FrameType(rawValue: rawType),
            type != .compactEvents || header.formatVersion >= TraceFormat.compactEventsVersion
        else {
            throw .corrupted(
                offset: frameStart, reason: "unknown frame type \(rawType) for format version \(header.formatVersion)")
        }
        try validate(length: length, of: type, at: frameStart)
        let payloadStart = frameStart + TraceFormat.frameHeaderSize
        let total = TraceFormat.frameHeaderSize + length
        let have = try input.available(atLeast: total)
        guard have >= total else {
            throw .truncated(
                offset: payloadStart, needed: length, available: have - TraceFormat.frameHeaderSize,
                what: "a \(type.name) frame")
        }
        let payload = UnsafeRawBufferPointer(rebasing: input.bytes(total)[TraceFormat.frameHeaderSize...])
        guard TraceChecksum.compute(payload) == checksum else {
            throw .corrupted(offset: frameStart, reason: "\(type.name) frame checksum mismatch")
        }
        input.consume(TraceFormat.frameHeaderSize)
        switch type {
        case .events:
            recordsLeft = length / EventCodec.recordSize
            frameEnd = payloadStart + length
            compactFrame = false
            return .event(try nextRecord())
        case .compactEvents:
            let count = Int(LittleEndian.load(UInt32.self, from: payload, at: 0))
            let records = length - CompactEventLayout.countSize
            guard count > 0, count <= TraceFormat.maximumCompactRecords,
                count <= records / CompactEventLayout.minimumRecordSize
            else {
                input.consume(length)
                throw .corrupted(offset: payloadStart, reason: "impossible record count \(count) in a compact events frame")
            }
            input.consume(CompactEventLayout.countSize)
            decoder.reset()
            recordsLeft = count
            frameEnd = payloadStart + length
            compactFrame = true
            return .event(try nextRecord())
        case .loss:
            let timestamp = LittleEndian.load(UInt64.self, from: payload, at: 0)
            let count = LittleEndian.load(UInt64.self, from: payload, at: 8)
            input.consume(length)
            return .loss(count: count, timestamp: timestamp)
        case .clock:
            let timestamp = LittleEndian.load(UInt64.self, from: payload, at: 0)
            input.consume(length)
            return .clock(timestamp: timestamp)
        case .namespaceSettings:
            let netns = LittleEndian.load(UInt32.self, from: payload, at: 0)
            let settings: KernelSettings
            do {
                settings = try JSONDecoder().decode(KernelSettings.self, from: Data(payload[8...]))
            } catch {
                throw .corrupted(offset: payloadStart, reason: "namespace settings are not valid JSON")
            }
            input.consume(length)
            return .namespaceSettings(netns: netns, settings: settings)
        case .end:
            let summary: TraceSummary
            do {
                summary = try JSONDecoder().decode(TraceSummary.self, from: Data(payload))
            } catch {
                throw .corrupted(offset: payloadStart, reason: "end marker is not a valid summary")
            }
            input.consume(length)
            self.summary = summary
            ended = true
            return .end(summary)
        }
    }

    /// Decodes the next record of the current event frame. A bad record
    /// costs the rest of its frame only: reading can go on at the next one.
    private func nextRecord() throws(TraceFileError) -> KernelEvent {
        let recordStart = offset
        let raw: UnsafeRawBufferPointer
        recordsLeft -= 1
        if compactFrame {
            let decoded: (consumed: Int, record: UnsafeRawBufferPointer)
            do {
                decoded = try decoder.decode(input.bytes(frameEnd - recordStart))
            } catch {
                skipRestOfFrame()
                throw .corrupted(offset: recordStart, reason: error.reason)
            }
            input.consume(decoded.consumed)
            raw = decoded.record
            if recordsLeft == 0 && offset != frameEnd {
                let extraStart = offset
                skipRestOfFrame()
                throw .corrupted(
                    offset: extraStart,
                    reason: "\(frameEnd - extraStart) bytes after the last record of a compact events frame")
            }
        } else {
            raw = input.bytes(EventCodec.recordSize)
            input.consume(EventCodec.recordSize)
        }
        do {
            let event = try EventCodec.decode(raw)
            lastRecord = raw
            return event
        } catch {
            skipRestOfFrame()
            throw .corrupted(offset: recordStart, reason: "event record: \(error)")
        }
    }

    private func skipRestOfFrame() {
        recordsLeft = 0
        input.consume(frameEnd - offset)
    }

    /// Runs `body` on the 144 bytes of the record the last `.event` came
    /// from, exactly as the kernel wrote them (rebuilt, from a compact
    /// frame); on no bytes after any other record. Valid during `body` only.
    public func withEventBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(lastRecord)
    }

    private func validate(length: Int, of type: TraceFormat.FrameType, at frameStart: Int) throws(TraceFileError) {
        let valid: Bool
        switch type {
        case .events:
            valid = length > 0 && length % EventCodec.recordSize == 0 && length <= TraceFormat.maximumEventFrameSize
        case .compactEvents:
            valid = length >= CompactEventLayout.countSize + CompactEventLayout.minimumRecordSize
                && length <= TraceFormat.maximumCompactFrameSize
        case .loss: valid = length == 16
        case .clock: valid = length == 8
        case .end: valid = length > 0 && length <= TraceFormat.maximumSummarySize
        case .namespaceSettings: valid = length > 8 && length <= TraceFormat.maximumSettingsSize
        }
        guard valid else {
            throw .corrupted(offset: frameStart, reason: "impossible length \(length) for a \(type.name) frame")
        }
    }
}

extension TraceFormat.FrameType {
    var name: String {
        switch self {
        case .events: "events"
        case .loss: "loss"
        case .clock: "clock"
        case .end: "end"
        case .namespaceSettings: "namespace settings"
        case .compactEvents: "compact events"
        }
    }
}
