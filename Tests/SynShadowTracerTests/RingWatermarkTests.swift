import CSynShadowLoader
import Testing

/// The drain's watermark is the proof the model's time rests on: it may be
/// given only when every record reserved before the drain began was read.
/// These lay a ring out in memory as the kernel does and drain it.
@Suite struct RingWatermarkTests {
    /// A ring of `size` data bytes (mapped twice, as the kernel maps it) with
    /// records written at the producer's position.
    final class Ring {
        let size: Int
        let consumer = UnsafeMutablePointer<UInt>.allocate(capacity: 1)
        let producer = UnsafeMutablePointer<UInt>.allocate(capacity: 1)
        let data: UnsafeMutableRawPointer

        init(size: Int = 4096) {
            self.size = size
            data = .allocate(byteCount: 2 * size, alignment: 8)
            data.initializeMemory(as: UInt8.self, repeating: 0, count: 2 * size)
            consumer.pointee = 0
            producer.pointee = 0
        }

        deinit {
            consumer.deallocate()
            producer.deallocate()
            data.deallocate()
        }

        /// Appends a record of `payload` bytes, its header flagged busy
        /// (reserved, not committed) or discarded as asked.
        func append(_ payload: [UInt8], busy: Bool = false, discarded: Bool = false) {
            var length = UInt32(payload.count)
            if busy { length |= 1 << 31 }
            if discarded { length |= 1 << 30 }
            let total = (payload.count + 8 + 7) & ~7
            for mirror in [0, size] {
                let at = mirror + Int(producer.pointee) % size
                data.storeBytes(of: length, toByteOffset: at, as: UInt32.self)
                for (index, byte) in payload.enumerated() where at + 8 + index < 2 * size {
                    data.storeBytes(of: byte, toByteOffset: at + 8 + index, as: UInt8.self)
                }
            }
            producer.pointee += UInt(total)
        }

        func drain() -> (records: [[UInt8]], result: ss_drain_result) {
            let collected = Collected()
            var view = ss_ring_view(
                consumer_position: consumer, producer_position: UnsafePointer(producer),
                data: UnsafePointer(data.assumingMemoryBound(to: UInt8.self)), data_size: size)
            var result = ss_drain_result()
            let callback: ss_record_fn = { context, record, size in
                let box = Unmanaged<Collected>.fromOpaque(context!).takeUnretainedValue()
                box.records.append(Array(UnsafeRawBufferPointer(start: record, count: size)))
                return 0
            }
            _ = ss_ring_view_drain(&view, callback, Unmanaged.passUnretained(collected).toOpaque(), &result)
            return (collected.records, result)
        }
    }

    final class Collected {
        var records: [[UInt8]] = []
    }

    @Test func aDrainThatReadsEverythingProvesItsStartTime() {
        let ring = Ring()
        ring.append([1, 2, 3])
        ring.append([4])
        ring.append([5, 6, 7, 8, 9], discarded: true)
        let before = ss_monotonic_ns()
        let (records, result) = ring.drain()
        let after = ss_monotonic_ns()
        #expect(records == [[1, 2, 3], [4]])
        #expect(result.caught_up == 1)
        #expect(result.watermark_ns >= before && result.watermark_ns <= after)
        #expect(ring.consumer.pointee == ring.producer.pointee)
    }

    /// Regression (trust issue, item 1): a record another CPU reserved but
    /// has not committed ends the drain, and then no watermark may be given;
    /// the records behind it stay for the next drain.
    @Test func aRecordStillBeingWrittenWithholdsTheWatermark() {
        let ring = Ring()
        ring.append([1])
        ring.append([2], busy: true)
        ring.append([3])
        let (records, result) = ring.drain()
        #expect(records == [[1]])
        #expect(result.caught_up == 0)
        #expect(result.watermark_ns == 0)
        #expect(result.busy_records == 1)
        #expect(ring.consumer.pointee == 16, "only the committed record before it is consumed")
        // The writer commits: the next drain reads the rest and proves its time.
        ring.data.storeBytes(of: UInt32(1), toByteOffset: 16, as: UInt32.self)
        ring.data.storeBytes(of: UInt32(1), toByteOffset: ring.size + 16, as: UInt32.self)
        let (rest, second) = ring.drain()
        #expect(rest == [[2], [3]])
        #expect(second.caught_up == 1 && second.watermark_ns > 0)
    }

    @Test func aRecordThatWrapsAroundReadsWhole() {
        let ring = Ring(size: 64)
        ring.append(Array(repeating: 7, count: 40))  // 48 bytes
        _ = ring.drain()
        ring.append(Array(0..<20))  // starts at 48, wraps past 64
        let (records, result) = ring.drain()
        #expect(records == [Array(0..<20)])
        #expect(result.caught_up == 1)
    }
}
