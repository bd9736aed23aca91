import Foundation
import SynShadowCore
import SynShadowMetrics

/// A timed scrape of a metrics endpoint on loopback, the figure every attack
/// test holds to one second; made with an endpoint of its own, or pointed
/// at one another process serves.
struct ScrapeProbe {
    let exporter: MetricsExporter?
    let port: UInt16

    /// `--metrics-listen 127.0.0.1:PORT` with one snapshot handed over.
    init() throws {
        port = LoopbackClient.freePort()
        let exporter = try MetricsExporter(configuration: .init(listen: try MetricsEndpoint(parsing: "127.0.0.1:\(port)")))
        exporter.offer(now: 1) {
            MetricsSnapshot(tier: "test", kernelRelease: "0", statistics: ModelStatistics(), listeners: [])
        }
        self.exporter = exporter
    }

    init(port: UInt16) {
        self.port = port
        exporter = nil
    }

    /// One `GET /metrics`: its status (nil: no complete answer) and how long the whole response took.
    func scrape(timeout: Double = 3) -> (status: Int?, seconds: Double, body: String) {
        let start = Date()
        guard let client = LoopbackClient(port: port, timeout: timeout) else { return (nil, Date().timeIntervalSince(start), "") }
        client.send("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        let response = client.receiveAll(seconds: timeout)
        let seconds = Date().timeIntervalSince(start)
        let text = String(decoding: response.bytes, as: UTF8.self)
        let status = text.split(separator: "\r\n").first?.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        let complete = response.closed && text.contains("synshadow_info")
        return (complete ? status : nil, seconds, text)
    }

    /// `count` scrapes in a row: the slowest one's latency, or nil if one went unanswered.
    func worstScrape(count: Int = 3) -> Double? {
        var worst = 0.0
        for _ in 0..<count {
            let result = scrape()
            guard result.status == 200 else { return nil }
            worst = max(worst, result.seconds)
        }
        return worst
    }

    func finish() { exporter?.finish(final: nil) }

    /// "0.42 ms", or "unanswered", for the figures the tests print.
    static func describe(_ latency: Double?) -> String {
        latency.map { "\(Double(Int($0 * 100_000)) / 100) ms" } ?? "unanswered"
    }
}
