#if canImport(Glibc)
import Glibc
#endif
import SynShadowCore
import SynShadowTestbed
import SynShadowTracer
import Testing

/// The scripted peer must be trustworthy before scenarios lean on it: its
/// forged segments are accepted by the real kernel, it sees every answer
/// (retransmissions included), and it can drive the passive open into
/// request-queue overflow and syncookies. Every kernel step runs in a private
/// network namespace; results are carried out of `sandbox.run` and checked here.
extension LiveKernelTests {
    @Suite(.enabled(if: PacketPeerEnvironment.isAvailable, PacketPeerEnvironment.skipReason))
    struct PacketPeerTests {
        // MARK: (a) full handshake

        @Test(arguments: [AddressFamily.ipv4, .ipv6])
        func scriptedHandshakeIsAcceptedByARealListener(family: AddressFamily) throws {
            let sandbox = try NetworkNamespaceSandbox()
            let before = try sandbox.counters()
            let greeting = Array("hello".utf8)  // odd length: checksum padding on the wire
            let result = try sandbox.run { () throws -> HandshakeResult in
                let peer = try ScriptedPeer()
                let listener = try TCPSocket(family: family == .ipv4 ? AF_INET : AF_INET6)
                try listener.bind(to: PeerEndpoint(address: peer.device.localAddress(family), port: 0))
                try listener.listen(backlog: 8)
                let flow = try peer.sendSYN(
                    from: peer.device.peerAddress(family, host: 2), port: 40000,
                    to: peer.device.localAddress(family), port: listener.localPort, isn: 0xffff_fff0)
                let theirISN = try peer.awaitSYNACK(for: flow, timeout: .seconds(2))
                try peer.sendACK(flow, payload: greeting)
                let child = listener.waitReadable(milliseconds: 2000) ? try listener.accept() : nil
                var received = [UInt8](repeating: 0, count: 16)
                let count = child.map { recv($0.descriptor, &received, received.count, Int32(MSG_DONTWAIT)) } ?? -1
                let answers = try peer.drainIncoming(timeout: .milliseconds(300))
                return HandshakeResult(
                    flow: flow, theirISN: theirISN, synACK: peer.segments(for: flow).first,
                    acceptedPeer: child.flatMap { PeerEndpoint(remoteOf: $0) },
                    received: Array(received.prefix(max(count, 0))), answers: answers,
                    malformed: peer.malformedPackets)
            }
            let delta = try sandbox.counters().delta(since: before)

            #expect(result.theirISN != nil, "SYN-ACK for \(result.flow)")
            let synACK = try #require(result.synACK)
            #expect(synACK.flags == .synACK)
            #expect(synACK.acknowledgmentNumber == 0xffff_fff1, "acks our ISN + 1")
            #expect(synACK.options.maximumSegmentSize != nil)
            #expect(result.acceptedPeer == result.flow.peer, "accept() returned the scripted peer")
            #expect(result.received == greeting, "payload on the handshake ACK delivered")
            let dataACK = result.answers.contains {
                $0.flags.contains(.ack) && $0.acknowledgmentNumber == 0xffff_fff1 &+ UInt32(greeting.count)
            }
            #expect(dataACK, "kernel acknowledged our data, across sequence wrap-around")
            #expect(result.malformed == 0)
            #expect(delta["TcpPassiveOpens"] == 1)
            #expect(delta["TcpInCsumErrors"] == nil)
        }

        // MARK: (b) SYN-ACK retransmission

        @Test func unansweredSYNACKIsRetransmittedUpToTheRetryLimit() throws {
            let sandbox = try NetworkNamespaceSandbox()
            try sandbox.setSysctl("net/ipv4/tcp_synack_retries", "1")
            let before = try sandbox.counters()
            let (isns, count) = try sandbox.run { () throws -> ([UInt32], Int) in
                let peer = try ScriptedPeer()
                let listener = try TCPSocket(family: AF_INET)
                try listener.bind(to: PeerEndpoint(address: peer.device.localIPv4, port: 0))
                try listener.listen(backlog: 8)
                let flow = try peer.sendSYN(
                    from: peer.device.peerAddress(.ipv4, host: 9), port: 40001,
                    to: peer.device.localIPv4, port: listener.localPort)
                _ = try peer.awaitSYNACK(for: flow, timeout: .seconds(2))
                // First retransmission after ~1 s (TCP_TIMEOUT_INIT), then the
                // request expires at ~3 s: wait past that to see nothing more comes.
                _ = try peer.drainIncoming(timeout: .milliseconds(4500))
                let synACKs = peer.segments(for: flow).filter { $0.flags == .synACK }
                return (synACKs.map(\.sequenceNumber), peer.synACKCount(for: flow))
            }
            let delta = try sandbox.counters().delta(since: before)

            #expect(count >= 2, "retransmitted SYN-ACK seen")
            #expect(count == 2, "1 retry allowed: original + 1 retransmission, then the request expires")
            #expect(Set(isns).count == 1, "retransmissions repeat the same ISN")
            #expect(delta["TcpExtTCPSynRetrans"] == 1, "deltas: \(delta)")
        }

        // MARK: (c) SYN flood: request queue overflow, then syncookies

        @Test func synFloodWithoutCookiesOverflowsTheRequestQueue() throws {
            let sandbox = try NetworkNamespaceSandbox()
            try sandbox.setSysctl("net/ipv4/tcp_syncookies", "0")
            let before = try sandbox.counters()
            let answered = try sandbox.run { () throws -> Int in
                let peer = try ScriptedPeer()
                let listener = try TCPSocket(family: AF_INET)
                try listener.bind(to: PeerEndpoint(address: peer.device.localIPv4, port: 0))
                try listener.listen(backlog: 8)
                let server = PeerEndpoint(address: peer.device.localIPv4, port: listener.localPort)
                let flows = try peer.sendSYNs(count: 300, to: server)
                _ = try peer.drainIncoming(timeout: .milliseconds(300))
                return flows.filter { peer.synACKCount(for: $0) > 0 }.count
            }
            let delta = try sandbox.counters().delta(since: before)

            // The queue counts as full only when its length exceeds the backlog: 8 + 1 requests fit.
            #expect(answered == 9, "only the request queue's backlog + 1 slots were answered")
            #expect(delta["TcpExtTCPReqQFullDrop"] == 291, "deltas: \(delta)")
            #expect(delta["TcpExtListenDrops"] == 291)
            #expect(delta["TcpExtSyncookiesSent"] == nil)
        }

        /// net.ipv4.tcp_syncookies governs IPv6 too.
        @Test(arguments: [AddressFamily.ipv4, .ipv6])
        func synFloodWithCookiesAnswersEverySYNAndACookieCompletes(family: AddressFamily) throws {
            let sandbox = try NetworkNamespaceSandbox()
            try sandbox.setSysctl("net/ipv4/tcp_syncookies", "2")
            let before = try sandbox.counters()
            let (answered, acceptedPeer, flow) = try sandbox.run { () throws -> (Int, PeerEndpoint?, PeerFlow) in
                let peer = try ScriptedPeer()
                let listener = try TCPSocket(family: family == .ipv4 ? AF_INET : AF_INET6)
                try listener.bind(to: PeerEndpoint(address: peer.device.localAddress(family), port: 0))
                try listener.listen(backlog: 8)
                let server = PeerEndpoint(address: peer.device.localAddress(family), port: listener.localPort)
                let flows = try peer.sendSYNs(count: 300, to: server)
                _ = try peer.drainIncoming(timeout: .milliseconds(300))
                let answered = flows.filter { peer.synACKCount(for: $0) == 1 }.count
                let chosen = flows[150]
                try peer.sendACK(chosen)
                let child = listener.waitReadable(milliseconds: 2000) ? try listener.accept() : nil
                return (answered, child.flatMap { PeerEndpoint(remoteOf: $0) }, chosen)
            }
            let delta = try sandbox.counters().delta(since: before)

            #expect(answered == 300, "every SYN got exactly one (cookie) SYN-ACK")
            #expect(delta["TcpExtSyncookiesSent"] == 300, "deltas: \(delta)")
            #expect(delta["TcpExtSyncookiesRecv"] == 1)
            #expect(delta["TcpExtSyncookiesFailed"] == nil)
            #expect(delta["TcpExtTCPReqQFullDrop"] == nil)
            #expect(acceptedPeer == flow.peer, "the cookie ACK became an accepted child")
        }

        // MARK: (d) checksums

        @Test(arguments: [AddressFamily.ipv4, .ipv6])
        func forgedChecksumsSurviveParsingAndTheKernel(family: AddressFamily) throws {
            let sandbox = try NetworkNamespaceSandbox()
            let before = try sandbox.counters()
            let (segment, damaged, goodISN, badAnswers) = try sandbox.run {
                () throws -> (TCPSegment, TCPSegment, UInt32?, [TCPSegment]) in
                let peer = try ScriptedPeer()
                let listener = try TCPSocket(family: family == .ipv4 ? AF_INET : AF_INET6)
                try listener.bind(to: PeerEndpoint(address: peer.device.localAddress(family), port: 0))
                try listener.listen(backlog: 8)
                let server = PeerEndpoint(address: peer.device.localAddress(family), port: listener.localPort)
                let options = TCPOptions(
                    maximumSegmentSize: 1200, windowScale: 7, sackPermitted: true,
                    timestamp: .init(value: 0x0102_0304, echoReply: 0))
                let segment = TCPSegment(
                    from: PeerEndpoint(address: peer.device.peerAddress(family, host: 3), port: 40003),
                    to: server, sequenceNumber: 7, flags: .syn, options: options)
                var damaged = segment
                damaged.source.port = 40004
                // One flipped bit in the sequence number: only the TCP checksum can tell.
                var bad = damaged.packet
                bad[family == .ipv4 ? 27 : 47] ^= 0x01
                try peer.device.write(bad)
                let badAnswers = try peer.drainIncoming(timeout: .milliseconds(300)).filter {
                    $0.destination == damaged.source
                }
                let goodFlow = try peer.sendSYN(
                    from: segment.source.address, port: segment.source.port, to: server.address, port: server.port,
                    isn: 7, options: options)
                let goodISN = try peer.awaitSYNACK(for: goodFlow, timeout: .seconds(2))
                return (segment, damaged, goodISN, badAnswers)
            }
            let delta = try sandbox.counters().delta(since: before)

            #expect(try TCPSegment(packet: segment.packet) == segment, "parse round-trip")
            var badTCP = damaged.packet
            badTCP[badTCP.count - 1] ^= 0x80
            #expect(throws: TCPSegment.ParseError.badTCPChecksum) { try TCPSegment(packet: badTCP) }
            if family == .ipv4 {
                var badHeader = segment.packet
                badHeader[8] &-= 1  // TTL, covered only by the IPv4 header checksum
                #expect(throws: TCPSegment.ParseError.badIPv4HeaderChecksum) { try TCPSegment(packet: badHeader) }
            }
            #expect(goodISN != nil, "the kernel accepted the forged SYN")
            #expect(badAnswers.isEmpty, "the kernel dropped the damaged SYN")
            #expect(delta["TcpInCsumErrors"] == 1, "deltas: \(delta)")
        }
    }
}

/// The peer needs root (TUNSETIFF, interface ioctls) and the TUN driver;
/// without them the tests are skipped with a message naming what is missing.
private enum PacketPeerEnvironment {
    static let missing: String? = {
        if getuid() != 0 { return "packet peer tests skipped: not root (TUNSETIFF needs CAP_NET_ADMIN)" }
        if access("/dev/net/tun", R_OK | W_OK) != 0 { return "packet peer tests skipped: no /dev/net/tun" }
        return nil
    }()

    static var isAvailable: Bool { missing == nil }
    static var skipReason: Comment { Comment(rawValue: missing ?? "") }
}

/// What the handshake test carries out of the sandbox's thread.
private struct HandshakeResult {
    var flow: PeerFlow
    var theirISN: UInt32?
    var synACK: TCPSegment?
    var acceptedPeer: PeerEndpoint?
    var received: [UInt8]
    var answers: [TCPSegment]
    var malformed: Int
}
