import CSynShadowSystem
import Foundation

/// One OTLP/HTTP POST over https, through the system's libcurl loaded at run
/// time (`ss_https_post`): TLS without a TLS stack in the package graph or in
/// the binary's links, so a release binary needs only the C library and
/// https works wherever libcurl4 is installed. `OTEL_EXPORTER_OTLP_CERTIFICATE`
/// names a CA file to trust instead of the system's (OpenTelemetry's variable).
enum TLSPost {
    static func post(to url: URL, body: [UInt8], headers: [(String, String)], seconds: Double) throws(OTLPPostFailure) {
        let lines = [("Content-Type", "application/x-protobuf")] + headers
        let headerLines = lines.map { "\($0.0): \($0.1)" }
        let caFile = ProcessInfo.processInfo.environment["OTEL_EXPORTER_OTLP_CERTIFICATE"].flatMap { $0.isEmpty ? nil : $0 }
        var reason = [CChar](repeating: 0, count: 512)
        let timeout = Int(max(seconds, 0.1) * 1000)
        let status = withCStrings(headerLines) { headerPointers in
            body.withUnsafeBytes { bytes in
                ss_https_post(
                    url.absoluteString, bytes.baseAddress, bytes.count, headerPointers, headerLines.count, timeout,
                    caFile, &reason, reason.count)
            }
        }
        if status == 0 {
            throw OTLPPostFailure(reason: String(decoding: reason.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        guard (200..<300).contains(status) else { throw OTLPPostFailure(reason: "the collector answered HTTP \(status)") }
    }

    /// `strings` as a C array of C strings, alive for `body`.
    private static func withCStrings<Result>(
        _ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> Result
    ) -> Result {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let pointers = copies.map { UnsafePointer<CChar>($0) }
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
