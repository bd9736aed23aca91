#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation
import Synchronization

/// Serves `/metrics` (Prometheus text format) on plain POSIX sockets, on a
/// thread of its own (`MetricsServerLoop`), so a slow or hostile client
/// never touches the tracing thread, and no HTTP library is needed for one
/// page.
final class MetricsHTTPServer: Sendable {
    let endpoint: MetricsEndpoint
    /// The write end of the loop's wake-up pipe: closing it stops the loop.
    private let wake: Int32
    private let finished = DispatchSemaphore(value: 0)
    private let stopped = Atomic<Bool>(false)

    /// Binds and listens before it returns, so a port in use is reported at
    /// start-up, as one line. `render` runs on the server's thread, per scrape.
    init(
        endpoint: MetricsEndpoint, limits: MetricsServerLimits, warn: @escaping @Sendable (String) -> Void,
        render: @escaping @Sendable () -> String
    ) throws(MetricsExportError) {
        self.endpoint = endpoint
        let listener = try Self.listen(on: endpoint)
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            close(listener)
            throw MetricsExportError("cannot serve metrics on \(endpoint): pipe: \(SocketIO.describe(errno))", fix: "check --metrics-listen")
        }
        ends.forEach(SocketIO.makeNonBlocking)
        let wake = ends[0]
        self.wake = ends[1]
        let finished = self.finished
        let thread = Thread {
            MetricsServerLoop(listener: listener, wake: wake, limits: limits, warn: warn) { method, target in
                Self.answer(method: method, target: target, render: render)
            }.run()
            close(wake)
            finished.signal()
        }
        thread.name = "synshadow-metrics"
        thread.start()
    }

    /// Closes the listener and every connection (waits 2 s at most).
    func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        close(wake)
        _ = finished.wait(timeout: .now() + 2)
    }

    /// GET or HEAD /metrics → the exposition text; another path → 404 naming /metrics.
    private static func answer(method: String, target: String, render: () -> String) -> HTTPResponse {
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard path == "/metrics" else {
            return HTTPResponse(status: .notFound, body: Array("synshadow serves /metrics\n".utf8))
        }
        guard method == "GET" || method == "HEAD" else {
            var response = HTTPResponse.refusal(.methodNotAllowed)
            response.extraHeaders = ["Allow: GET, HEAD"]
            return response
        }
        return HTTPResponse(status: .ok, contentType: PrometheusExposition.contentType, body: Array(render().utf8))
    }

    /// A non-blocking listening socket on `endpoint`, or one line naming the cause.
    private static func listen(on endpoint: MetricsEndpoint) throws(MetricsExportError) -> Int32 {
        let family = endpoint.isIPv6 ? AF_INET6 : AF_INET
        let descriptor = socket(family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw explain(errno, endpoint: endpoint) }
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound: Int32
        if endpoint.isIPv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = endpoint.port.bigEndian
            inet_pton(AF_INET6, endpoint.address, &address.sin6_addr)
            bound = bind(descriptor, to: address)
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = endpoint.port.bigEndian
            inet_pton(AF_INET, endpoint.address, &address.sin_addr)
            bound = bind(descriptor, to: address)
        }
        guard bound == 0, Glibc.listen(descriptor, 128) == 0 else {
            let code = errno
            close(descriptor)
            throw explain(code, endpoint: endpoint)
        }
        return descriptor
    }

    private static func bind<Address>(_ descriptor: Int32, to address: Address) -> Int32 {
        withUnsafePointer(to: address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(descriptor, $0, socklen_t(MemoryLayout<Address>.size)) }
        }
    }

    private static func explain(_ code: Int32, endpoint: MetricsEndpoint) -> MetricsExportError {
        switch code {
        case EADDRINUSE:
            MetricsExportError(
                "cannot serve metrics on \(endpoint): port \(endpoint.port) is already in use",
                fix: "pick a free port for --metrics-listen (ss -ltnp 'sport = :\(endpoint.port)' shows who holds it)")
        case EADDRNOTAVAIL:
            MetricsExportError(
                "cannot serve metrics on \(endpoint): \(endpoint.address) is not an address of this host",
                fix: "use a local address in --metrics-listen, e.g. \(MetricsEndpoint.suggested)")
        default:
            MetricsExportError("cannot serve metrics on \(endpoint): \(SocketIO.describe(code))", fix: "check --metrics-listen")
        }
    }
}
