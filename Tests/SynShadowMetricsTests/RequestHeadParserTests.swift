import Testing

@testable import SynShadowMetrics

/// The endpoint's request reader: it decides on each byte as it arrives,
/// and refuses what no scraper sends before it holds more than the limits.
struct RequestHeadParserTests {
    static func parse(_ text: String, chunk: Int = .max, limits: MetricsServerLimits = .init()) -> (
        RequestHeadParser.Outcome, Int
    ) {
        var parser = RequestHeadParser(limits: limits)
        let bytes = Array(text.utf8)
        var offset = 0
        var outcome = RequestHeadParser.Outcome.needMore
        while offset < bytes.count, outcome == .needMore {
            let end = min(offset + min(chunk, parser.room + 1), bytes.count)
            outcome = parser.append(bytes[offset..<end])
            offset = end
        }
        return (outcome, parser.buffer.count)
    }

    @Test(arguments: [1, 7, Int.max])
    func aScrapeIsReadWhateverTheChunks(chunk: Int) {
        let request = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9464\r\nUser-Agent: Prometheus/2.53\r\nAccept: text/plain\r\n\r\n"
        #expect(Self.parse(request, chunk: chunk).0 == .request(method: "GET", target: "/metrics"))
        #expect(Self.parse("\r\nHEAD /metrics?x=1 HTTP/1.0\nHost: a\n\n", chunk: chunk).0 == .request(method: "HEAD", target: "/metrics?x=1"))
    }

    @Test func aLongRequestLineIs414BeforeItsEnd() {
        let (outcome, held) = Self.parse("GET /" + String(repeating: "a", count: 100_000), chunk: 4096)
        #expect(outcome == .refuse(.uriTooLong))
        #expect(held <= MetricsServerLimits().maxRequestLineBytes + 4096)
    }

    @Test(arguments: [100_000, 1_000_000, 3_000_000])
    func largeHeadersAre431WithoutHoldingThem(size: Int) {
        let (outcome, held) = Self.parse("GET /metrics HTTP/1.1\r\nX-Pad: " + String(repeating: "a", count: size), chunk: 4096)
        #expect(outcome == .refuse(.headerFieldsTooLarge))
        #expect(held <= MetricsServerLimits().maxHeaderBytes)
    }

    @Test func endlessEmptyLinesAre431() {
        #expect(Self.parse(String(repeating: "\r\n", count: 20_000), chunk: 4096).0 == .refuse(.headerFieldsTooLarge))
    }

    @Test(arguments: [
        "GET /metrics\r\n\r\n", "GET  /metrics HTTP/1.1\r\n\r\n", "get /metrics HTTP/1.1\r\n\r\n", "GET /metrics HTTP/2\r\n\r\n",
        "GET /met\u{1}rics HTTP/1.1\r\n\r\n", "\u{16}\u{3}\u{1} TLS hello\r\n\r\n",
    ])
    func malformedRequestLinesAre400(text: String) {
        #expect(Self.parse(text).0 == .refuse(.badRequest))
    }

    @Test func incompleteHeadsWaitForMore() {
        #expect(Self.parse("GET /metrics HTTP/1.1\r\nHost: x\r\n").0 == .needMore)
    }
}
