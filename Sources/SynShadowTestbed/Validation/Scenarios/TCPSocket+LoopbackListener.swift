#if canImport(Glibc)
import Glibc
import SynShadowTracer
#endif

extension TCPSocket {
    /// A listener on the loopback address of `family` (AF_INET or AF_INET6,
    /// IPv6-only so the two families' listeners stay apart), on a free port.
    static func loopbackListener(family: Int32, backlog: Int32) throws -> TCPSocket {
        let listener = try TCPSocket(family: family)
        if family == AF_INET6 {
            try listener.setOption(level: Int32(IPPROTO_IPV6), name: IPV6_V6ONLY, value: 1)
        }
        try listener.bindLoopback()
        try listener.listen(backlog: backlog)
        return listener
    }
}
