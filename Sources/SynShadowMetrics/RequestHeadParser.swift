/// Reads an HTTP/1.1 request head as it arrives, in one pass over each byte
/// (no rescanning, so cost stays linear in what a client sends), and decides
/// as soon as it can: the request line, or the status to refuse it with.
/// Header fields are not kept: `/metrics` needs none of them.
struct RequestHeadParser {
    enum Outcome: Equatable {
        case needMore
        case request(method: String, target: String)
        case refuse(HTTPStatus)
    }

    private let limits: MetricsServerLimits
    private(set) var buffer: [UInt8] = []
    private var scanned = 0
    private var lineStart = 0
    private var requestLine: Range<Int>?

    init(limits: MetricsServerLimits) {
        self.limits = limits
    }

    /// Bytes the head may still grow by before it is refused.
    var room: Int { max(limits.maxHeaderBytes - buffer.count, 0) }

    mutating func append(_ bytes: some Collection<UInt8>) -> Outcome {
        buffer.append(contentsOf: bytes)
        while scanned < buffer.count {
            let index = scanned
            scanned += 1
            guard buffer[index] == 0x0a else { continue }
            var end = index
            if end > lineStart, buffer[end - 1] == 0x0d { end -= 1 }
            let line = lineStart..<end
            lineStart = index + 1
            if requestLine == nil {
                // Empty lines before the request line are allowed (RFC 9112 2.2).
                if line.isEmpty { continue }
                guard line.count <= limits.maxRequestLineBytes else { return .refuse(.uriTooLong) }
                requestLine = line
            } else if line.isEmpty {
                return parse(buffer[requestLine!])
            }
        }
        if requestLine == nil, buffer.count - lineStart > limits.maxRequestLineBytes { return .refuse(.uriTooLong) }
        if buffer.count >= limits.maxHeaderBytes { return .refuse(.headerFieldsTooLarge) }
        return .needMore
    }

    /// `METHOD SP target SP HTTP/1.x`, nothing else.
    private func parse(_ line: ArraySlice<UInt8>) -> Outcome {
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3,
            !parts[0].isEmpty, parts[0].allSatisfy({ (0x41...0x5a).contains($0) }),
            !parts[1].isEmpty, parts[1].allSatisfy({ $0 > 0x20 && $0 < 0x7f }),
            parts[2].elementsEqual("HTTP/1.1".utf8) || parts[2].elementsEqual("HTTP/1.0".utf8)
        else { return .refuse(.badRequest) }
        return .request(method: String(decoding: parts[0], as: UTF8.self), target: String(decoding: parts[1], as: UTF8.self))
    }
}
