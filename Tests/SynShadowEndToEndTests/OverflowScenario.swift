#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SynShadowTracer

/// Known traffic with known counts on a loopback listener of backlog 1:
/// `clean` connections accepted one by one, then two children left queued
/// (a backlog of 1 holds two) and one more SYN, dropped on the full accept
/// queue. That client gives up before its SYN is retransmitted (1 s), so
/// the counts stay exact: SYNs clean + 3, handshakes clean + 2, accepts
/// clean, one `syn-dropped-accept-queue-full`.
final class OverflowScenario {
    let clean: Int
    let listener: TCPSocket
    private var clients: [TCPSocket] = []

    var port: UInt16 { listener.localPort }
    var syns: Int { clean + 3 }
    var handshakes: Int { clean + 2 }
    var accepts: Int { clean }
    var queued: Int { 2 }

    init(clean: Int) throws {
        self.clean = clean
        listener = try TCPSocket(family: AF_INET)
        try listener.bindLoopback()
        try listener.listen(backlog: 1)
    }

    func run() throws {
        for _ in 0..<clean {
            let client = try TCPSocket(family: AF_INET)
            try client.connectLoopback(port: port)
            try listener.accept().close()
            client.close()
        }
        for _ in 0..<queued {
            let client = try TCPSocket(family: AF_INET)
            try client.connectLoopback(port: port)
            clients.append(client)
        }
        let dropped = try TCPSocket(family: AF_INET)
        _ = fcntl(dropped.descriptor, F_SETFL, O_NONBLOCK)
        try? dropped.connectLoopback(port: port)
        usleep(150_000)
        dropped.close()  // still in SYN_SENT: nothing more is sent
    }

    func close() {
        for client in clients { client.close() }
        listener.close()
    }
}
