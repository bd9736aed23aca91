import Foundation
import SynShadowCore
import SynShadowTracer

/// The request socks the kernel holds for one listening port, read from
/// /proc/net/tcp{,6} (state 03, SYN_RECV): the kernel's own answer to
/// "which SYNs got a request and which got a syncookie", independent of the
/// tracer and the model. Read it on the sandbox's thread.
enum RequestSockTable {
    /// The peers (remote endpoints) holding a request sock on `port`.
    static func peers(onPort port: UInt16, family: AddressFamily) throws -> Set<PeerEndpoint> {
        let file = family == .ipv4 ? "/proc/thread-self/net/tcp" : "/proc/thread-self/net/tcp6"
        let text = try String(contentsOfFile: file, encoding: .utf8)
        var peers: Set<PeerEndpoint> = []
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            guard fields.count > 3, fields[3] == "03", let local = endpoint(fields[1]), local.port == port,
                let remote = endpoint(fields[2])
            else { continue }
            peers.insert(remote)
        }
        return peers
    }

    /// "0100007F:1F90": the address as the kernel's 32-bit words in host
    /// (little-endian) order, then the port.
    private static func endpoint(_ field: Substring) -> PeerEndpoint? {
        let parts = field.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1], radix: 16), parts[0].count % 8 == 0 else { return nil }
        var bytes: [UInt8] = []
        var index = parts[0].startIndex
        while index < parts[0].endIndex {
            let next = parts[0].index(index, offsetBy: 8)
            guard let word = UInt32(parts[0][index..<next], radix: 16) else { return nil }
            bytes += withUnsafeBytes(of: word.littleEndian) { Array($0) }
            index = next
        }
        return PeerAddress(bytes: bytes).map { PeerEndpoint(address: $0, port: port) }
    }
}
