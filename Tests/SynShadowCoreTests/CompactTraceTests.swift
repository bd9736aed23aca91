#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PropertyBased
import SynShadowCore
import Testing
import SynShadowTestbed

/// Compact event frames (format 3): every record comes back exactly as the
/// kernel wrote it, in a fraction of the room; format 1 and 2 files still
/// read; and a damaged compact frame, even one whose checksum was made to
/// match, ends in a one-line error, never a crash, a hang or a wrong record.
@Suite struct CompactTraceTests {
    /// Simulated streams of every tier, as raw records, some with fields
    /// the simulator leaves alone (cpu, thread, name, addresses, result,
    /// version) set at random and timestamps that jump, so every byte and
    /// every word of the record changes somewhere.
    static func variedRecords(seed: UInt64, connections: Int = 30) -> [[UInt8]] {
        var rng = SplitMix64(seed: seed)
        var records: [[UInt8]] = []
        for tier in Tier.allCases {
            var options = KernelSimulator.Options(tier: tier)
            options.connections = connections
            options.snapshot = rng.chance(0.5)
            for event in KernelSimulator(seed: rng.next(), options: options).run() {
                var record = EventCodec.encode(event)
                if rng.chance(0.2) {
                    for _ in 0..<Int(rng.between(1, 12)) {
                        // Anywhere but kind, size and hook, which the decoder checks.
                        let offset = [0, 5, 6, 7, 8, 12, 15, 16, 19, 28, 32, 40, 47, 56, 70, 72, 87, 128, 135, 136, 143]
                            .randomElement(using: &rng)!
                        record[offset] = offset == 0 ? UInt8(rng.between(1, 3)) : UInt8(truncatingIfNeeded: rng.next())
                    }
                }
                records.append(record)
            }
        }
        return records
    }

    static func written(_ records: [[UInt8]], encoding: TraceFileWriter.EventEncoding = .compact) throws -> [UInt8] {
        let writer = try TraceFileWriter(header: TraceFileTests.header, encoding: encoding)
        for record in records {
            try record.withUnsafeBytes { try writer.write(record: $0) }
        }
        try writer.finish(summary: TraceSummary(events: UInt64(records.count), lostEvents: 0))
        return writer.bytes
    }

    @Test func compactRecordsComeBackByteForByte() async {
        await propertyCheck(count: 40, input: Gen.uint64()) { seed in
            let records = Self.variedRecords(seed: seed)
            let bytes = try Self.written(records)
            #expect(try TraceBytes.rawRecords(bytes) == records)
            // The events, too, are the ones the raw records decode to.
            let events = try TraceFileTests.readAll(bytes).compactMap { if case .event(let event) = $0 { event } else { nil } }
            #expect(try events == records.map { try $0.withUnsafeBytes { try EventCodec.decode($0) } })
        }
    }

    @Test func recordsSpanningManyFramesComeBackByteForByte() throws {
        var records: [[UInt8]] = []
        var seed: UInt64 = 1
        while records.count < 3 * 4096 + 17 {
            records += Self.variedRecords(seed: seed, connections: 200)
            seed += 1
        }
        let bytes = try Self.written(records)
        #expect(TraceBytes.frames(bytes).filter { $0.type == 6 }.count == (records.count + 4095) / 4096)
        #expect(try TraceBytes.rawRecords(bytes) == records)
    }

    @Test func realShapedStreamsTakeAFewBytesARecord() throws {
        var options = KernelSimulator.Options(tier: .fentry)
        options.connections = 2_000
        let records = KernelSimulator(seed: 11, options: options).run().map { EventCodec.encode($0) }
        let compact = try Self.written(records).count
        let raw = try Self.written(records, encoding: .raw).count
        #expect(compact * 5 < raw, "compact \(compact) bytes, raw \(raw) bytes for \(records.count) records")
    }

    @Test func rawEncodingWritesAFormatTwoFile() throws {
        let records = Self.variedRecords(seed: 5)
        let raw = try Self.written(records, encoding: .raw)
        #expect(raw[8] == 2 && raw[9] == 0)
        let reader = try TraceFileReader(bytes: raw)
        #expect(reader.header.formatVersion == 2)
        let frames = TraceBytes.frames(raw)
        #expect(frames.allSatisfy { $0.type != 6 })
        // The records sit in the file as they were given.
        let stored = frames.filter { $0.type == 1 }.flatMap { raw[$0.payloadStart..<$0.end] }
        #expect(stored == records.flatMap { $0 })
        #expect(try TraceBytes.rawRecords(raw) == records)

        let compact = try Self.written(records)
        #expect(compact[8] == 3)
        #expect(TraceBytes.frames(compact).allSatisfy { $0.type != 1 })
    }

    /// A real recording by a format-2 build (the report tests' fixture):
    /// it still reads, rewritten compact it gives back every byte, and both
    /// replay to the same findings.
    @Test func checkedInFormatTwoRecordingStillReadsAndReplaysTheSameCompact() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../SynShadowReportTests/Fixtures/overload.sst").path
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(original[8] == 2)
        let reader = try TraceFileReader(bytes: original)
        let writer = try TraceFileWriter(header: reader.header)
        var records: [[UInt8]] = []
        while let record = try reader.next() {
            switch record {
            case .event:
                let raw = reader.withEventBytes { Array($0) }
                records.append(raw)
                try raw.withUnsafeBytes { try writer.write(record: $0) }
            case .loss(let count, let timestamp): try writer.writeLoss(count: count, at: timestamp)
            case .clock(let timestamp): try writer.writeClock(timestamp)
            case .namespaceSettings(let netns, let settings): try writer.writeNamespaceSettings(netns: netns, settings: settings)
            case .end(let summary): try writer.finish(summary: summary)
            }
        }
        #expect(records.count > 500)
        #expect(records.allSatisfy { $0.count == EventCodec.recordSize })
        let compact = writer.bytes
        #expect(compact.count * 5 < original.count, "compact \(compact.count) bytes, raw \(original.count)")
        #expect(try TraceBytes.rawRecords(compact) == records)
        let before = try Replay.run(TraceFileReader(bytes: original))
        let after = try Replay.run(TraceFileReader(bytes: compact))
        #expect(after.events == before.events)
        #expect(after.findings == before.findings)
        #expect(after.statistics == before.statistics)
        #expect(after.summary == before.summary)
        #expect(!before.findings.isEmpty)
    }

    @Test func noEventBytesAfterOtherRecords() throws {
        let (bytes, _) = try TraceFileTests.sampleTrace()
        let reader = try TraceFileReader(bytes: bytes)
        while let record = try reader.next() {
            let count = reader.withEventBytes { $0.count }
            if case .event = record { #expect(count == EventCodec.recordSize) } else { #expect(count == 0) }
        }
    }

    @Test func aCompactFrameInAFormatTwoFileIsRefused() throws {
        let records = Self.variedRecords(seed: 3, connections: 5)
        let raw = try Self.written(records, encoding: .raw)
        let compact = try Self.written(records)
        let compactFrame = TraceBytes.frames(compact).first { $0.type == 6 }!
        let start = TraceBytes.firstFrame(raw)
        let spliced = Array(raw[..<start]) + Array(compact[compactFrame.start..<compactFrame.end])
        #expect(throws: TraceFileError.corrupted(offset: start, reason: "unknown frame type 6 for format version 2")) {
            try TraceFileTests.readAll(spliced)
        }
    }

    /// A valid compact trace's header with one hand-made compact frame after it.
    static func traceWithCompactPayload(_ payload: [UInt8]) throws -> [UInt8] {
        let valid = try Self.written([EventCodec.encode(TraceFileTests.sampleEvents(count: 1)[0])])
        return Array(valid[..<TraceBytes.firstFrame(valid)]) + TraceBytes.frame(type: 6, payload: payload)
    }

    static func count(_ value: UInt32) -> [UInt8] {
        var bytes: [UInt8] = []
        TraceBytes.append(value, to: &bytes)
        return bytes
    }

    @Test(arguments: [
        // Record counts that lie: none, absurd, more than the bytes can hold, more than there are.
        (count(0) + [0x21, 0x00], "impossible record count 0"),
        (count(.max) + [0x21, 0x00], "impossible record count 4294967295"),
        (count(3) + [0x21, 0x00, 0x01, 0x00], "impossible record count 3"),
        // Varints that never end, or overflow.
        (count(1) + [0xFF, 0xFF, 0xFF, 0xFF, 0x01], "header out of range"),
        (count(1) + [0xFF, 0xFF, 0xFF, 0x7F], "header out of range"),
        (count(1) + [0x01] + [UInt8](repeating: 0xFF, count: 11), "timestamp varint too long"),
        (count(1) + [0x01] + [UInt8](repeating: 0xFF, count: 9) + [0x02], "timestamp varint too long"),
        (count(1) + [0x01, 0xFF, 0xFF], "runs past its frame"),
        // A word marked changed with no byte, bytes that run out, a kind that is not its slot's.
        (count(1) + [0x21, 0x00, 0x00, 0x00], "no byte changed"),
        (count(1) + [0x21 | 0x80, 0x1F, 0x00, 0xFF, 0x01, 0x02], "runs past its frame"),
        (count(1) + [0x03, 0x00], "does not match its reference slot"),
        // An all-zero record is no record; bytes after the last one are refused.
        (count(1) + [0x00, 0x00], "event record"),
        (count(1) + [0x00, 0x00, 0x00], "after the last record"),
    ])
    func hostileCompactPayloadsAreReported(payload: [UInt8], reason: String) throws {
        let bytes = try Self.traceWithCompactPayload(payload)
        do {
            _ = try TraceFileTests.readAll(bytes)
            Issue.record("accepted \(payload)")
        } catch {
            guard case .corrupted(let offset, let message) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(message.contains(reason), "\(message)")
            #expect(offset >= TraceBytes.firstFrame(bytes) && offset <= bytes.count)
        }
    }

    @Test func bytesAfterTheLastCompactRecordAreRefused() throws {
        let compact = try Self.written(Self.variedRecords(seed: 9, connections: 3))
        let frame = TraceBytes.frames(compact).first { $0.type == 6 }!
        let payload = Array(compact[frame.payloadStart..<frame.end]) + [0x00]
        let bytes = Array(compact[..<frame.start]) + TraceBytes.frame(type: 6, payload: payload)
        #expect(throws: TraceFileError.corrupted(offset: frame.end, reason: "1 bytes after the last record of a compact events frame")) {
            try TraceFileTests.readAll(bytes)
        }
    }

    @Test func lyingCompactFrameLengthsAllocateNothing() throws {
        let compact = try Self.written(Self.variedRecords(seed: 4, connections: 3))
        let frame = TraceBytes.frames(compact).first { $0.type == 6 }!
        for length: UInt32 in [0, 5, 0x7FFF_FFFF, .max] {
            var bytes = compact
            for index in 0..<4 { bytes[frame.start + 4 + index] = UInt8(truncatingIfNeeded: length >> (8 * UInt32(index))) }
            #expect(throws: TraceFileError.corrupted(offset: frame.start, reason: "impossible length \(length) for a compact events frame")) {
                try TraceFileTests.readAll(bytes)
            }
        }
    }

    static func manyRecords(atLeast count: Int) -> [[UInt8]] {
        var records: [[UInt8]] = []
        var seed: UInt64 = 20
        while records.count < count {
            records += variedRecords(seed: seed, connections: 200)
            seed += 1
        }
        return records
    }

    /// Reads every record, going on after errors; returns the raw events
    /// and how many errors were met.
    static func readPastErrors(_ bytes: [UInt8]) throws -> (records: [[UInt8]], errors: Int) {
        let reader = try TraceFileReader(bytes: bytes)
        var records: [[UInt8]] = []
        var errors = 0
        while errors < 10 {
            do {
                guard let record = try reader.next() else { break }
                if case .event = record { records.append(reader.withEventBytes { Array($0) }) }
            } catch {
                errors += 1
            }
        }
        return (records, errors)
    }

    /// Frames decode on their own: after a record that cannot be rebuilt,
    /// the reader goes on at the next frame with the right records.
    @Test func aDamagedCompactFrameCostsOnlyItself() throws {
        let records = Self.manyRecords(atLeast: 4096 + 100)
        let bytes = try Self.written(records)
        let first = TraceBytes.frames(bytes)[0]
        #expect(first.type == 6)

        // The first record's header never ends: the whole first frame is lost.
        var badHeader = bytes
        for index in 4..<8 { badHeader[first.payloadStart + index] = 0xFF }
        let lostFrame = try Self.readPastErrors(TraceBytes.resealed(badHeader))
        #expect(lostFrame.errors == 1)
        #expect(lostFrame.records == Array(records[4096...]))

        // A count one short leaves the last record's bytes over: that record only is lost.
        var shortCount = bytes
        shortCount.replaceSubrange(first.payloadStart..<(first.payloadStart + 4), with: Self.count(4095))
        let lostRecord = try Self.readPastErrors(TraceBytes.resealed(shortCount))
        #expect(lostRecord.errors == 1)
        #expect(lostRecord.records == Array(records[..<4094] + records[4096...]))

        // A count one over runs past the frame after its records.
        var longCount = bytes
        longCount.replaceSubrange(first.payloadStart..<(first.payloadStart + 4), with: Self.count(4097))
        let overrun = try Self.readPastErrors(TraceBytes.resealed(longCount))
        #expect(overrun.errors == 1)
        #expect(overrun.records == records)
    }

    @Test func mutatedCompactPayloadsWithMatchingChecksumsNeverCrashOrHang() async throws {
        let records = Self.variedRecords(seed: 77, connections: 20)
        let bytes = try Self.written(records)
        let payloads = TraceBytes.frames(bytes).filter { $0.type == 6 }
        await propertyCheck(count: 500, input: Gen.uint64(), Gen.int(in: 1...6)) { seed, mutations in
            var rng = SplitMix64(seed: seed)
            var damaged = bytes
            for _ in 0..<mutations {
                let frame = payloads[Int(rng.next() % UInt64(payloads.count))]
                let position = frame.payloadStart + Int(rng.next() % UInt64(frame.length))
                switch rng.next() % 3 {
                case 0: damaged[position] = UInt8(truncatingIfNeeded: rng.next())
                case 1: damaged[position] ^= UInt8(1 << (rng.next() % 8))
                default: damaged[position] = rng.chance(0.5) ? 0xFF : 0x00
                }
            }
            damaged = TraceBytes.resealed(damaged)
            do {
                let read = try TraceFileTests.readAll(damaged)
                #expect(read.count <= records.count + 1)
            } catch let error as TraceFileError {
                #expect(error.offset <= damaged.count)
                #expect(!error.description.isEmpty && !error.description.contains("\n"))
            } catch {
                Issue.record("untyped error \(error)")
            }
        }
    }

    @Test func truncatedCompactTracesAreReportedOrEndCleanly() throws {
        let bytes = try Self.written(Self.variedRecords(seed: 8, connections: 4))
        for length in stride(from: TraceBytes.firstFrame(bytes), to: bytes.count, by: 3) {
            do {
                let records = try TraceFileTests.readAll(Array(bytes.prefix(length)))
                #expect(records.allSatisfy { if case .end = $0 { false } else { true } })
            } catch {
                guard case .truncated = error else {
                    Issue.record("cut at \(length): \(error)")
                    continue
                }
                #expect(error.offset <= length)
            }
        }
    }
}
