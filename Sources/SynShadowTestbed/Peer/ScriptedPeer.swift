import SynShadowCore
import SynShadowTracer

/// A scripted TCP client behind a TUN device: it forges exactly the segments
/// a scenario asks for (SYN floods, handshakes never ACKed, wrong ACKs, RSTs)
/// and records everything the kernel answers, which no real client stack can
/// do. Use it inside `NetworkNamespaceSandbox.run`, like its device.
public final class ScriptedPeer {
    public let device: TunDevice
    /// Packets read that were not TCP (neighbour discovery, MLD, ICMP): ignored.
    public private(set) var ignoredPackets = 0
    /// Packets read with a bad checksum or truncated: the kernel never sends those.
    public private(set) var malformedPackets = 0

    private var flows: [PeerFlow: FlowProgress] = [:]
    /// Segments read since the last `drainIncoming`, in arrival order.
    private var unreported: [TCPSegment] = []

    public init(device: TunDevice) {
        self.device = device
    }

    /// A peer on a new TUN device with the default addresses (10.77.0.1/24, fd77::1/64).
    public convenience init() throws(PeerError) {
        try self.init(device: TunDevice())
    }

    // MARK: Sending

    /// Forges a SYN and starts tracking the flow; answers arrive through the
    /// other calls. Sending again for the same endpoints starts the flow afresh.
    @discardableResult
    public func sendSYN(
        from source: PeerAddress, port sourcePort: UInt16, to destination: PeerAddress, port destinationPort: UInt16,
        isn: UInt32 = .random(in: .min ... .max), options: TCPOptions = .synDefault, payload: [UInt8] = []
    ) throws(PeerError) -> PeerFlow {
        let flow = PeerFlow(
            peer: PeerEndpoint(address: source, port: sourcePort),
            server: PeerEndpoint(address: destination, port: destinationPort))
        var progress = FlowProgress(initialSequence: isn, options: options)
        // Data in the SYN (Fast Open) takes sequence space after it.
        progress.sendNext &+= UInt32(payload.count)
        flows[flow] = progress
        try send(
            TCPSegment(from: flow.peer, to: flow.server, sequenceNumber: isn, flags: .syn, options: options, payload: payload))
        return flow
    }

    /// One SYN from each of `count` distinct sources: IPv4 peers cycle through
    /// hosts 2...254 of the prefix and then move to the next port; IPv6 peers
    /// each get their own host. Answers are read as they come so the device's
    /// queue (500 packets) never overflows.
    public func sendSYNs(
        count: Int, to server: PeerEndpoint, firstSourcePort: UInt16 = 20000, options: TCPOptions = .synDefault
    ) throws(PeerError) -> [PeerFlow] {
        let family = server.address.family
        var sent: [PeerFlow] = []
        sent.reserveCapacity(count)
        for index in 0..<count {
            let (host, portOffset) = family == .ipv4 ? (2 + index % 253, index / 253) : (2 + index, 0)
            let flow = try sendSYN(
                from: device.peerAddress(family, host: host), port: firstSourcePort &+ UInt16(truncatingIfNeeded: portOffset),
                to: server.address, port: server.port, options: options)
            sent.append(flow)
        }
        return sent
    }

    /// Completes the handshake (ack = their ISN + 1, or past what they sent
    /// since), optionally carrying data. Throws if no SYN-ACK was seen yet.
    public func sendACK(_ flow: PeerFlow, payload: [UInt8] = []) throws(PeerError) {
        guard let acknowledgment = flows[flow]?.receiveNext else {
            throw PeerError("no SYN-ACK seen for \(flow)", fix: "await it with awaitSYNACK first")
        }
        try sendACK(flow, ackNumber: acknowledgment, payload: payload)
    }

    /// An ACK with a chosen acknowledgment number: a deliberately wrong one
    /// tests the kernel's invalid-ACK handling (or a forged syncookie).
    public func sendACK(_ flow: PeerFlow, ackNumber: UInt32, payload: [UInt8] = []) throws(PeerError) {
        try sendFollowUp(flow, flags: payload.isEmpty ? .ack : [.ack, .psh], acknowledgment: ackNumber, payload: payload)
    }

    /// A bare RST at the peer's next sequence number: the peer abandons the flow.
    public func sendRST(_ flow: PeerFlow) throws(PeerError) {
        try sendFollowUp(flow, flags: .rst, acknowledgment: 0, payload: [])
    }

    /// FIN|ACK: the peer closes its side of an established flow.
    public func sendFIN(_ flow: PeerFlow) throws(PeerError) {
        let acknowledgment = flows[flow]?.receiveNext ?? 0
        try sendFollowUp(flow, flags: [.fin, .ack], acknowledgment: acknowledgment, payload: [])
    }

    /// Writes any forged segment as is (no flow bookkeeping), for cases the
    /// calls above do not cover.
    public func send(_ segment: TCPSegment) throws(PeerError) {
        try device.write(segment.packet)
        try receiveQueued()
    }

    private func sendFollowUp(
        _ flow: PeerFlow, flags: TCPFlags, acknowledgment: UInt32, payload: [UInt8]
    ) throws(PeerError) {
        guard var progress = flows[flow] else { throw PeerError("unknown flow \(flow)", fix: "start it with sendSYN") }
        let segment = TCPSegment(
            from: flow.peer, to: flow.server, sequenceNumber: progress.sendNext, acknowledgmentNumber: acknowledgment,
            flags: flags, options: progress.nextOptions(), payload: payload)
        progress.sendNext &+= segment.sequenceLength
        flows[flow] = progress
        try send(segment)
    }

    // MARK: Receiving

    /// The kernel's ISN for `flow` from its first SYN-ACK, waiting up to
    /// `timeout`; nil if none came. Returns at once if one already arrived.
    public func awaitSYNACK(for flow: PeerFlow, timeout: Duration) throws(PeerError) -> UInt32? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let isn = flows[flow]?.theirInitialSequence { return isn }
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard try receive(timeout: max(remaining, .zero)) else { return nil }
        }
    }

    /// How many SYN-ACKs the kernel sent for `flow` so far: more than one means retransmission.
    public func synACKCount(for flow: PeerFlow) -> Int {
        flows[flow]?.synACKCount ?? 0
    }

    /// Everything the kernel sent for `flow` so far, in arrival order.
    public func segments(for flow: PeerFlow) -> [TCPSegment] {
        flows[flow]?.received ?? []
    }

    /// Every TCP segment the kernel sent since the previous drain (including
    /// those read while waiting for something else), after reading for `timeout`.
    public func drainIncoming(timeout: Duration = .zero) throws(PeerError) -> [TCPSegment] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            guard try receive(timeout: max(remaining, .zero)) else { break }
        }
        defer { unreported.removeAll() }
        return unreported
    }

    /// Reads whatever is queued without waiting.
    private func receiveQueued() throws(PeerError) {
        while try receive(timeout: .zero) {}
    }

    /// Reads and files one packet; false when none came within `timeout`.
    private func receive(timeout: Duration) throws(PeerError) -> Bool {
        guard let packet = try device.read(timeout: timeout) else { return false }
        do {
            let segment = try TCPSegment(packet: packet)
            unreported.append(segment)
            flows[PeerFlow(peer: segment.destination, server: segment.source)]?.record(segment)
        } catch .notTCP {
            ignoredPackets += 1
        } catch {
            malformedPackets += 1
        }
        return true
    }
}
