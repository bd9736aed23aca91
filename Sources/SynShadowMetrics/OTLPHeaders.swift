import Foundation

/// Extra request headers from `OTEL_EXPORTER_OTLP_HEADERS`
/// (`key1=value1,key2=value2`, values percent-encoded), as the
/// OpenTelemetry SDKs read it: how a collector's credentials are passed.
/// Entries that would break the request (no '=', a control character) are left out.
enum OTLPHeaders {
    static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> [(String, String)] {
        guard let text = environment["OTEL_EXPORTER_OTLP_HEADERS"] else { return [] }
        return text.split(separator: ",").compactMap { entry in
            guard let equals = entry.firstIndex(of: "=") else { return nil }
            let name = entry[..<equals].trimmingCharacters(in: .whitespaces)
            let raw = entry[entry.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            let value = raw.removingPercentEncoding ?? raw
            let allowed = { (text: String) in !text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f } }
            guard !name.isEmpty, !name.contains(":"), !name.contains(" "), allowed(name), allowed(value) else { return nil }
            return (name, value)
        }
    }
}
