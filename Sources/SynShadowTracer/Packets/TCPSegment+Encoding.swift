import SynShadowCore

extension TCPSegment {
    /// The whole IP packet (IPv4 or IPv6 header, TCP header, options, payload)
    /// with every checksum filled in, ready to write to a TUN device.
    public var packet: [UInt8] {
        let tcp = tcpHeaderAndPayload()
        return source.address.family == .ipv6 ? ipv6Header(payloadLength: tcp.count) + tcp
            : ipv4Header(payloadLength: tcp.count) + tcp
    }

    private func tcpHeaderAndPayload() -> [UInt8] {
        let optionBytes = options.encoded
        let headerLength = 20 + optionBytes.count
        precondition(headerLength <= 60, "TCP options exceed 40 bytes")
        var bytes = source.port.bigEndianBytes + destination.port.bigEndianBytes
        bytes += sequenceNumber.bigEndianBytes + acknowledgmentNumber.bigEndianBytes
        bytes += [UInt8(headerLength / 4) << 4, flags.rawValue]
        bytes += window.bigEndianBytes + [0, 0, 0, 0]  // checksum, urgent pointer
        bytes += optionBytes + payload
        var checksum = pseudoHeaderChecksum(length: bytes.count)
        checksum.add(bytes)
        bytes.replaceSubrange(16..<18, with: checksum.value.bigEndianBytes)
        return bytes
    }

    /// The sum over the pseudo-header every TCP checksum starts from (RFC 793 / RFC 8200 §8.1).
    func pseudoHeaderChecksum(length: Int) -> InternetChecksum {
        var checksum = InternetChecksum()
        checksum.add(source.address.bytes)
        checksum.add(destination.address.bytes)
        checksum.add(UInt32(length))
        checksum.add(UInt16(6))  // IPPROTO_TCP
        return checksum
    }

    private func ipv4Header(payloadLength: Int) -> [UInt8] {
        var header: [UInt8] = [0x45, 0]  // version 4, IHL 5; DSCP/ECN 0
        header += UInt16(20 + payloadLength).bigEndianBytes
        header += [0, 0, 0x40, 0]  // identification 0, don't fragment
        header += [hopLimit, 6, 0, 0]  // TTL, TCP, checksum placeholder
        header += source.address.bytes + destination.address.bytes
        var checksum = InternetChecksum()
        checksum.add(header)
        header.replaceSubrange(10..<12, with: checksum.value.bigEndianBytes)
        return header
    }

    private func ipv6Header(payloadLength: Int) -> [UInt8] {
        var header: [UInt8] = [0x60, 0, 0, 0]  // version 6, no traffic class or flow label
        header += UInt16(payloadLength).bigEndianBytes
        header += [6, hopLimit]  // next header TCP
        return header + source.address.bytes + destination.address.bytes
    }
}
