import Foundation

/// `--otlp-endpoint URL`: the collector's OTLP/HTTP base URL. Metrics go
/// to `URL/v1/metrics`, logs to `URL/v1/logs` (a path in the URL is kept as
/// a prefix, for collectors behind a proxy).
struct OTLPEndpoint: Sendable, CustomStringConvertible {
    enum Signal: String, Sendable {
        case metrics, logs
    }

    /// As given, without a trailing '/': what warnings name.
    let description: String
    let isSecure: Bool
    /// Without brackets for IPv6.
    let host: String
    let port: UInt16
    private let prefix: String

    init(parsing text: String) throws(MetricsExportError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            ["http", "https"].contains(scheme), let host = components.host, !host.isEmpty,
            components.port.map({ (1...65535).contains($0) }) ?? true
        else {
            throw MetricsExportError(
                "--otlp-endpoint '\(text)' is not an http(s) URL",
                fix: "write the collector's OTLP/HTTP base URL, e.g. http://127.0.0.1:4318")
        }
        description = text.hasSuffix("/") ? String(text.dropLast()) : text
        isSecure = scheme == "https"
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        port = components.port.map { UInt16($0) } ?? (isSecure ? 443 : 80)
        prefix = components.percentEncodedPath.hasSuffix("/") ? String(components.percentEncodedPath.dropLast()) : components.percentEncodedPath
    }

    /// The request target for a signal: `/v1/metrics` under the URL's path.
    func path(for signal: Signal) -> String { prefix + "/v1/" + signal.rawValue }

    /// The full URL for a signal.
    func url(for signal: Signal) -> URL? { URL(string: description + "/v1/" + signal.rawValue) }

    /// The `Host` header: `host:port`, brackets around IPv6.
    var authority: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
