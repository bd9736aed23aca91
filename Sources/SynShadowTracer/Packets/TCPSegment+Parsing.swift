import SynShadowCore

extension TCPSegment {
    /// Why a packet read from the TUN device is not a usable TCP segment.
    public enum ParseError: Error, Equatable, Sendable {
        /// Not IPv4/IPv6 TCP (neighbour and router solicitations, MLD, ICMP, fragments).
        case notTCP
        case truncated
        case badIPv4HeaderChecksum
        case badTCPChecksum
    }

    /// Parses an IPv4 or IPv6 packet carrying TCP, verifying the IPv4 header
    /// checksum and the TCP checksum, so damage is reported, never decoded.
    public init(packet: [UInt8]) throws(ParseError) {
        guard let first = packet.first else { throw .truncated }
        let tcpRange: Range<Int>
        let sourceBytes: ArraySlice<UInt8>
        let destinationBytes: ArraySlice<UInt8>
        let hopLimit: UInt8
        switch first >> 4 {
        case 4:
            let headerLength = Int(first & 0x0f) * 4
            guard headerLength >= 20, packet.count >= headerLength else { throw .truncated }
            let totalLength = Int(UInt16(bigEndianBytes: packet[2..<4]))
            guard totalLength >= headerLength, totalLength <= packet.count else { throw .truncated }
            let fragment = UInt16(bigEndianBytes: packet[6..<8])
            guard packet[9] == 6, fragment & 0x3fff == 0 else { throw .notTCP }
            var checksum = InternetChecksum()
            checksum.add(packet[0..<headerLength])
            guard checksum.value == 0 else { throw .badIPv4HeaderChecksum }
            tcpRange = headerLength..<totalLength
            sourceBytes = packet[12..<16]
            destinationBytes = packet[16..<20]
            hopLimit = packet[8]
        case 6:
            guard packet.count >= 40 else { throw .truncated }
            let payloadLength = Int(UInt16(bigEndianBytes: packet[4..<6]))
            guard packet[6] == 6 else { throw .notTCP }
            guard 40 + payloadLength <= packet.count else { throw .truncated }
            tcpRange = 40..<(40 + payloadLength)
            sourceBytes = packet[8..<24]
            destinationBytes = packet[24..<40]
            hopLimit = packet[7]
        default:
            throw .notTCP
        }
        try self.init(
            tcp: packet[tcpRange], source: PeerAddress(bytes: sourceBytes)!,
            destination: PeerAddress(bytes: destinationBytes)!, hopLimit: hopLimit)
    }

    private init(
        tcp: ArraySlice<UInt8>, source: PeerAddress, destination: PeerAddress, hopLimit: UInt8
    ) throws(ParseError) {
        let base = tcp.startIndex
        guard tcp.count >= 20 else { throw .truncated }
        let headerLength = Int(tcp[base + 12] >> 4) * 4
        guard headerLength >= 20, headerLength <= tcp.count else { throw .truncated }
        self.init(
            from: PeerEndpoint(address: source, port: UInt16(bigEndianBytes: tcp[base..<(base + 2)])),
            to: PeerEndpoint(address: destination, port: UInt16(bigEndianBytes: tcp[(base + 2)..<(base + 4)])),
            sequenceNumber: UInt32(bigEndianBytes: tcp[(base + 4)..<(base + 8)]),
            acknowledgmentNumber: UInt32(bigEndianBytes: tcp[(base + 8)..<(base + 12)]),
            flags: TCPFlags(rawValue: tcp[base + 13]),
            window: UInt16(bigEndianBytes: tcp[(base + 14)..<(base + 16)]),
            options: TCPOptions(decoding: tcp[(base + 20)..<(base + headerLength)]),
            payload: Array(tcp[(base + headerLength)...]),
            hopLimit: hopLimit)
        var checksum = pseudoHeaderChecksum(length: tcp.count)
        checksum.add(tcp)
        guard checksum.value == 0 else { throw .badTCPChecksum }
    }
}
