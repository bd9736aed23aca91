#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Records an event stream: the header, then event records in blocks
/// (compact frames by default: each kernel record stored as its differences
/// from a similar one, and rebuilt byte for byte on reading), loss markers
/// and clock ticks in stream order, and an end marker with the final
/// counters. Call `finish(summary:)` to close the file.
public final class TraceFileWriter {
    /// How event records are stored.
    public enum EventEncoding: Sendable {
        /// Compact event frames, format 3: a few bytes a record.
        case compact
        /// Raw 144-byte records, format 2, which builds before format 3 read too.
        case raw

        var formatVersion: Int {
            switch self {
            case .compact: TraceHeader.currentFormatVersion
            case .raw: 2
            }
        }
    }

    private let sink: any TraceByteSink
    private let memory: MemoryByteSink?
    /// Raw records of the pending frame (`.raw`).
    private var block: [UInt8] = []
    /// The pending frame (`.compact`).
    private let encoder: CompactEventEncoder?
    /// Where `write(_:)` lays out a record before it is stored.
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: EventCodec.recordSize, alignment: 8)
    private var recordsInBlock = 0
    private var finished = false
    /// Event records written so far.
    public private(set) var eventCount: UInt64 = 0

    /// Writes a new file at `path` (replacing one there: see `TraceOutputFile`) and its header.
    public convenience init(path: String, header: TraceHeader, encoding: EventEncoding = .compact) throws(TraceFileError) {
        let file: TraceOutputFile
        do {
            file = try TraceOutputFile(creating: path, existing: .replace)
        } catch {
            throw .io(offset: 0, reason: error.description)
        }
        try self.init(file: file, header: header, encoding: encoding)
    }

    /// Writes the header into `file`, which then takes its place.
    public convenience init(file: TraceOutputFile, header: TraceHeader, encoding: EventEncoding = .compact) throws(TraceFileError) {
        try self.init(
            sink: FileByteSink(descriptor: file.takeDescriptor()), memory: nil, header: header, encoding: encoding)
        do {
            try file.headerWritten()
        } catch {
            throw .io(offset: 0, reason: error.description)
        }
    }

    /// Writes into memory; read the result from `bytes`.
    public convenience init(header: TraceHeader, encoding: EventEncoding = .compact) throws(TraceFileError) {
        let memory = MemoryByteSink()
        try self.init(sink: memory, memory: memory, header: header, encoding: encoding)
    }

    /// The header's `formatVersion` is set from `encoding`.
    private init(
        sink: any TraceByteSink, memory: MemoryByteSink?, header: TraceHeader, encoding: EventEncoding
    ) throws(TraceFileError) {
        self.sink = sink
        self.memory = memory
        switch encoding {
        case .compact:
            encoder = CompactEventEncoder(maximumRecords: TraceFormat.recordsPerFrame)
        case .raw:
            encoder = nil
            block.reserveCapacity(TraceFormat.recordsPerFrame * EventCodec.recordSize)
        }
        var header = header
        header.formatVersion = encoding.formatVersion
        let json: [UInt8]
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            json = Array(try encoder.encode(header))
        } catch {
            throw .io(offset: 0, reason: "cannot encode the header: \(error)")
        }
        guard json.count <= TraceFormat.maximumHeaderSize else {
            throw .io(offset: 0, reason: "header too large (\(json.count) bytes)")
        }
        var preamble = TraceFormat.magic
        LittleEndian.append(UInt16(header.formatVersion), to: &preamble)
        LittleEndian.append(UInt16(0), to: &preamble)
        LittleEndian.append(UInt32(json.count), to: &preamble)
        preamble += json
        let checksum = json.withUnsafeBytes { TraceChecksum.compute($0) }
        LittleEndian.append(checksum, to: &preamble)
        try emit(preamble)
    }

    deinit { scratch.deallocate() }

    /// The bytes written so far (in-memory writers only; flush first).
    public var bytes: [UInt8] { memory?.bytes ?? [] }

    /// Appends one event (encoded as the kernel writes it).
    public func write(_ event: KernelEvent) throws(TraceFileError) {
        EventCodec.encode(event, into: scratch)
        try append(UnsafeRawBufferPointer(scratch))
    }

    /// Appends one raw `struct synshadow_event` exactly as the ring buffer
    /// delivered it; it must be one whole record.
    public func write(record: UnsafeRawBufferPointer) throws(TraceFileError) {
        guard record.count == EventCodec.recordSize else {
            throw .io(offset: 0, reason: "a record is \(EventCodec.recordSize) bytes, got \(record.count)")
        }
        try append(record)
    }

    /// Marks that the ring buffer lost `count` events at or before `timestamp`.
    public func writeLoss(count: UInt64, at timestamp: UInt64) throws(TraceFileError) {
        var payload: [UInt8] = []
        LittleEndian.append(timestamp, to: &payload)
        LittleEndian.append(count, to: &payload)
        try flush()
        try writeFrame(.loss, payload)
    }

    /// Records the sysctls of network namespace `netns`, in force for the
    /// events written after it.
    public func writeNamespaceSettings(netns: UInt32, settings: KernelSettings) throws(TraceFileError) {
        var payload: [UInt8] = []
        LittleEndian.append(netns, to: &payload)
        LittleEndian.append(UInt32(0), to: &payload)
        payload += (try? JSONEncoder().encode(settings)).map(Array.init) ?? Array("{}".utf8)
        try flush()
        try writeFrame(.namespaceSettings, payload)
    }

    /// Marks that the live model's clock was advanced with no event.
    public func writeClock(_ timestamp: UInt64) throws(TraceFileError) {
        var payload: [UInt8] = []
        LittleEndian.append(timestamp, to: &payload)
        try flush()
        try writeFrame(.clock, payload)
    }

    /// Writes out buffered events (one event frame).
    public func flush() throws(TraceFileError) {
        guard recordsInBlock > 0 else { return }
        recordsInBlock = 0
        if let encoder {
            try writeFrame(.compactEvents, encoder.takePayload())
        } else {
            let payload = block
            block.removeAll(keepingCapacity: true)
            try writeFrame(.events, payload)
        }
    }

    /// Writes the end marker and closes the file; the writer is done.
    public func finish(summary: TraceSummary) throws(TraceFileError) {
        guard !finished else { return }
        try flush()
        let json: [UInt8]
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            json = Array(try encoder.encode(summary))
        } catch {
            throw .io(offset: 0, reason: "cannot encode the summary: \(error)")
        }
        try writeFrame(.end, json)
        finished = true
        try sink.close()
    }

    private func append(_ record: UnsafeRawBufferPointer) throws(TraceFileError) {
        guard !finished else { throw .io(offset: 0, reason: "the trace is already finished") }
        if let encoder {
            encoder.append(record.baseAddress!)
        } else {
            block.append(contentsOf: record)
        }
        recordsInBlock += 1
        eventCount += 1
        if recordsInBlock == TraceFormat.recordsPerFrame { try flush() }
    }

    private func writeFrame(_ type: TraceFormat.FrameType, _ payload: [UInt8]) throws(TraceFileError) {
        guard !finished else { throw .io(offset: 0, reason: "the trace is already finished") }
        var frame: [UInt8] = [type.rawValue, 0, 0, 0]
        frame.reserveCapacity(TraceFormat.frameHeaderSize + payload.count)
        LittleEndian.append(UInt32(payload.count), to: &frame)
        LittleEndian.append(payload.withUnsafeBytes { TraceChecksum.compute($0) }, to: &frame)
        // One write per frame: a recorder killed mid-write rarely leaves half a frame.
        frame += payload
        try emit(frame)
    }

    private func emit(_ bytes: [UInt8]) throws(TraceFileError) {
        try sink.write(bytes)
    }
}
