#if canImport(Glibc)
import Glibc
#endif

/// Where the metrics endpoint listens: a numeric address and a port, written
/// `127.0.0.1:9464` or `[::1]:9464`. Numeric only, so `--metrics-listen`
/// never depends on name resolution and says exactly which socket it binds.
public struct MetricsEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var address: String
    public var port: UInt16
    public var isIPv6: Bool

    /// The default the help text suggests: loopback only, Prometheus's
    /// conventional exporter port range.
    public static let suggested = "127.0.0.1:9464"

    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public var text: String
        public var reason: String
        public var description: String {
            "--metrics-listen '\(text)': \(reason); write ADDR:PORT, e.g. \(MetricsEndpoint.suggested) or [::1]:9464"
        }
    }

    public init(parsing text: String) throws(ParseError) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw ParseError(text: text, reason: "no closing ']'") }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw ParseError(text: text, reason: "no ':PORT' after ']'") }
            portText = rest.dropFirst()
            guard Self.isIPv6(host) else { throw ParseError(text: text, reason: "'\(host)' is not an IPv6 address") }
            isIPv6 = true
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw ParseError(text: text, reason: "no ':PORT'") }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                throw ParseError(text: text, reason: "an IPv6 address goes in brackets")
            }
            guard Self.isIPv4(host) else { throw ParseError(text: text, reason: "'\(host)' is not an IPv4 address") }
            isIPv6 = false
        }
        guard let port = UInt16(portText), port > 0 else {
            throw ParseError(text: text, reason: "'\(portText)' is not a port (1-65535)")
        }
        address = String(host)
        self.port = port
    }

    public var description: String { isIPv6 ? "[\(address)]:\(port)" : "\(address):\(port)" }

    private static func isIPv4(_ text: Substring) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, String(text), &address) == 1
    }

    private static func isIPv6(_ text: Substring) -> Bool {
        var address = in6_addr()
        return inet_pton(AF_INET6, String(text), &address) == 1
    }
}
