import SynShadowTracer

/// What the peer knows about one flow: its own sequence space and what the
/// kernel has sent so far. Internal: scenarios see it through `ScriptedPeer`.
struct FlowProgress {
    /// The next sequence number the peer sends.
    var sendNext: UInt32
    /// The kernel's ISN, from its first SYN-ACK (a syncookie, when cookies are on).
    var theirInitialSequence: UInt32?
    /// The next in-order sequence number expected from the kernel.
    var receiveNext: UInt32?
    /// Every SYN-ACK counts: retransmissions are what some scenarios check.
    var synACKCount = 0
    /// Our timestamp clock, when the SYN offered timestamps.
    var timestampClock: UInt32?
    /// The kernel's latest TSval, echoed back (a syncookie may encode options there).
    var theirTimestamp: UInt32?
    /// Everything the kernel sent for this flow, in arrival order.
    var received: [TCPSegment] = []

    init(initialSequence: UInt32, options: TCPOptions) {
        sendNext = initialSequence &+ 1
        timestampClock = options.timestamp?.value
    }

    /// Takes in one segment the kernel sent for this flow.
    mutating func record(_ segment: TCPSegment) {
        received.append(segment)
        if let timestamp = segment.options.timestamp { theirTimestamp = timestamp.value }
        if segment.flags.isSuperset(of: .synACK) {
            synACKCount += 1
            if theirInitialSequence == nil {
                theirInitialSequence = segment.sequenceNumber
                receiveNext = segment.sequenceNumber &+ 1
            }
        } else if segment.sequenceNumber == receiveNext, !segment.flags.contains(.rst) {
            receiveNext = segment.sequenceNumber &+ segment.sequenceLength
        }
    }

    /// Options for the peer's next non-SYN segment: timestamps once both sides use them.
    mutating func nextOptions() -> TCPOptions {
        guard let clock = timestampClock, let theirTimestamp else { return TCPOptions() }
        timestampClock = clock &+ 1
        return TCPOptions(timestamp: .init(value: clock &+ 1, echoReply: theirTimestamp))
    }
}
