/// One TCP segment in an IP packet, as the scripted peer forges it or the
/// kernel sent it through the TUN device. Plain values: scenarios build them,
/// compare them and keep them for assertions.
public struct TCPSegment: Hashable, Sendable, CustomStringConvertible {
    public var source: PeerEndpoint
    public var destination: PeerEndpoint
    public var sequenceNumber: UInt32
    public var acknowledgmentNumber: UInt32
    public var flags: TCPFlags
    public var window: UInt16
    public var options: TCPOptions
    public var payload: [UInt8]
    /// IPv4 TTL or IPv6 hop limit.
    public var hopLimit: UInt8

    public init(
        from source: PeerEndpoint, to destination: PeerEndpoint,
        sequenceNumber: UInt32, acknowledgmentNumber: UInt32 = 0, flags: TCPFlags,
        window: UInt16 = 65535, options: TCPOptions = TCPOptions(), payload: [UInt8] = [], hopLimit: UInt8 = 64
    ) {
        precondition(source.address.family == destination.address.family, "one family per segment")
        self.source = source
        self.destination = destination
        self.sequenceNumber = sequenceNumber
        self.acknowledgmentNumber = acknowledgmentNumber
        self.flags = flags
        self.window = window
        self.options = options
        self.payload = payload
        self.hopLimit = hopLimit
    }

    /// Sequence space the segment occupies: payload plus one each for SYN and FIN.
    public var sequenceLength: UInt32 {
        UInt32(payload.count) + (flags.contains(.syn) ? 1 : 0) + (flags.contains(.fin) ? 1 : 0)
    }

    public var description: String {
        "\(source) > \(destination) \(flags) seq=\(sequenceNumber) ack=\(acknowledgmentNumber) len=\(payload.count)"
    }
}
