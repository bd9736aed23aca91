import Dispatch
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization

/// One OTLP/HTTP POST over https, through the toolchain's own
/// FoundationNetworking (libcurl and the system's CA store): TLS without a
/// TLS stack in the package graph. One session for the process, never torn
/// down; the wait is bounded by the deadline whatever the session does.
enum TLSPost {
    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        return URLSession(configuration: configuration)
    }()

    static func post(to url: URL, body: [UInt8], headers: [(String, String)], seconds: Double) throws(OTLPPostFailure) {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: max(seconds, 0.1))
        request.httpMethod = "POST"
        request.setValue("application/x-protobuf", forHTTPHeaderField: "Content-Type")
        request.setValue("synshadow", forHTTPHeaderField: "User-Agent")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = Data(body)
        let outcome = Mutex<Result<Int, OTLPPostFailure>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: request) { _, response, error in
            let result: Result<Int, OTLPPostFailure> =
                if let error {
                    .failure(OTLPPostFailure(reason: describe(error)))
                } else if let response = response as? HTTPURLResponse {
                    .success(response.statusCode)
                } else {
                    .failure(OTLPPostFailure(reason: "no HTTP answer"))
                }
            outcome.withLock { $0 = result }
            done.signal()
        }
        task.resume()
        guard done.wait(timeout: .now() + max(seconds, 0.1) + 0.5) == .success else {
            task.cancel()
            throw OTLPPostFailure(reason: "no answer within the timeout")
        }
        switch outcome.withLock({ $0 }) {
        case .success(let status) where (200..<300).contains(status): return
        case .success(let status): throw OTLPPostFailure(reason: "the collector answered HTTP \(status)")
        case .failure(let failure): throw failure
        case nil: throw OTLPPostFailure(reason: "no answer")
        }
    }

    private static func describe(_ error: any Error) -> String {
        guard let error = error as? URLError else { return "\(error)" }
        switch error.code {
        case .timedOut: return "no answer within the timeout"
        case .cannotConnectToHost: return "connection refused"
        case .cannotFindHost, .dnsLookupFailed: return "cannot resolve the host"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
            .serverCertificateNotYetValid, .serverCertificateHasUnknownRoot, .clientCertificateRejected:
            return "TLS failed (URLError \(error.code.rawValue)): is it https, with a certificate this host trusts?"
        default: return "URLError \(error.code.rawValue): \(error.localizedDescription)"
        }
    }
}
