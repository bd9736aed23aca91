#if canImport(Glibc)
import Glibc
import SynShadowTracer
#endif

extension TCPSocket {
    /// Binds to a TUN-side address (port 0 = any), so a listener receives
    /// exactly the SYNs the scripted peer forges to that address.
    public func bind(to endpoint: PeerEndpoint) throws(Failure) {
        try setOption(level: SOL_SOCKET, name: SO_REUSEADDR, value: 1)
        var (storage, length) = endpoint.socketAddress
        let status = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(descriptor, $0, length) }
        }
        guard status == 0 else { throw Failure(call: "bind \(endpoint)", code: errno) }
    }

    /// Connects to any endpoint (blocking): real clients of a listener bound
    /// to a wildcard or to a second loopback address.
    public func connect(to endpoint: PeerEndpoint) throws(Failure) {
        var (storage, length) = endpoint.socketAddress
        let status = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, length) }
        }
        guard status == 0 else { throw Failure(call: "connect \(endpoint)", code: errno) }
    }
}
