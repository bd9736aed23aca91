import SynShadowCore

/// Synthetic half-open flows (SYN, request built, request hashed, never
/// ACKed) for sizing the model: what a SYN flood leaves behind. Shared by the
/// memory test and `synshadow bench`.
public enum HalfOpenFlows {
    public static let listener: UInt64 = 0xFFFF_8880_7000_0000
    public static let netns: UInt32 = 4_026_531_840

    /// The listener every flow belongs to, with a backlog that never fills.
    public static func listenEvent(at time: UInt64) -> KernelEvent {
        KernelEvent(
            kind: .listenStart, hook: .sockOpsListen, timestamp: time,
            flow: FlowKey(
                netns: netns, family: .ipv4, localAddress: IPAddress(high: 0x0100_000A, low: 0), localPort: 443,
                remoteAddress: IPAddress(high: 0, low: 0), remotePort: 0),
            flags: .queuesValid, listener: listener,
            queues: QueueFigures(acceptQueue: 0, acceptQueueLimit: 4096, requestQueue: 0))
    }

    /// The three records of half-open flow number `index`.
    public static func events(_ index: Int, at time: UInt64) -> [KernelEvent] {
        let flow = FlowKey(
            netns: netns, family: .ipv4, localAddress: IPAddress(high: 0x0100_000A, low: 0), localPort: 443,
            remoteAddress: IPAddress(high: UInt64(UInt32(truncatingIfNeeded: index >> 16) | 0x0000_0B00), low: 0),
            remotePort: UInt16(truncatingIfNeeded: index))
        return [
            KernelEvent(kind: .syn, hook: .cgroupSkbIngress, timestamp: time, flow: flow, listener: listener),
            KernelEvent(kind: .requestCreated, hook: .sockOpsRwndInit, timestamp: time + 30, flow: flow, listener: listener),
            KernelEvent(kind: .requestQueued, hook: .sockOpsTimeoutInit, timestamp: time + 60, flow: flow, listener: listener),
        ]
    }

    /// Feeds `count` half-open flows to `model` and moves its clock past the
    /// settle window but before any SYN-ACK timer.
    public static func fill(_ model: ShadowModel, count: Int, start: UInt64) {
        model.process(listenEvent(at: start))
        for index in 0..<count {
            for event in events(index, at: start + UInt64(index) * 100) { model.process(event) }
        }
        model.advance(to: start + UInt64(count) * 100 + 100_000_000)
    }
}
