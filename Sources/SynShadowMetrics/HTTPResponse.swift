/// A complete HTTP/1.1 response, as the bytes to send. Every response
/// closes its connection: one request per connection keeps the server free
/// of pipelining and request bodies, and costs a scraper one handshake.
struct HTTPResponse {
    var status: HTTPStatus
    var contentType = "text/plain; charset=utf-8"
    var body: [UInt8] = []
    var extraHeaders: [String] = []

    /// With `includeBody` false (HEAD), the headers still give the body's length.
    func bytes(includeBody: Bool = true) -> [UInt8] {
        var head = "HTTP/1.1 \(status.rawValue) \(status.reason)\r\n"
        head += "Content-Type: \(contentType)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
        for header in extraHeaders { head += header + "\r\n" }
        head += "\r\n"
        return Array(head.utf8) + (includeBody ? body : [])
    }

    /// A refusal: the status, and its reason as the body.
    static func refusal(_ status: HTTPStatus) -> HTTPResponse {
        HTTPResponse(status: status, body: Array("\(status.reason)\n".utf8))
    }
}
