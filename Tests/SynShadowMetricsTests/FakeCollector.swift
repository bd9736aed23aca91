#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// Collectors that fail the ways issue 16 saw: a listener that never
/// accepts (its backlog completes the handshake, nothing ever answers), and
/// a plain TCP server that answers a line of text to whatever it is sent.
final class FakeCollector: Sendable {
    enum Behaviour: Sendable {
        case blackhole
        case plainText
    }

    let port: UInt16
    private let descriptor: Int32
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    init(_ behaviour: Behaviour) {
        let (socket, port) = LoopbackClient.boundLoopbackSocket()
        listen(socket, 64)
        descriptor = socket
        self.port = port
        guard behaviour == .plainText else {
            finished.signal()
            return
        }
        Thread { [self] in
            while !stopping.load(ordering: .relaxed) {
                var entry = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
                guard poll(&entry, 1, 100) == 1 else { continue }
                let client = accept(socket, nil, nil)
                guard client >= 0 else { continue }
                var buffer = [UInt8](repeating: 0, count: 4096)
                var request = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
                if poll(&request, 1, 1000) == 1 { _ = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) } }
                let reply = Array("this is not HTTP, nor TLS\n".utf8)
                _ = reply.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                close(client)
            }
            finished.signal()
        }.start()
    }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        finished.wait()
        close(descriptor)
    }
}
