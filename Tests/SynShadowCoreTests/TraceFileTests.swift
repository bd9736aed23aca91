#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PropertyBased
import SynShadowCore
import Testing
import SynShadowTestbed

/// Recording and reading traces: a round trip gives back every record in
/// order; damaged, cut, empty, foreign and newer files give a one-line error
/// with the byte offset, and never a crash or a hang.
@Suite struct TraceFileTests {
    static let header = TraceHeader(
        kernelRelease: "6.18.0-test", tier: .tracepoint, hostName: "testhost",
        clockOrigin: ClockOrigin(monotonicNanoseconds: 500_000_000_000, wallClockNanoseconds: 1_795_000_000_000_000_000),
        dropReasons: [2: "NOT_SPECIFIED", 5: "TCP_CSUM"], kernelSettings: KernelSettings(syncookies: 1, abortOnOverflow: false),
        recorder: "synshadow test")

    static func sampleEvents(count: Int = 10) -> [KernelEvent] {
        var options = KernelSimulator.Options(tier: .tracepoint)
        options.connections = count
        return KernelSimulator(seed: 7, options: options).run()
    }

    /// A valid trace: events in two frames, a loss marker, a clock tick, the end.
    static func sampleTrace() throws -> (bytes: [UInt8], events: [KernelEvent]) {
        let events = sampleEvents()
        let writer = try TraceFileWriter(header: header)
        for event in events.prefix(20) { try writer.write(event) }
        try writer.writeLoss(count: 3, at: events[19].timestamp)
        for event in events.dropFirst(20) { try writer.write(event) }
        try writer.writeClock(events.last!.timestamp + 1_000)
        try writer.finish(summary: TraceSummary(events: UInt64(events.count), lostEvents: 3, counters: ["wakeups": 9]))
        return (writer.bytes, events)
    }

    static func readAll(_ bytes: [UInt8]) throws(TraceFileError) -> [TraceRecord] {
        let reader = try TraceFileReader(bytes: bytes)
        var records: [TraceRecord] = []
        while let record = try reader.next() {
            records.append(record)
            if records.count > 1_000_000 { break }
        }
        return records
    }

    @Test func roundTripKeepsEveryRecordInOrder() throws {
        let (bytes, events) = try Self.sampleTrace()
        let reader = try TraceFileReader(bytes: bytes)
        #expect(reader.header == Self.header)
        var records: [TraceRecord] = []
        while let record = try reader.next() { records.append(record) }
        var expected = events.prefix(20).map { TraceRecord.event($0) }
        expected.append(.loss(count: 3, timestamp: events[19].timestamp))
        expected += events.dropFirst(20).map { TraceRecord.event($0) }
        expected.append(.clock(timestamp: events.last!.timestamp + 1_000))
        expected.append(.end(TraceSummary(events: UInt64(events.count), lostEvents: 3, counters: ["wakeups": 9])))
        #expect(records == expected)
        #expect(reader.summary?.lostEvents == 3)
        #expect(try reader.next() == nil)
    }

    @Test func rawRecordsAreWrittenAsTheKernelDeliveredThem() throws {
        let events = Self.sampleEvents(count: 3)
        let writer = try TraceFileWriter(header: Self.header)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: EventCodec.recordSize, alignment: 8)
        defer { buffer.deallocate() }
        for event in events {
            EventCodec.encode(event, into: buffer)
            try writer.write(record: UnsafeRawBufferPointer(buffer))
        }
        #expect(throws: TraceFileError.self) {
            try writer.write(record: UnsafeRawBufferPointer(rebasing: buffer[0..<10]))
        }
        try writer.finish(summary: TraceSummary(events: UInt64(events.count), lostEvents: 0))
        let records = try Self.readAll(writer.bytes)
        #expect(records.dropLast() == events.map { TraceRecord.event($0) }[...])
    }

    @Test func manyEventsSpanSeveralFrames() throws {
        let event = Self.sampleEvents(count: 1)[1]
        let writer = try TraceFileWriter(header: Self.header)
        for index in 0..<10_000 {
            var copy = event
            copy.timestamp += UInt64(index)
            try writer.write(copy)
        }
        try writer.finish(summary: TraceSummary(events: 10_000, lostEvents: 0))
        let records = try Self.readAll(writer.bytes)
        #expect(records.count == 10_001)
        if case .event(let last) = records[9_999] { #expect(last.timestamp == event.timestamp + 9_999) }
    }

    @Test func fileOnDiskRoundTrips() throws {
        let path = "/tmp/synshadow-trace-test-\(UInt64.random(in: 0...UInt64.max)).sst"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let events = Self.sampleEvents(count: 4)
        let writer = try TraceFileWriter(path: path, header: Self.header)
        for event in events { try writer.write(event) }
        try writer.finish(summary: TraceSummary(events: UInt64(events.count), lostEvents: 0))
        let reader = try TraceFileReader(path: path)
        var count = 0
        while let record = try reader.next() {
            if case .event = record { count += 1 }
        }
        #expect(count == events.count)
        #expect(reader.summary != nil)
        #expect(throws: TraceFileError.self) { try TraceFileReader(path: path + ".missing") }
    }

    @Test func emptyFileIsReported() {
        #expect(throws: TraceFileError.empty) { try TraceFileReader(bytes: []) }
        #expect(TraceFileError.empty.description.contains("empty"))
    }

    @Test func foreignFileIsReported() {
        let text = Array("GET / HTTP/1.1\r\nHost: example\r\n\r\n".utf8)
        #expect(throws: TraceFileError.foreign(offset: 0)) { try TraceFileReader(bytes: text) }
        #expect(throws: TraceFileError.foreign(offset: 0)) { try TraceFileReader(bytes: [0x53, 0x59, 0x4E, 0x00]) }
    }

    @Test func futureFormatVersionIsReported() throws {
        var (bytes, _) = try Self.sampleTrace()
        bytes[8] = 4
        #expect(throws: TraceFileError.futureVersion(version: 4, supported: 3, offset: 8)) {
            try TraceFileReader(bytes: bytes)
        }
        let message = TraceFileError.futureVersion(version: 4, supported: 3, offset: 8).description
        #expect(message.contains("byte 8") && message.contains("newer"))
    }

    @Test func everyCutPointIsReportedOrEndsCleanly() throws {
        let (bytes, _) = try Self.sampleTrace()
        for length in 1..<bytes.count {
            let cut = Array(bytes.prefix(length))
            do {
                let records = try Self.readAll(cut)
                // Cut exactly between frames: a readable trace without its end marker.
                #expect(records.allSatisfy { if case .end = $0 { false } else { true } })
            } catch {
                #expect(error.offset <= length, "\(error)")
                #expect(!error.description.contains("\n"))
                if case .truncated = error {} else if case .foreign = error {} else {
                    Issue.record("cut at \(length): \(error)")
                }
            }
        }
    }

    @Test func damagedBytesAreReportedAsCorrupted() throws {
        let (bytes, _) = try Self.sampleTrace()
        // A flipped bit in every position after the magic is caught.
        for position in stride(from: 8, to: bytes.count, by: 7) {
            var damaged = bytes
            damaged[position] ^= 0x10
            do {
                _ = try Self.readAll(damaged)
                Issue.record("flip at \(position) went unnoticed")
            } catch {
                #expect(error.offset <= bytes.count)
            }
        }
    }

    @Test func hugeDeclaredLengthsAllocateNothing() throws {
        let (bytes, _) = try Self.sampleTrace()
        var header = bytes
        header[12...15] = [0xFF, 0xFF, 0xFF, 0x7F]
        #expect(throws: TraceFileError.corrupted(offset: 12, reason: "impossible header length 2147483647")) {
            try TraceFileReader(bytes: header)
        }
        // The first frame's length field, right after the JSON header.
        let headerLength = Int(bytes[12]) | Int(bytes[13]) << 8 | Int(bytes[14]) << 16
        let frame = 16 + headerLength + 8
        var huge = bytes
        huge[(frame + 4)...(frame + 7)] = [0xF0, 0xFF, 0xFF, 0xFF]
        #expect(throws: TraceFileError.self) { try Self.readAll(huge) }
        do {
            _ = try Self.readAll(huge)
        } catch {
            #expect(error.offset == frame)
            #expect(error.description.contains("impossible length"))
        }
    }

    @Test func bytesAfterTheEndMarkerAreCorruption() throws {
        let (bytes, _) = try Self.sampleTrace()
        #expect(throws: TraceFileError.corrupted(offset: bytes.count, reason: "data after the end marker")) {
            try Self.readAll(bytes + [0])
        }
    }

    @Test func randomBytesNeverCrashOrHang() async {
        await propertyCheck(count: 500, input: Gen.uint8().array(of: 0...600)) { bytes in
            _ = try? Self.readAll(bytes)
            // With the magic and a plausible preamble in front, too.
            _ = try? Self.readAll(Array("SYNSHADW".utf8) + [1, 0, 0, 0] + bytes)
        }
    }

    @Test func mutatedTracesNeverCrashOrHang() async throws {
        let (bytes, _) = try Self.sampleTrace()
        await propertyCheck(count: 500, input: Gen.uint64(), Gen.int(in: 1...8)) { seed, mutations in
            var rng = SplitMix64(seed: seed)
            var damaged = bytes
            for _ in 0..<mutations where !damaged.isEmpty {
                let position = Int(rng.next() % UInt64(damaged.count))
                switch rng.next() % 5 {
                case 0: damaged[position] = UInt8(truncatingIfNeeded: rng.next())
                case 1: damaged.removeSubrange(position...)
                case 2: damaged.insert(UInt8(truncatingIfNeeded: rng.next()), at: position)
                case 3: damaged.remove(at: position)
                default: damaged[position] ^= 0xFF
                }
            }
            do {
                _ = try Self.readAll(damaged)
            } catch let error as TraceFileError {
                #expect(error.offset <= max(damaged.count, bytes.count))
                #expect(!error.description.isEmpty && !error.description.contains("\n"))
            } catch {
                Issue.record("untyped error \(error)")
            }
        }
    }
}
