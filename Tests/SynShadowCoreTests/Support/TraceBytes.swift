import SynShadowCore

/// Reads and rewrites trace files at the byte level, so that tests can
/// damage a frame's payload and still pass its checksum: the decoders
/// behind the checksum must hold on their own.
enum TraceBytes {
    struct Frame {
        var start: Int
        var type: UInt8
        var length: Int
        var payloadStart: Int { start + 16 }
        var end: Int { payloadStart + length }
    }

    /// Where the first frame starts (after the preamble, header and its checksum).
    static func firstFrame(_ bytes: [UInt8]) -> Int {
        16 + Int(load(UInt32.self, bytes, 12)) + 8
    }

    /// The frames of a well-formed trace, in order.
    static func frames(_ bytes: [UInt8]) -> [Frame] {
        var frames: [Frame] = []
        var position = firstFrame(bytes)
        while position + 16 <= bytes.count {
            let frame = Frame(start: position, type: bytes[position], length: Int(load(UInt32.self, bytes, position + 4)))
            guard frame.end <= bytes.count else { break }
            frames.append(frame)
            position = frame.end
        }
        return frames
    }

    /// One frame with a right checksum around `payload`.
    static func frame(type: UInt8, payload: [UInt8]) -> [UInt8] {
        var frame: [UInt8] = [type, 0, 0, 0]
        append(UInt32(payload.count), to: &frame)
        append(checksum(payload), to: &frame)
        return frame + payload
    }

    /// The trace with every frame's checksum recomputed (lengths must still
    /// walk the file; a frame cut by the end is left as it is).
    static func resealed(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        for frame in frames(bytes) {
            let sum = checksum(Array(bytes[frame.payloadStart..<frame.end]))
            for index in 0..<8 { bytes[frame.start + 8 + index] = UInt8(truncatingIfNeeded: sum >> (8 * UInt64(index))) }
        }
        return bytes
    }

    /// The format's frame checksum, written out here from the format's
    /// definition rather than calling `TraceChecksum`: a change to the
    /// production function then fails these tests instead of passing
    /// silently (old files would no longer read).
    static func checksum(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        var index = 0
        while index + 8 <= bytes.count {
            hash = (hash ^ load(UInt64.self, bytes, index)) &* 0xFF51_AFD7_ED55_8CCD
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

    static func load<T: FixedWidthInteger>(_ type: T.Type, _ bytes: [UInt8], _ offset: Int) -> T {
        var value: T = 0
        for index in 0..<MemoryLayout<T>.size { value |= T(bytes[offset + index]) << (8 * index) }
        return value
    }

    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        for index in 0..<MemoryLayout<T>.size { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * index))) }
    }

    /// Every event record of a trace as its raw bytes, in order (the reader
    /// rebuilds them from compact frames).
    static func rawRecords(_ bytes: [UInt8]) throws -> [[UInt8]] {
        let reader = try TraceFileReader(bytes: bytes)
        var records: [[UInt8]] = []
        while let record = try reader.next() {
            if case .event = record { records.append(reader.withEventBytes { Array($0) }) }
        }
        return records
    }
}
