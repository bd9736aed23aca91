#if canImport(Glibc)
import Glibc
#endif

/// An address and port: one end of a scripted flow, or of a real socket,
/// so the two can be compared (was the accepted child really our peer?).
public struct PeerEndpoint: Hashable, Sendable, CustomStringConvertible {
    public var address: PeerAddress
    public var port: UInt16

    public init(address: PeerAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// The remote end of a connected socket (getpeername); nil if it has none.
    public init?(remoteOf socket: TCPSocket) {
        self.init(socket: socket, query: getpeername)
    }

    /// The local end of a socket (getsockname).
    public init?(localOf socket: TCPSocket) {
        self.init(socket: socket, query: getsockname)
    }

    public var description: String {
        address.family == .ipv6 ? "[\(address)]:\(port)" : "\(address):\(port)"
    }

    private init?(
        socket: TCPSocket,
        query: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32
    ) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let status = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { query(socket.descriptor, $0, &length) }
        }
        guard status == 0 else { return nil }
        guard let endpoint = PeerEndpoint(storage) else { return nil }
        self = endpoint
    }

    /// Decodes a sockaddr_in/sockaddr_in6; a v4-mapped IPv6 address becomes IPv4,
    /// as the kernel reports such flows.
    init?(_ storage: sockaddr_storage) {
        switch Int32(storage.ss_family) {
        case AF_INET:
            let address = withUnsafeBytes(of: storage) { $0.load(as: sockaddr_in.self) }
            let bytes = withUnsafeBytes(of: address.sin_addr) { Array($0) }
            self.init(address: PeerAddress(bytes: bytes)!, port: UInt16(bigEndian: address.sin_port))
        case AF_INET6:
            let address = withUnsafeBytes(of: storage) { $0.load(as: sockaddr_in6.self) }
            let bytes = withUnsafeBytes(of: address.sin6_addr) { Array($0) }
            let mapped = bytes.prefix(10).allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff
            let wire = mapped ? Array(bytes.suffix(4)) : bytes
            self.init(address: PeerAddress(bytes: wire)!, port: UInt16(bigEndian: address.sin6_port))
        default:
            return nil
        }
    }

    /// The sockaddr to bind or connect to, and its length.
    package var socketAddress: (storage: sockaddr_storage, length: socklen_t) {
        var storage = sockaddr_storage()
        let length = withUnsafeMutableBytes(of: &storage) { raw -> Int in
            if address.family == .ipv6 {
                var socketAddress = sockaddr_in6()
                socketAddress.sin6_family = sa_family_t(AF_INET6)
                socketAddress.sin6_port = port.bigEndian
                withUnsafeMutableBytes(of: &socketAddress.sin6_addr) { $0.copyBytes(from: address.bytes) }
                raw.storeBytes(of: socketAddress, as: sockaddr_in6.self)
                return MemoryLayout<sockaddr_in6>.size
            }
            var socketAddress = sockaddr_in()
            socketAddress.sin_family = sa_family_t(AF_INET)
            socketAddress.sin_port = port.bigEndian
            withUnsafeMutableBytes(of: &socketAddress.sin_addr) { $0.copyBytes(from: address.bytes) }
            raw.storeBytes(of: socketAddress, as: sockaddr_in.self)
            return MemoryLayout<sockaddr_in>.size
        }
        return (storage, socklen_t(length))
    }
}
