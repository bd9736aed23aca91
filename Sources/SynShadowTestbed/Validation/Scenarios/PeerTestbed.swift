#if canImport(Glibc)
import Glibc
#endif
import SynShadowCore
import SynShadowTracer

/// Listeners on a TUN device and the scripted peer in front of them: the
/// stage for scenarios that need exact segments (a SYN never ACKed, an ACK
/// with a wrong number, a RST at the right sequence number) that no real
/// client sends. It lives on the sandbox's thread: create and use it inside
/// `NetworkNamespaceSandbox.run`.
final class PeerTestbed {
    /// A listening socket and the address the peer's SYNs go to.
    struct Listener {
        var socket: TCPSocket
        var endpoint: PeerEndpoint
    }

    let peer: ScriptedPeer
    /// The kernel answers inside the peer's write; this only bounds waiting for an answer that never comes.
    static let answerWait: Duration = .milliseconds(300)

    init() throws {
        peer = try ScriptedPeer()
    }

    /// Whether the TUN driver is there: Debian's stock kernels build it as a
    /// module, which a bare guest initramfs does not load.
    static var isSupported: Bool {
        let descriptor = Glibc.open("/dev/net/tun", O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        Glibc.close(descriptor)
        return true
    }

    /// A listener on the device's own address of `family`.
    func listen(_ family: AddressFamily, backlog: Int32) throws -> Listener {
        let socket = try TCPSocket(family: family == .ipv4 ? AF_INET : AF_INET6)
        try socket.bind(to: PeerEndpoint(address: peer.device.localAddress(family), port: 0))
        try socket.listen(backlog: backlog)
        return Listener(
            socket: socket, endpoint: PeerEndpoint(address: peer.device.localAddress(family), port: socket.localPort))
    }

    /// A SYN from the peer's `source`-th flow (its own host and port) to `listener`.
    func sendSYN(_ source: Int, to listener: Listener) throws -> PeerFlow {
        let family = listener.endpoint.address.family
        return try peer.sendSYN(
            from: peer.device.peerAddress(family, host: 2 + source % 200), port: 40000 + UInt16(source),
            to: listener.endpoint.address, port: listener.endpoint.port)
    }

    /// Whether the kernel answered `flow`'s SYN with a SYN-ACK.
    func isAnswered(_ flow: PeerFlow) throws -> Bool {
        try peer.awaitSYNACK(for: flow, timeout: Self.answerWait) != nil
    }

    /// A SYN whose SYN-ACK must come (a request, or a cookie): throws if none did.
    @discardableResult
    func open(_ source: Int, to listener: Listener) throws -> PeerFlow {
        let flow = try sendSYN(source, to: listener)
        guard try isAnswered(flow) else { throw PeerError("no SYN-ACK for \(flow)") }
        return flow
    }

    /// SYN, SYN-ACK, ACK: a child waits in `listener`'s accept queue.
    @discardableResult
    func handshake(_ source: Int, to listener: Listener) throws -> PeerFlow {
        let flow = try open(source, to: listener)
        try peer.sendACK(flow)
        return flow
    }

    /// Accepts every child `listener` has ready, waiting up to `wait` for the first.
    func acceptReady(from listener: Listener, wait: Int32 = 300) throws -> [TCPSocket] {
        var children: [TCPSocket] = []
        var timeout = wait
        while listener.socket.waitReadable(milliseconds: timeout) {
            children.append(try listener.socket.accept())
            timeout = 0
        }
        return children
    }

    /// Whether the kernel sent `flow`'s peer a RST so far (reading what is queued).
    func wasReset(_ flow: PeerFlow) throws -> Bool {
        _ = try peer.drainIncoming(timeout: .milliseconds(50))
        return peer.segments(for: flow).contains { $0.flags.contains(.rst) }
    }
}
