#if canImport(Glibc)
import Glibc
#endif
import SynShadowCore
import SynShadowTracer

/// A TUN interface in the calling thread's network namespace: the kernel
/// treats every packet written here as arriving from the addresses inside it,
/// and every packet it routes to the interface's prefix (SYN-ACKs, RSTs) is
/// read back here, so nothing else answers for the forged peers. Create it
/// inside `NetworkNamespaceSandbox.run`; closing it deletes the interface.
public final class TunDevice {
    /// The kernel's name for the interface ("synpeer0", ...).
    public let name: String
    public let index: UInt32
    /// The interface's own addresses: what listeners bind to.
    public let localIPv4: PeerAddress
    public let localIPv6: PeerAddress?
    public private(set) var descriptor: Int32
    /// One reusable receive buffer: a flood reads thousands of packets.
    private var buffer = [UInt8](repeating: 0, count: 65536)

    /// Fixed prefixes keep "peers are the other hosts of the subnet" simple.
    public static let ipv4PrefixLength = 24
    public static let ipv6PrefixLength = 64

    // ioctl numbers and flags from <linux/if_tun.h>, which Glibc's module does not export.
    private static let setInterface: UInt = 0x4004_54ca  // TUNSETIFF
    private static let tunMode: Int16 = 0x0001  // IFF_TUN: IP packets, no Ethernet header
    private static let noPacketInformation: Int16 = 0x1000  // IFF_NO_PI: no 4-byte prefix

    /// Creates and configures the interface: IPv4 `/24`, IPv6 `/64` unless
    /// `ipv6` is nil, up. Throws naming the missing piece (no /dev/net/tun, no IPv6).
    public init(
        ipv4: PeerAddress = PeerAddress("10.77.0.1")!, ipv6: PeerAddress? = PeerAddress("fd77::1")!,
        namePattern: String = "synpeer%d"
    ) throws(PeerError) {
        precondition(ipv4.family == .ipv4 && (ipv6?.family ?? .ipv6) == .ipv6, "address families")
        let fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            throw .system("open /dev/net/tun", fix: "run as root with the tun module loaded (modprobe tun)")
        }
        var request = InterfaceControl.interfaceRequest(namePattern)
        request.ifr_ifru.ifru_flags = Self.tunMode | Self.noPacketInformation
        guard ioctl(fd, Self.setInterface, &request) == 0 else {
            let error = PeerError.system("TUNSETIFF \(namePattern)", fix: "needs CAP_NET_ADMIN")
            Glibc.close(fd)
            throw error
        }
        descriptor = fd
        name = InterfaceControl.name(of: request)
        index = if_nametoindex(name)
        localIPv4 = ipv4
        localIPv6 = ipv6
        // On failure `deinit` closes the descriptor, which deletes the interface.
        try InterfaceControl.assignIPv4(ipv4, prefixLength: Self.ipv4PrefixLength, to: name)
        if ipv6 != nil {
            // Before the link comes up: no router solicitations to read past.
            try? InterfaceControl.writeSysctl("/proc/sys/net/ipv6/conf/\(name)/router_solicitations", "0")
        }
        try InterfaceControl.bringUp(name)
        if let ipv6 {
            try InterfaceControl.assignIPv6(ipv6, prefixLength: Self.ipv6PrefixLength, to: name, index: index)
        }
    }

    deinit { close() }

    /// Deletes the interface (the kernel removes a non-persistent TUN with its last fd). Idempotent.
    public func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    /// The interface's own address of `family`: where forged segments go.
    public func localAddress(_ family: AddressFamily) -> PeerAddress {
        switch family {
        case .ipv4: return localIPv4
        case .ipv6:
            guard let localIPv6 else { preconditionFailure("\(name) has no IPv6 address") }
            return localIPv6
        case .none: preconditionFailure("no address family")
        }
    }

    /// The `host`-th other address of the interface's prefix (10.77.0.<host>,
    /// fd77::<host>): a source the kernel routes its answers back through us.
    public func peerAddress(_ family: AddressFamily, host: Int) -> PeerAddress {
        var bytes = localAddress(family).bytes
        switch family {
        case .ipv4:
            precondition((1...254).contains(host), "IPv4 peers are hosts 1...254 of the /24")
            bytes[3] = UInt8(host)
        case .ipv6:
            precondition((1...0xffff_ffff).contains(host), "IPv6 peers are hosts 1...2^32-1 of the /64")
            bytes.replaceSubrange(12..<16, with: UInt32(host).bigEndianBytes)
        case .none:
            preconditionFailure("no address family")
        }
        let address = PeerAddress(bytes: bytes)!
        precondition(address != localAddress(family), "host \(host) is the interface itself")
        return address
    }

    /// Writes one IP packet; the kernel receives it as if it came in on the interface.
    public func write(_ packet: [UInt8]) throws(PeerError) {
        let written = packet.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        guard written == packet.count else { throw .system("write \(name) (\(packet.count) bytes)") }
    }

    /// The next packet the kernel sent out of the interface, waiting up to
    /// `timeout`; nil if none came. `.zero` only takes what is already queued.
    public func read(timeout: Duration) throws(PeerError) -> [UInt8]? {
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count >= 0 { return Array(buffer.prefix(count)) }
            guard errno == EAGAIN || errno == EINTR else { throw .system("read \(name)") }
            guard try waitReadable(timeout: timeout) else { return nil }
        }
    }

    private func waitReadable(timeout: Duration) throws(PeerError) -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&entry, 1, timeout.pollMilliseconds)
        if ready < 0, errno != EINTR { throw .system("poll \(name)") }
        return ready > 0
    }
}
