import Foundation
import SynShadowCore
import SynShadowMetrics
import Testing

/// Issue 16 item 9: a collector that refuses, never answers, or is not what
/// the URL says. Tracing must not notice (handing over a snapshot stays a
/// swap), the operator gets one warning, and the failures are counted in
/// the metrics.
@Suite(.serialized) struct OTLPExportFailureTests {
    struct Outcome {
        var failures: Double?
        var warnings: [String]
        var slowestOffer: Double
        var finishSeconds: Double
    }

    /// Exports every 200 ms to `endpoint` for up to `seconds`, scraping the
    /// failure counter until it reaches `failures`.
    static func export(to endpoint: String, seconds: Double, failures wanted: Double = 2) throws -> Outcome {
        let port = LoopbackClient.freePort()
        var configuration = MetricsExporter.Configuration(
            listen: try MetricsEndpoint(parsing: "127.0.0.1:\(port)"), otlpEndpoint: endpoint)
        configuration.otlpExportInterval = .milliseconds(200)
        configuration.publishNanoseconds = 0
        let capture = StandardErrorCapture()
        let exporter: MetricsExporter
        do {
            exporter = try MetricsExporter(configuration: configuration)
        } catch {
            _ = capture.stop()
            throw error
        }
        let probe = ScrapeProbe(port: port)
        var slowestOffer = 0.0
        var failures: Double?
        let deadline = Date().addingTimeInterval(seconds)
        var tick: UInt64 = 1
        repeat {
            let start = Date()
            exporter.offer(now: tick) {
                MetricsSnapshot(tier: "test", kernelRelease: "0", statistics: ModelStatistics(), listeners: [])
            }
            slowestOffer = max(slowestOffer, Date().timeIntervalSince(start))
            tick += 1
            let body = probe.scrape().body
            failures = body.split(separator: "\n")
                .first { $0.hasPrefix("synshadow_otlp_export_failures_total{signal=\"metrics\"} ") }
                .flatMap { Double($0.split(separator: " ").last!) }
            if let failures, failures >= wanted { break }
            usleep(100_000)
        } while Date() < deadline
        let warnings = capture.stop().split(separator: "\n").map(String.init).filter { $0.contains("OTLP") }
        let start = Date()
        exporter.finish(final: nil)
        return Outcome(failures: failures, warnings: warnings, slowestOffer: slowestOffer, finishSeconds: Date().timeIntervalSince(start))
    }

    static func check(_ outcome: Outcome, endpoint: String) {
        print(
            "OTLP to \(endpoint): \(outcome.failures ?? 0) failures counted, \(outcome.warnings.count) warning(s),"
                + " slowest offer \(ScrapeProbe.describe(outcome.slowestOffer)), finish \(ScrapeProbe.describe(outcome.finishSeconds))")
        #expect((outcome.failures ?? 0) >= 1, "no synshadow_otlp_export_failures_total counted")
        #expect(outcome.warnings.count == 1, "one warning, then at a bounded rate: \(outcome.warnings)")
        #expect(outcome.warnings.first?.contains(endpoint) == true)
        #expect(outcome.slowestOffer < 0.05, "handing over a snapshot waited \(outcome.slowestOffer) s")
        #expect(outcome.finishSeconds < 6, "finish took \(outcome.finishSeconds) s")
    }

    @Test func aRefusingCollectorIsReportedOnceAndCounted() throws {
        // Bound but never listening, and held for the whole test: every
        // connection to it is refused, and no other socket (the exporter's
        // own metrics listener, another test's server) can take the port
        // meanwhile, as one did once when it was merely picked free.
        let (refusing, port) = LoopbackClient.boundLoopbackSocket()
        defer { close(refusing) }
        let endpoint = "http://127.0.0.1:\(port)"
        let outcome = try Self.export(to: endpoint, seconds: 5, failures: 3)
        Self.check(outcome, endpoint: endpoint)
        #expect((outcome.failures ?? 0) >= 3, "an export every 200 ms, each refused at once")
    }

    @Test func aBlackholedCollectorTimesOutAndIsCounted() throws {
        let collector = FakeCollector(.blackhole)
        defer { collector.stop() }
        let endpoint = "http://127.0.0.1:\(collector.port)"
        Self.check(try Self.export(to: endpoint, seconds: 12, failures: 1), endpoint: endpoint)
    }

    @Test(arguments: ["http", "https"])
    func aPlainTCPServerIsReportedAndCounted(scheme: String) throws {
        let collector = FakeCollector(.plainText)
        defer { collector.stop() }
        let endpoint = "\(scheme)://127.0.0.1:\(collector.port)"
        Self.check(try Self.export(to: endpoint, seconds: 12, failures: 2), endpoint: endpoint)
    }
}
