#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SynShadowTracer

/// A plain HTTP/1.1 GET over a loopback socket (no client library between
/// the test and what the server sent), and a free port to listen on.
enum LoopbackHTTP {
    struct Response {
        var status: Int
        var body: String
    }

    static func get(port: UInt16, path: String, family: Int32 = AF_INET, timeoutMilliseconds: Int32 = 3000) throws
        -> Response?
    {
        let socket = try TCPSocket(family: family)
        try socket.connectLoopback(port: port)
        try socket.send(Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while socket.waitReadable(milliseconds: timeoutMilliseconds) {
            let count = buffer.withUnsafeMutableBytes { read(socket.descriptor, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes += buffer[0..<count]
            if let response = parse(bytes), response.complete { return response.value }
        }
        return parse(bytes)?.value
    }

    /// The response once its headers are in; complete when Content-Length bytes of body arrived.
    private static func parse(_ bytes: [UInt8]) -> (value: Response, complete: Bool)? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { return nil }
        let head = text[..<split.lowerBound]
        let body = String(text[split.upperBound...])
        let statusLine = head.split(separator: "\r\n").first ?? ""
        let status = statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) }
        return (Response(status: status, body: body), length.map { body.utf8.count >= $0 } ?? false)
    }

    /// A port nobody listens on right now (bound to port 0, then released).
    static func freePort() throws -> UInt16 {
        let socket = try TCPSocket(family: AF_INET)
        try socket.bindLoopback()
        defer { socket.close() }
        return socket.localPort
    }
}
