import FlyingFox
import FlyingSocks
import Foundation
import Synchronization

/// Serves `/metrics` (Prometheus text format) on a FlyingFox server: a
/// small async server of its own on Swift's cooperative pool, so a slow or
/// stuck scraper never touches the tracing thread.
final class MetricsHTTPServer: Sendable {
    private let server: HTTPServer
    let endpoint: MetricsEndpoint

    /// Binds and starts listening before it returns, so a port in use is
    /// reported at start-up, as one line.
    init(endpoint: MetricsEndpoint, render: @escaping @Sendable () -> String) throws(MetricsExportError) {
        self.endpoint = endpoint
        let address: any SocketAddress
        do {
            address =
                endpoint.isIPv6
                ? try sockaddr_in6.inet6(ip6: endpoint.address, port: endpoint.port)
                : try sockaddr_in.inet(ip4: endpoint.address, port: endpoint.port)
        } catch {
            throw MetricsExportError("cannot serve metrics on \(endpoint): \(error)", fix: "check --metrics-listen")
        }
        let server = HTTPServer(
            config: HTTPServer.Configuration(address: address, timeout: 15, logger: .disabled),
            handler: MetricsRequestHandler(render: render))
        self.server = server
        let failure = Mutex<(any Error)?>(nil)
        Task {
            do { try await server.run() } catch { failure.withLock { $0 = error } }
        }
        // Settled once the socket listens or the run failed (bind, listen).
        BlockingWait.run(seconds: 10) {
            while failure.withLock({ $0 == nil }), await server.listeningAddress == nil {
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        if let error = failure.withLock({ $0 }) { throw Self.explain(error, endpoint: endpoint) }
    }

    /// Closes the listening socket.
    func stop() {
        let server = self.server
        BlockingWait.run(seconds: 2) { await server.stop(timeout: 0) }
    }

    private static func explain(_ error: any Error, endpoint: MetricsEndpoint) -> MetricsExportError {
        if case SocketError.failed(_, let code, _) = error, code == EADDRINUSE {
            return MetricsExportError(
                "cannot serve metrics on \(endpoint): port \(endpoint.port) is already in use",
                fix: "pick a free port for --metrics-listen (ss -ltnp 'sport = :\(endpoint.port)' shows who holds it)")
        }
        if case SocketError.failed(_, let code, _) = error, code == EADDRNOTAVAIL {
            return MetricsExportError(
                "cannot serve metrics on \(endpoint): \(endpoint.address) is not an address of this host",
                fix: "use a local address in --metrics-listen, e.g. \(MetricsEndpoint.suggested)")
        }
        return MetricsExportError("cannot serve metrics on \(endpoint): \(error)", fix: "check --metrics-listen")
    }
}

/// GET /metrics → the exposition text; anything else → 404 naming /metrics.
private struct MetricsRequestHandler: HTTPHandler {
    let render: @Sendable () -> String

    func handleRequest(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard request.path == "/metrics" else {
            return HTTPResponse(statusCode: .notFound, body: Data("synshadow serves /metrics\n".utf8))
        }
        guard request.method == .GET || request.method == .HEAD else {
            return HTTPResponse(statusCode: .methodNotAllowed)
        }
        return HTTPResponse(
            statusCode: .ok, headers: HTTPHeaders([.contentType: "text/plain; version=0.0.4; charset=utf-8"]),
            body: Data(render().utf8))
    }
}
