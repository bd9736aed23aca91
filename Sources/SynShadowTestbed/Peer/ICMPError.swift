import SynShadowCore
import SynShadowTracer

/// An ICMP "destination unreachable" a router would send back about one of
/// the kernel's own segments: the kernel finds the socket by the quoted
/// headers, and for a request sock quoting its SYN-ACK (with the SYN-ACK's
/// own sequence number) tcp_req_err drops the request (ListenDrops).
/// IPv4 only: host unreachable (type 3, code 1) is one of the errors that abort.
struct ICMPError {
    /// The segment the error is about (sent by the kernel).
    var quoted: TCPSegment

    /// The whole IPv4 packet, from the segment's destination (the peer) back
    /// to its source, quoting its IP header and the first 8 bytes of TCP.
    var packet: [UInt8] {
        precondition(quoted.source.address.family == .ipv4, "ICMPError is IPv4 only")
        let original = quoted.packet
        var icmp: [UInt8] = [3, 1, 0, 0, 0, 0, 0, 0] + original.prefix(20 + 8)
        var checksum = InternetChecksum()
        checksum.add(icmp)
        icmp.replaceSubrange(2..<4, with: checksum.value.bigEndianBytes)
        var header: [UInt8] = [0x45, 0]
        header += UInt16(20 + icmp.count).bigEndianBytes
        header += [0, 0, 0, 0]  // identification, no flags
        header += [64, 1, 0, 0]  // TTL, ICMP, checksum placeholder
        header += quoted.destination.address.bytes + quoted.source.address.bytes
        var headerChecksum = InternetChecksum()
        headerChecksum.add(header)
        header.replaceSubrange(10..<12, with: headerChecksum.value.bigEndianBytes)
        return header + icmp
    }
}

extension ScriptedPeer {
    /// Reports `segment` (one the kernel sent) as undeliverable: host unreachable.
    public func sendHostUnreachable(quoting segment: TCPSegment) throws(PeerError) {
        try device.write(ICMPError(quoted: segment).packet)
    }
}
