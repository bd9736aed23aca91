import SynShadowCore
import SynShadowTestbed
import SynShadowTracer
import Testing

/// Loss is never silent: a SYN flood through a ring buffer far too small for
/// it must lose records, and every SYN the kernel counted at the listener must
/// be either a delivered record or a counted loss.
extension LiveKernelTests {
    @Suite struct LossAccountingTests {
        @Test func aFloodThroughATinyRingLosesRecordsAndCountsEveryOne() throws {
            let flood = try SynFloodLoss.measure(syns: 5000, ringBytes: 64 << 10)
            #expect(flood.synsAtListener > 0 && flood.synsAtListener <= Int64(flood.synsSent))
            #expect(flood.synRecordsLost > 0, "a 64 KiB ring (431 records) must overflow under 5000 SYNs")
            #expect(flood.synRecordsDelivered > 0)
            #expect(flood.isExact,
                "delivered \(flood.synRecordsDelivered) + lost \(flood.synRecordsLost) != \(flood.synsAtListener) SYNs counted by the kernel")
            #expect(flood.lossReported >= flood.synRecordsLost, "the consumer was told of every lost record")
        }
    }
}
