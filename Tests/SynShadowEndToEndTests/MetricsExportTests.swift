#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation
import SynShadowCore
import SynShadowTestbed
import SynShadowTracer
import Synchronization
import Testing

/// `--metrics-listen` and `--otlp-endpoint` on the real kernel: the figures
/// that reach a scraper or a collector are the scenario's known counts.
extension LiveKernelTests {
    @Suite struct MetricsExportTests {
        @Test func theScrapedMetricsAreTheScenariosCounts() throws {
            let scenario = try OverflowScenario(clean: 6)
            defer { scenario.close() }
            let metricsPort = try LoopbackHTTP.freePort()
            let trace = try BackgroundRun([
                "trace", "--port", "\(scenario.port)", "--metrics-listen", "127.0.0.1:\(metricsPort)", "--findings-only",
                "--duration", "90",
            ])
            #expect(trace.waitForStderr(containing: "self-check"), "trace did not start: \(trace.stderr)")
            try scenario.run()

            let listener = ["listener": "127.0.0.1:\(scenario.port)"]
            let drop = listener.merging(["id": "syn-dropped-accept-queue-full"]) { $1 }
            func settled(_ metrics: PrometheusText) -> Bool {
                metrics.value("synshadow_syns_total", listener) == Double(scenario.syns)
                    && metrics.value("synshadow_handshakes_total", listener) == Double(scenario.handshakes)
                    && metrics.value("synshadow_accepts_total", listener) == Double(scenario.accepts)
                    && metrics.value("synshadow_findings_total", drop) == 1
            }
            var metrics = PrometheusText("")
            var text = ""
            let deadline = Date().addingTimeInterval(20)
            repeat {
                if let response = try? LoopbackHTTP.get(port: metricsPort, path: "/metrics"), response.status == 200 {
                    text = response.body
                    metrics = PrometheusText(text)
                    if settled(metrics) { break }
                }
                usleep(300_000)
            } while Date() < deadline
            let status = trace.stop(signal: SIGTERM)

            #expect(settled(metrics), "figures never settled on the scenario's counts:\n\(text)")
            #expect(metrics.value("synshadow_syns_total", listener) == Double(scenario.syns))
            #expect(metrics.value("synshadow_handshakes_total", listener) == Double(scenario.handshakes))
            #expect(metrics.value("synshadow_accepts_total", listener) == Double(scenario.accepts))
            #expect(metrics.value("synshadow_findings_total", drop) == 1)
            #expect(metrics.value("synshadow_model_findings_total", ["id": "syn-dropped-accept-queue-full"]) == 1)
            // The histograms count every handshake and every accept, bucket for bucket.
            for (name, count) in [
                ("synshadow_handshake_duration_seconds", scenario.handshakes),
                ("synshadow_accept_wait_seconds", scenario.accepts),
            ] {
                #expect(metrics.types[name] == "histogram")
                #expect(metrics.value(name + "_count", listener) == Double(count))
                let buckets = metrics.all(name + "_bucket").filter { $0.labels["listener"] == listener["listener"] }
                    .sorted { Double($0.labels["le"]!) ?? .infinity < Double($1.labels["le"]!) ?? .infinity }
                #expect(buckets.count == LatencyHistogram.upperBounds.count + 1, "every model bound, and +Inf")
                #expect(buckets.dropLast().map { $0.labels["le"].flatMap(Double.init) } == LatencyHistogram.upperBounds.map { Double($0) / 1e9 })
                #expect(buckets.last?.value == Double(count))
                #expect(zip(buckets, buckets.dropFirst()).allSatisfy { $0.value <= $1.value }, "cumulative")
                #expect((metrics.value(name + "_sum", listener) ?? 0) > 0)
            }
            #expect(metrics.value("synshadow_accept_queue_length", listener.merging(["source": "model"]) { $1 }) == Double(scenario.queued))
            #expect(metrics.value("synshadow_accept_queue_length", listener.merging(["source": "kernel"]) { $1 }) == Double(scenario.queued))
            #expect(metrics.value("synshadow_accept_queue_backlog", listener) == 1)
            let netns = NetworkNamespace.inode(ofPath: "/proc/self/ns/net").map(String.init)
            #expect(metrics.all("synshadow_syns_total").map { $0.labels["netns"] } == [netns])
            #expect(metrics.value("synshadow_lost_events_total") == 0)
            #expect((metrics.value("synshadow_events_total") ?? 0) > 0)
            #expect(metrics.value("synshadow_listeners_folded") == 0)
            #expect(metrics.all("synshadow_info").count == 1)
            #expect(metrics.all("synshadow_info").first?.labels["tier"] == "tracepoint")
            #expect(metrics.all("synshadow_info").first?.labels["kernel"] == kernelRelease())
            #expect(metrics.all("synshadow_info").first?.value == 1)
            #expect(status == 0)
            #expect(trace.stderr.contains("detached"))
        }

        @Test func anIPv6EndpointServesMetrics() throws {
            let port = try LoopbackHTTP.freePort()
            let trace = try BackgroundRun(["trace", "--port", "9", "--metrics-listen", "[::1]:\(port)", "--duration", "60"])
            #expect(trace.waitForStderr(containing: "self-check"), "trace did not start: \(trace.stderr)")
            var response: LoopbackHTTP.Response?
            let deadline = Date().addingTimeInterval(10)
            while Date() < deadline {
                response = try? LoopbackHTTP.get(port: port, path: "/metrics", family: AF_INET6)
                if response?.body.contains("synshadow_info{") == true { break }
                usleep(200_000)
            }
            let missing = try? LoopbackHTTP.get(port: port, path: "/", family: AF_INET6)
            #expect(trace.stop() == 0)
            #expect(response?.status == 200)
            #expect(response?.body.contains("synshadow_info{") == true)
            #expect(missing?.status == 404)
        }

        @Test func aPortInUseIsOneLineNamingThePortBeforeAnyBPFLoads() throws {
            let holder = try TCPSocket(family: AF_INET)
            try holder.bindLoopback()
            try holder.listen(backlog: 1)
            let before = LoadedPrograms.count()
            let run = try Run([Run.binary, "trace", "--metrics-listen", "127.0.0.1:\(holder.localPort)"])
            #expect(run.status == 1)
            #expect(run.stderrLines.count == 1, "\(run.stderr)")
            #expect(run.stderr.contains("port \(holder.localPort) is already in use") && run.stderr.contains("--metrics-listen"))
            #expect(LoadedPrograms.count() <= before, "a failed start left programs loaded")
        }

        @Test(arguments: ["127.0.0.1", "localhost:9464", "[::1:9464", "127.0.0.1:0"])
        func aBadAddressIsOneLine(address: String) throws {
            // trace, not `record -o /dev/null`: record now refuses an existing
            // output file without --force, before it reads --metrics-listen.
            let run = try Run([Run.binary, "trace", "--metrics-listen", address])
            #expect(run.status == 1)
            #expect(run.stderrLines.count == 1, "\(run.stderr)")
            #expect(run.stderr.contains("--metrics-listen '\(address)'") && run.stderr.contains("ADDR:PORT"))
        }

        @Test func otlpCarriesTheMetricsAndTheFindingsAsLogs() async throws {
            let receiver = try OTLPReceiver()
            let receiverPort = receiver.port
            let outcome = try await Self.onThread { () throws -> (status: Int32, stderr: String, port: UInt16) in
                let scenario = try OverflowScenario(clean: 3)
                defer { scenario.close() }
                let trace = try BackgroundRun([
                    "trace", "--port", "\(scenario.port)", "--otlp-endpoint", "http://127.0.0.1:\(receiverPort)",
                    "--findings-only", "--duration", "90",
                ])
                guard trace.waitForStderr(containing: "self-check") else { return (-1, trace.stderr, scenario.port) }
                try scenario.run()
                // Long enough for the drop to be decided; the metrics go out
                // only at exit (the export interval is 10 s): the flush on a signal.
                usleep(2_500_000)
                return (trace.stop(signal: SIGINT), trace.stderr, scenario.port)
            }
            receiver.stop()
            #expect(outcome.status == 0, "\(outcome.stderr)")

            let metrics = receiver.bodies(at: "/v1/metrics")
            let logs = receiver.bodies(at: "/v1/logs")
            #expect(!metrics.isEmpty, "no POST to /v1/metrics")
            #expect(!logs.isEmpty, "no POST to /v1/logs")
            let metricStrings = try metrics.reduce(into: Set<String>()) { $0.formUnion(try ProtobufStrings.strings(in: $1)) }
            let logStrings = try logs.reduce(into: Set<String>()) { $0.formUnion(try ProtobufStrings.strings(in: $1)) }
            let listener = "127.0.0.1:\(outcome.port)"
            for expected in [
                "service.name", "synshadow", "synshadow_syns_total", "synshadow_handshakes_total",
                "synshadow_findings_total", "synshadow_handshake_duration_seconds", "synshadow_accept_wait_seconds",
                "synshadow_info", "tracepoint", "listener", listener, "syn-dropped-accept-queue-full",
                "synshadow_otlp_export_failures_total",
            ] {
                #expect(metricStrings.contains(expected), "metrics lack '\(expected)'")
            }
            for expected in ["service.name", "synshadow", "id", "syn-dropped-accept-queue-full", "listener", listener, "category", "behaviour", "flow"] {
                #expect(logStrings.contains(expected), "logs lack '\(expected)'")
            }
            #expect(logStrings.contains { $0.hasSuffix("-> \(listener)") }, "the flow attribute names the connection")
        }

        private static func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
            try await withCheckedThrowingContinuation { continuation in
                Thread { continuation.resume(with: Result { try work() }) }.start()
            }
        }
    }
}

/// A minimal OTLP/HTTP receiver on plain sockets: keeps every POST body by
/// path, answers 200 with an empty (valid) protobuf response.
final class OTLPReceiver: @unchecked Sendable {
    /// Touched only by the accepting thread until `stop` has waited for it.
    private let listener: TCPSocket
    private let received = Mutex<[(path: String, body: [UInt8])]>([])
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    let port: UInt16

    init() throws {
        listener = try TCPSocket(family: AF_INET)
        try listener.bindLoopback()
        try listener.listen(backlog: 64)
        port = listener.localPort
        Thread { [self] in
            while !stopping.load(ordering: .relaxed) {
                guard listener.waitReadable(milliseconds: 100), let client = try? listener.accept() else { continue }
                receive(from: client)
            }
            finished.signal()
        }.start()
    }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        finished.wait()
        listener.close()
    }

    func bodies(at path: String) -> [[UInt8]] {
        received.withLock { $0.filter { $0.path == path }.map(\.body) }
    }

    /// One request: the head up to its blank line, then Content-Length bytes of body.
    private func receive(from client: TCPSocket) {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var head: (path: String, length: Int, end: Int)?
        while client.waitReadable(milliseconds: 2000) {
            let count = buffer.withUnsafeMutableBytes { read(client.descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { return }
            bytes += buffer[0..<count]
            if head == nil, let end = bytes.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound {
                let lines = String(decoding: bytes[..<end], as: UTF8.self).split(separator: "\r\n")
                let path = lines.first?.split(separator: " ").dropFirst().first.map(String.init) ?? ""
                let length = lines.first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                head = (path, length, end)
            }
            if let head, bytes.count >= head.end + head.length {
                received.withLock { $0.append((head.path, Array(bytes[head.end..<head.end + head.length]))) }
                try? client.send(Array("HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
                return
            }
        }
    }
}
