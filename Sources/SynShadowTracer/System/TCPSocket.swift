#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CSynShadowSystem

/// Just enough of BSD sockets to drive real handshakes on loopback: the
/// self-check, the demo and the live tests all use it.
public final class TCPSocket {
    public private(set) var descriptor: Int32
    public let family: Int32

    public struct Failure: Error, CustomStringConvertible {
        public var call: String
        public var code: Int32
        public var description: String { "\(call): \(String(cString: strerror(code)))" }

        package init(call: String, code: Int32) {
            self.call = call
            self.code = code
        }
    }

    public init(family: Int32) throws(Failure) {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(call: "socket", code: errno) }
        self.descriptor = fd
        self.family = family
    }

    /// A TCP socket created by a short-lived child process in another cgroup
    /// (`cgroupDirectory`), in the calling thread's network namespace: it
    /// belongs to that cgroup for its whole life.
    public init(family: Int32, inCgroup cgroupDirectory: String) throws(Failure) {
        let fd = ss_socket_in_cgroup(cgroupDirectory + "/cgroup.procs", family)
        guard fd >= 0 else { throw Failure(call: "socket in cgroup \(cgroupDirectory)", code: -fd) }
        self.descriptor = fd
        self.family = family
    }

    private init(descriptor: Int32, family: Int32) {
        self.descriptor = descriptor
        self.family = family
    }

    deinit { close() }

    /// Closes with a FIN (or at once, for a listener). Idempotent.
    public func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    /// Closes now with a RST instead of a FIN (SO_LINGER with zero timeout).
    public func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close()
    }

    public func setOption(level: Int32, name: Int32, value: Int32) throws(Failure) {
        var value = value
        guard setsockopt(descriptor, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw Failure(call: "setsockopt", code: errno)
        }
    }

    /// Binds to the loopback address of the socket's family (port 0 = any).
    public func bindLoopback(port: UInt16 = 0) throws(Failure) {
        try setOption(level: SOL_SOCKET, name: SO_REUSEADDR, value: 1)
        var storage = TCPSocket.loopback(family: family, port: port)
        let status = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(descriptor, $0, TCPSocket.length(family))
            }
        }
        guard status == 0 else { throw Failure(call: "bind", code: errno) }
    }

    public func listen(backlog: Int32) throws(Failure) {
        guard Glibc.listen(descriptor, backlog) == 0 else { throw Failure(call: "listen", code: errno) }
    }

    public func connectLoopback(port: UInt16) throws(Failure) {
        var storage = TCPSocket.loopback(family: family, port: port)
        let status = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, TCPSocket.length(family))
            }
        }
        guard status == 0 else { throw Failure(call: "connect", code: errno) }
    }

    public func accept() throws(Failure) -> TCPSocket {
        let fd = Glibc.accept(descriptor, nil, nil)
        guard fd >= 0 else { throw Failure(call: "accept", code: errno) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return TCPSocket(descriptor: fd, family: family)
    }

    /// Waits up to `milliseconds` for the socket to become readable (an accept to be ready).
    public func waitReadable(milliseconds: Int32) -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, milliseconds) == 1
    }

    public func send(_ bytes: [UInt8]) throws(Failure) {
        let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw Failure(call: "send", code: errno) }
    }

    /// Reads until the peer closes (or an error): waits out the peer's FIN.
    /// With a timeout, gives up after that long without a byte or the FIN:
    /// a client whose ACK the server dropped (accept queue full) and whose
    /// listener then closed never hears from the server again.
    public func awaitClose(timeoutMilliseconds: Int32? = nil) {
        var byte: UInt8 = 0
        if let timeoutMilliseconds {
            var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            while poll(&entry, 1, timeoutMilliseconds) == 1, Glibc.recv(descriptor, &byte, 1, 0) > 0 {}
        } else {
            while Glibc.recv(descriptor, &byte, 1, 0) > 0 {}
        }
    }

    /// The locally bound port.
    public var localPort: UInt16 {
        endpoint(getsockname).port
    }

    /// The local (address bytes, port), for matching a flow's 4-tuple.
    public var localEndpoint: (address: [UInt8], port: UInt16) { endpoint(getsockname) }

    private func endpoint(
        _ query: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32
    ) -> (address: [UInt8], port: UInt16) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { query(descriptor, $0, &length) }
        }
        if family == AF_INET6 {
            return withUnsafeBytes(of: storage) { raw in
                let address = raw.load(as: sockaddr_in6.self)
                let bytes = withUnsafeBytes(of: address.sin6_addr) { Array($0) }
                return (bytes, UInt16(bigEndian: address.sin6_port))
            }
        }
        return withUnsafeBytes(of: storage) { raw in
            let address = raw.load(as: sockaddr_in.self)
            let bytes = withUnsafeBytes(of: address.sin_addr) { Array($0) } + Array(repeating: 0, count: 12)
            return (bytes, UInt16(bigEndian: address.sin_port))
        }
    }

    private static func loopback(family: Int32, port: UInt16) -> sockaddr_storage {
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { raw in
            if family == AF_INET6 {
                var address = sockaddr_in6()
                address.sin6_family = sa_family_t(AF_INET6)
                address.sin6_port = port.bigEndian
                address.sin6_addr = in6addr_loopback
                raw.storeBytes(of: address, as: sockaddr_in6.self)
            } else {
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = port.bigEndian
                address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
                raw.storeBytes(of: address, as: sockaddr_in.self)
            }
        }
        return storage
    }

    private static func length(_ family: Int32) -> socklen_t {
        socklen_t(family == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
    }
}
