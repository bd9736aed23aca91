#if canImport(Glibc)
import Glibc
#endif

/// One OTLP/HTTP POST over plain TCP, on POSIX sockets, all of it (name
/// lookup aside) bounded by one deadline: connect, send, and the status
/// line of the reply. `Connection: close`; only the status is read.
enum PlainHTTPPost {
    static func post(
        to endpoint: OTLPEndpoint, path: String, body: [UInt8], headers: [String], deadline: UInt64
    ) throws(OTLPPostFailure) {
        let descriptor = try connect(to: endpoint, deadline: deadline)
        defer { close(descriptor) }
        var head = "POST \(path) HTTP/1.1\r\nHost: \(endpoint.authority)\r\nUser-Agent: synshadow\r\n"
        head += "Content-Type: application/x-protobuf\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
        for header in headers { head += header + "\r\n" }
        try send(Array((head + "\r\n").utf8) + body, on: descriptor, deadline: deadline)
        let status = try statusLine(from: descriptor, deadline: deadline)
        guard (200..<300).contains(status) else { throw OTLPPostFailure(reason: "the collector answered HTTP \(status)") }
    }

    private static func connect(to endpoint: OTLPEndpoint, deadline: UInt64) throws(OTLPPostFailure) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let lookup = getaddrinfo(endpoint.host, String(endpoint.port), &hints, &list)
        guard lookup == 0, let list else {
            throw OTLPPostFailure(reason: "cannot resolve \(endpoint.host): \(String(cString: gai_strerror(lookup)))")
        }
        defer { freeaddrinfo(list) }
        var failure = "no address for \(endpoint.host)"
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let address = entry?.pointee {
            entry = address.ai_next
            let descriptor = socket(address.ai_family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
            guard descriptor >= 0 else {
                failure = SocketIO.describe(errno)
                continue
            }
            if Glibc.connect(descriptor, address.ai_addr, address.ai_addrlen) == 0 { return descriptor }
            var code = errno
            if code == EINPROGRESS {
                guard SocketIO.wait(descriptor, for: Int16(POLLOUT), until: deadline) else {
                    close(descriptor)
                    throw OTLPPostFailure(reason: "connecting timed out")
                }
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &code, &length)
                if code == 0 { return descriptor }
            }
            failure = SocketIO.describe(code)
            close(descriptor)
        }
        throw OTLPPostFailure(reason: failure)
    }

    private static func send(_ bytes: [UInt8], on descriptor: Int32, deadline: UInt64) throws(OTLPPostFailure) {
        switch SocketIO.send(bytes, on: descriptor, until: deadline).error {
        case nil: return
        case ETIMEDOUT: throw OTLPPostFailure(reason: "sending timed out (the collector stopped reading)")
        case let code?: throw OTLPPostFailure(reason: "sending failed: \(SocketIO.describe(code))")
        }
    }

    /// The status code of `HTTP/1.x NNN ...`, read within the deadline.
    private static func statusLine(from descriptor: Int32, deadline: UInt64) throws(OTLPPostFailure) -> Int {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while !bytes.contains(0x0a), bytes.count < 8192 {
            guard SocketIO.wait(descriptor, for: Int16(POLLIN), until: deadline) else {
                throw OTLPPostFailure(reason: "no answer within the timeout")
            }
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                bytes += buffer[0..<count]
            } else if count == 0 {
                break
            } else if errno != EAGAIN, errno != EINTR {
                throw OTLPPostFailure(reason: "reading the answer failed: \(SocketIO.describe(errno))")
            }
        }
        let line = bytes.prefix { $0 != 0x0a }
        let parts = line.split(separator: 0x20)
        guard parts.count >= 2, parts[0].starts(with: "HTTP/1.".utf8),
            let status = Int(String(decoding: parts[1], as: UTF8.self))
        else {
            throw OTLPPostFailure(reason: bytes.isEmpty ? "the collector closed without answering" : "the answer is not HTTP")
        }
        return status
    }
}
