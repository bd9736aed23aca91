#if canImport(Glibc)
import Glibc
import SynShadowTracer
#endif

/// Interface configuration through ioctls and /proc/sys only: the same code
/// runs in a busybox guest, where no iproute2 exists. Everything applies to
/// the calling thread's network namespace.
enum InterfaceControl {
    /// `ip addr add <address>/<prefix> dev <name>` for IPv4: SIOCSIFADDR, then SIOCSIFNETMASK.
    static func assignIPv4(_ address: PeerAddress, prefixLength: Int, to name: String) throws(PeerError) {
        let control = try controlSocket(family: AF_INET)
        defer { close(control) }
        let mask = prefixLength == 0 ? 0 : UInt32.max << (32 - UInt32(prefixLength))
        var request = interfaceRequest(name)
        setIPv4(address.bytes, in: &request)
        guard ioctl(control, UInt(SIOCSIFADDR), &request) == 0 else {
            throw .system("SIOCSIFADDR \(address) on \(name)")
        }
        setIPv4(mask.bigEndianBytes, in: &request)
        guard ioctl(control, UInt(SIOCSIFNETMASK), &request) == 0 else {
            throw .system("SIOCSIFNETMASK /\(prefixLength) on \(name)")
        }
    }

    /// `ip -6 addr add <address>/<prefix> dev <name>`: SIOCSIFADDR on an
    /// AF_INET6 socket takes a `struct in6_ifreq` (address, prefix length, ifindex).
    static func assignIPv6(_ address: PeerAddress, prefixLength: Int, to name: String, index: UInt32) throws(PeerError) {
        let directory = "/proc/sys/net/ipv6/conf/\(name)"
        guard access(directory, F_OK) == 0 else {
            throw PeerError(
                "IPv6 is unavailable: no \(directory)",
                fix: "boot a kernel with IPv6 (CONFIG_IPV6, no ipv6.disable=1)")
        }
        // The address must be usable at once, not tentative while DAD runs.
        try writeSysctl("\(directory)/disable_ipv6", "0")
        try writeSysctl("\(directory)/accept_dad", "0")
        let control = try controlSocket(family: AF_INET6)
        defer { close(control) }
        // struct in6_ifreq { struct in6_addr; __u32 ifr6_prefixlen; int ifr6_ifindex; }
        var request = address.bytes + UInt32(prefixLength).nativeBytes + Int32(bitPattern: index).nativeBytes
        let status = request.withUnsafeMutableBytes { ioctl(control, UInt(SIOCSIFADDR), $0.baseAddress!) }
        guard status == 0 else {
            throw .system(
                "SIOCSIFADDR \(address)/\(prefixLength) on \(name)",
                fix: "IPv6 must be enabled in this network namespace")
        }
        try awaitUsable(address, on: name)
    }

    /// An address added by ioctl starts tentative (only netlink can ask for
    /// IFA_F_NODAD) until a workqueue clears the flag, even with DAD off, and
    /// a tentative address refuses bind() and incoming packets. Waits it out
    /// by reading the namespace's own /proc/thread-self/net/if_inet6.
    private static func awaitUsable(_ address: PeerAddress, on name: String) throws(PeerError) {
        let tentative: UInt32 = 0x40  // IFA_F_TENTATIVE
        let failed: UInt32 = 0x08  // IFA_F_DADFAILED
        let hex = address.bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        let deadline = ContinuousClock.now + .seconds(3)
        var flags: UInt32?
        while ContinuousClock.now < deadline {
            flags = ipv6AddressFlags(hex: hex, interface: name)
            if let flags, flags & failed != 0 { throw PeerError("\(address) on \(name): duplicate address detection failed") }
            if let flags, flags & tentative == 0 { return }
            usleep(1000)
        }
        throw PeerError(
            "\(address) on \(name) still \(flags == nil ? "absent" : "tentative") after 3 s",
            fix: "check net.ipv6.conf.\(name).accept_dad")
    }

    /// The flags column of the address's line in if_inet6, nil if absent.
    private static func ipv6AddressFlags(hex: String, interface name: String) -> UInt32? {
        let fd = open("/proc/thread-self/net/if_inet6", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var text: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            text += chunk.prefix(count)
        }
        // "fd770000000000000000000000000001 05 40 00 80 synpeer0": address, index, prefix, scope, flags, name.
        for line in String(decoding: text, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 6, fields[0] == hex, fields[5] == name { return UInt32(fields[4], radix: 16) }
        }
        return nil
    }

    /// `ip link set <name> up`.
    static func bringUp(_ name: String) throws(PeerError) {
        let control = try controlSocket(family: AF_INET)
        defer { close(control) }
        var request = interfaceRequest(name)
        guard ioctl(control, UInt(SIOCGIFFLAGS), &request) == 0 else { throw .system("SIOCGIFFLAGS \(name)") }
        request.ifr_ifru.ifru_flags |= Int16(IFF_UP)
        guard ioctl(control, UInt(SIOCSIFFLAGS), &request) == 0 else { throw .system("SIOCSIFFLAGS \(name) up") }
    }

    /// Writes one /proc/sys file (the namespace's own, for per-namespace settings).
    static func writeSysctl(_ path: String, _ value: String) throws(PeerError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .system("open \(path)") }
        defer { close(fd) }
        let written = value.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
        guard written == value.utf8.count else { throw .system("write \(path)") }
    }

    /// An ifreq naming `name`; the kernel truncates nothing because callers
    /// only pass names it gave back (at most IFNAMSIZ - 1 bytes).
    static func interfaceRequest(_ name: String) -> ifreq {
        var request = ifreq()
        withUnsafeMutableBytes(of: &request.ifr_ifrn.ifrn_name) { raw in
            for (index, byte) in name.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
        return request
    }

    /// The name stored in an ifreq, up to its NUL.
    static func name(of request: ifreq) -> String {
        withUnsafeBytes(of: request.ifr_ifrn.ifrn_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    private static func controlSocket(family: Int32) throws(PeerError) -> Int32 {
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw .system(family == AF_INET6 ? "socket(AF_INET6)" : "socket(AF_INET)")
        }
        return fd
    }

    private static func setIPv4(_ bytes: [UInt8], in request: inout ifreq) {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        withUnsafeMutableBytes(of: &address.sin_addr) { $0.copyBytes(from: bytes) }
        withUnsafeMutableBytes(of: &request.ifr_ifru) { $0.storeBytes(of: address, as: sockaddr_in.self) }
    }
}

extension FixedWidthInteger {
    /// Host byte order, for kernel structs that are not on the wire.
    fileprivate var nativeBytes: [UInt8] { withUnsafeBytes(of: self) { Array($0) } }
}
