import SynShadowCore
import Testing

/// The 144-byte kernel record: every kind decodes from raw bytes, and bad
/// records give a clear error instead of a crash.
@Suite struct EventCodecTests {
    /// A record written byte by byte at the offsets of `struct synshadow_event`.
    private func handWrittenRecord(kind: UInt8 = 8, hook: UInt8 = 0, version: UInt8 = 1, size: UInt16 = 144) -> [UInt8] {
        var raw = [UInt8](repeating: 0, count: 144)
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value.littleEndian) { bytes in
                for (index, byte) in bytes.enumerated() { raw[offset + index] = byte }
            }
        }
        raw[0] = version
        raw[1] = kind
        put(size, at: 2)
        raw[4] = hook
        raw[5] = 2  // AF_INET
        raw[6] = 3  // SYN_RECV
        raw[7] = 1  // ESTABLISHED
        put(UInt64(123_456_789), at: 8)
        put(UInt32(3), at: 16)
        put(UInt32(4_026_531_840), at: 20)
        put(UInt32(4242), at: 24)
        put(UInt32(4243), at: 28)
        for (index, byte) in "nginx".utf8.enumerated() { raw[32 + index] = byte }
        put(UInt16(8080), at: 48)
        put(UInt16(40_000), at: 50)
        put(UInt16(0x10), at: 52)
        put(UInt16(0b11), at: 54)
        raw[56...59] = [10, 0, 0, 1]
        raw[72...75] = [192, 168, 1, 10]
        put(UInt64(0xFFFF_8880_0000_1000), at: 88)
        put(UInt64(0xFFFF_8880_0000_2000), at: 96)
        put(UInt64(0xFFFF_8880_0000_3000), at: 104)
        put(UInt32(3), at: 112)
        put(UInt32(2), at: 116)
        put(UInt32(5), at: 120)
        put(UInt32(4), at: 124)
        put(Int64(-11), at: 128)
        put(UInt32(77), at: 136)
        return raw
    }

    private func decode(_ raw: [UInt8]) throws(EventDecodingError) -> KernelEvent {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: raw.count, alignment: 8)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: raw)
        return try EventCodec.decode(UnsafeRawBufferPointer(buffer))
    }

    @Test func decodesEveryFieldAtItsABIOffset() throws {
        let event = try decode(handWrittenRecord())
        #expect(event.kind == .ack)
        #expect(event.hook == .cgroupSkbIngress)
        #expect(event.timestamp == 123_456_789)
        #expect(event.cpu == 3)
        #expect(event.flow.netns == 4_026_531_840)
        #expect(event.flow.family == .ipv4)
        #expect(event.flow.localAddress == IPAddress("10.0.0.1"))
        #expect(event.flow.localPort == 8080)
        #expect(event.flow.remoteAddress == IPAddress("192.168.1.10"))
        #expect(event.flow.remotePort == 40_000)
        #expect(event.pid == 4242)
        #expect(event.tid == 4243)
        #expect(event.comm.description == "nginx")
        #expect(event.tcpFlags == 0x10)
        #expect(event.flags == [.queuesValid, .ownerKnown])
        #expect(event.oldState == 3 && event.newState == 1)
        #expect(event.listener == 0xFFFF_8880_0000_1000)
        #expect(event.request == 0xFFFF_8880_0000_2000)
        #expect(event.child == 0xFFFF_8880_0000_3000)
        #expect(event.queues == QueueFigures(acceptQueue: 3, acceptQueueLimit: 2, requestQueue: 5, requestYoung: 4))
        #expect(event.result == -11)
        #expect(event.detail == 77)
    }

    @Test(arguments: EventKind.allCases)
    func everyKindRoundTrips(kind: EventKind) throws {
        for hook in Hook.allCases {
            let original = KernelEvent(
                kind: kind, hook: hook, timestamp: UInt64(kind.rawValue) << 32 | UInt64(hook.rawValue),
                cpu: 7, flow: Fixtures.flow(client: "fd00::9", server: "fd00::1"), pid: 99, tid: 100,
                comm: ProcessName("server"), tcpFlags: 0x12, flags: [.queuesValid, .fastOpen, .requestStolen],
                oldState: 1, newState: 8, listener: 1, request: 2, child: 3,
                queues: QueueFigures(acceptQueue: 1, acceptQueueLimit: 128, requestQueue: 9, requestYoung: 8),
                result: Int64.min, detail: .max)
            let raw = EventCodec.encode(original)
            #expect(raw.count == EventCodec.recordSize)
            #expect(try decode(raw) == original)
            // A record inside a larger buffer (a file block) decodes the same.
            #expect(try decode(raw + [0xAA, 0xBB]) == original)
        }
    }

    @Test func truncatedRecordsAreRejected() {
        let raw = handWrittenRecord()
        for length in [0, 1, 3, 4, 100, 143] {
            #expect(throws: EventDecodingError.self) { try decode(Array(raw.prefix(length))) }
        }
        #expect(throws: EventDecodingError.truncated(available: 143, needed: 144)) { try decode(Array(raw.prefix(143))) }
    }

    @Test func unknownVersionIsRejected() {
        #expect(throws: EventDecodingError.unsupportedVersion(4)) { try decode(handWrittenRecord(version: 4)) }
        #expect(throws: EventDecodingError.unsupportedVersion(0)) { try decode(handWrittenRecord(version: 0)) }
    }

    /// Version 1 records (traces recorded before accepts_in_flight) still
    /// decode; the bytes that were reserved then are not read.
    @Test func versionOneRecordsStillDecode() throws {
        var raw = handWrittenRecord(version: 1)
        raw.withUnsafeMutableBytes { $0.storeBytes(of: UInt32(7), toByteOffset: 140, as: UInt32.self) }
        #expect(try decode(raw).queues.acceptsInFlight == 0)
        var current = handWrittenRecord(version: 2)
        current.withUnsafeMutableBytes { $0.storeBytes(of: UInt32(7), toByteOffset: 140, as: UInt32.self) }
        #expect(try decode(current).queues.acceptsInFlight == 7)
    }

    @Test func wrongSizeIsRejected() {
        #expect(throws: EventDecodingError.sizeMismatch(declared: 160, expected: 144)) {
            try decode(handWrittenRecord(size: 160))
        }
        #expect(throws: EventDecodingError.sizeMismatch(declared: 0, expected: 144)) { try decode(handWrittenRecord(size: 0)) }
    }

    @Test func unknownKindAndHookAreRejected() {
        for kind: UInt8 in [0, 20, 200, 255] {
            #expect(throws: EventDecodingError.unknownKind(kind)) { try decode(handWrittenRecord(kind: kind)) }
        }
        for hook: UInt8 in [19, 99, 255] {
            #expect(throws: EventDecodingError.unknownHook(hook)) { try decode(handWrittenRecord(hook: hook)) }
        }
    }

    @Test func errorsDescribeThemselves() {
        let errors: [EventDecodingError] = [
            .truncated(available: 3, needed: 144), .unsupportedVersion(9), .sizeMismatch(declared: 1, expected: 144),
            .unknownKind(77), .unknownHook(66),
        ]
        for error in errors { #expect(!error.description.isEmpty && !error.description.contains("\n")) }
    }
}
