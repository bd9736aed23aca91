import SynShadowCore
import SynShadowTracer

/// Loss forced on purpose, to prove it is counted exactly. The scripted peer
/// floods a listener in a network namespace of its own with SYNs, with
/// `tcp_syncookies=2` so the kernel keeps no state and counts every SYN that
/// reached the listener (TcpExtSyncookiesSent). The session traces through a
/// ring buffer far too small for the flood and is not drained until it is
/// over. Every SYN that reaches the listener is one SYN record attempt, so the
/// SYN records delivered plus the SYN records the kernel counted lost must
/// equal the kernel's own count of SYNs — nothing vanishes uncounted.
public struct SynFloodLoss: Sendable {
    public var synsSent: Int
    /// TcpExtSyncookiesSent over the flood: SYNs that reached the listener.
    public var synsAtListener: Int64
    public var synRecordsDelivered: UInt64
    public var synRecordsLost: UInt64
    /// Every kind, as the consumer was told (ring full or a step whose segment was not found).
    public var lossReported: UInt64
    public var tier: Tier

    public var isExact: Bool { Int64(synRecordsDelivered + synRecordsLost) == synsAtListener }

    /// Floods `syns` SYNs through a ring of `ringBytes` (a power of two, at least a page).
    public static func measure(syns: Int, ringBytes: UInt32 = 64 << 10, tier: Tier? = nil) throws -> SynFloodLoss {
        let sandbox = try NetworkNamespaceSandbox()
        try sandbox.setSysctl("net/ipv4/tcp_syncookies", "2")
        var configuration = LiveTracer.Configuration(tier: tier, netns: sandbox.inode)
        configuration.ringBytes = ringBytes
        let tracer = try LiveTracer(configuration: configuration)
        defer { tracer.close() }
        let collector = CollectingConsumer()
        _ = try tracer.start(into: collector)
        collector.events.removeAll()
        let lostBefore = tracer.session.counters().lost(.syn)
        let reportedBefore = collector.lost

        let before = try sandbox.counters()
        let port = try sandbox.run { () throws -> UInt16 in
            let bed = try PeerTestbed()
            let listener = try bed.listen(.ipv4, backlog: 128)
            _ = try bed.peer.sendSYNs(count: syns, to: listener.endpoint)
            return listener.endpoint.port
        }
        let after = try sandbox.counters()
        // Now drain: what fitted in the ring, and the count of what did not.
        var quiet = 0
        while quiet < 3 {
            let seen = collector.events.count
            try tracer.drainOnce(into: collector, timeoutMilliseconds: 20)
            quiet = collector.events.count == seen ? quiet + 1 : 0
        }
        let delivered = collector.events.reduce(into: UInt64(0)) { count, event in
            if event.kind == .syn && event.flow.localPort == port && event.flow.netns == sandbox.inode { count += 1 }
        }
        return SynFloodLoss(
            synsSent: syns, synsAtListener: after["TcpExtSyncookiesSent"] - before["TcpExtSyncookiesSent"],
            synRecordsDelivered: delivered, synRecordsLost: tracer.session.counters().lost(.syn) - lostBefore,
            lossReported: collector.lost - reportedBefore, tier: tracer.tier)
    }
}
