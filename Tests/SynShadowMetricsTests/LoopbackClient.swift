#if canImport(Glibc)
import Glibc
#endif
import Foundation

@testable import SynShadowMetrics

/// A raw TCP client on 127.0.0.1 for the endpoint tests: nothing between the
/// test and the bytes, so an attack sends exactly what it says.
final class LoopbackClient: Sendable {
    let descriptor: Int32

    /// nil when the connection could not be made (refused, or no descriptor left).
    init?(port: UInt16, timeout: Double = 2) {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard socket >= 0 else { return nil }
        descriptor = socket
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result != 0 {
            guard errno == EINPROGRESS, wait(for: Int16(POLLOUT), seconds: timeout) else {
                close(socket)
                return nil
            }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(socket, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else {
                close(socket)
                return nil
            }
        }
    }

    deinit { close(descriptor) }

    func wait(for events: Int16, seconds: Double) -> Bool {
        var entry = pollfd(fd: descriptor, events: events, revents: 0)
        return poll(&entry, 1, Int32(seconds * 1000)) == 1
    }

    /// Sends until done, the peer stops reading for `seconds`, or the peer closes; the bytes sent.
    @discardableResult
    func send(_ bytes: [UInt8], seconds: Double = 2) -> Int {
        SocketIO.send(bytes, on: descriptor, until: SocketIO.monotonicNanoseconds() + UInt64(seconds * 1e9)).sent
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// Everything the peer sends until it closes or `seconds` pass.
    func receiveAll(seconds: Double) -> (bytes: [UInt8], closed: Bool) {
        let deadline = Date().addingTimeInterval(seconds)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0, wait(for: Int16(POLLIN), seconds: left) else { return (bytes, false) }
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                bytes += buffer[0..<count]
            } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                return (bytes, true)
            }
        }
    }

    /// The status code of an HTTP response, once its status line is in (within `seconds`).
    func status(seconds: Double) -> Int? {
        let deadline = Date().addingTimeInterval(seconds)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !bytes.contains(0x0a) {
            let left = deadline.timeIntervalSinceNow
            guard left > 0, wait(for: Int16(POLLIN), seconds: left) else { return nil }
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                bytes += buffer[0..<count]
            } else if count == 0 || (errno != EAGAIN && errno != EINTR) {
                break
            }
        }
        let line = String(decoding: bytes.prefix { $0 != 0x0a }, as: UTF8.self)
        return line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    }

    /// True once the server has closed (or reset) this connection, within `seconds`.
    func isClosedByPeer(seconds: Double) -> Bool {
        receiveAll(seconds: seconds).closed
    }

    /// A port nobody listens on right now (bound to port 0, then released).
    static func freePort() -> UInt16 {
        let (socket, port) = boundLoopbackSocket()
        close(socket)
        return port
    }

    /// A TCP socket bound to 127.0.0.1 on a port of the kernel's choosing, and that port.
    static func boundLoopbackSocket() -> (descriptor: Int32, port: UInt16) {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(socket, pointer, length)
                return getsockname(socket, pointer, &length)
            }
        }
        return (socket, UInt16(bigEndian: address.sin_port))
    }
}
