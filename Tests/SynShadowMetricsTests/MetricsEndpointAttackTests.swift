#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation
import Synchronization
import Testing

/// `--metrics-listen 0.0.0.0:PORT` faces the network: every attack of
/// issue 16 against a real socket on loopback, with scrapes answered within
/// a second while it lasts.
@Suite(.serialized) struct MetricsEndpointAttackTests {
    static func request(header size: Int, path: String = "/metrics", terminated: Bool = true) -> [UInt8] {
        Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ".utf8) + [UInt8](repeating: 0x61, count: size)
            + (terminated ? Array("\r\n\r\n".utf8) : [])
    }

    /// Runs `attack` on other threads while three scrapes are timed.
    static func scrapes(_ probe: ScrapeProbe, during attack: [@Sendable () -> Void]) -> Double? {
        let group = DispatchGroup()
        for work in attack { DispatchQueue.global().async(group: group, execute: work) }
        usleep(100_000)
        let worst = probe.worstScrape()
        group.wait()
        return worst
    }

    @Test(arguments: [100_000, 1_000_000])
    func aLargeHeaderIsRefusedAtOnceAndScrapesGoOn(size: Int) throws {
        let probe = try ScrapeProbe()
        defer { probe.finish() }
        let attackers = (0..<2).compactMap { _ in LoopbackClient(port: probe.port) }
        let statuses = Mutex<[Int?]>([])
        let worst = Self.scrapes(
            probe,
            during: attackers.map { attacker in
                {
                    attacker.send(Self.request(header: size), seconds: 3)
                    let status = attacker.status(seconds: 2)
                    statuses.withLock { $0.append(status) }
                }
            })
        print("scrape latency during \(size)-byte headers: \(ScrapeProbe.describe(worst))")
        #expect(worst.map { $0 < 1 } == true, "a scrape took \(worst ?? -1) s")
        #expect(statuses.withLock { $0 } == [431, 431], "the oversized requests get 431 within 2 s")
    }

    @Test func anUnterminatedHeaderBehindAHugePathIsCutOff() throws {
        let probe = try ScrapeProbe()
        defer { probe.finish() }
        let attackers = (0..<2).compactMap { _ in LoopbackClient(port: probe.port) }
        let outcomes = Mutex<[String]>([])
        let path = "/" + String(repeating: "p", count: 100_000)
        let worst = Self.scrapes(
            probe,
            during: attackers.map { attacker in
                {
                    attacker.send(Self.request(header: 3_000_000, path: path, terminated: false), seconds: 3)
                    let status = attacker.status(seconds: 2)
                    let closed = attacker.isClosedByPeer(seconds: 3)
                    outcomes.withLock { $0.append("\(status.map(String.init) ?? "none") closed=\(closed)") }
                }
            })
        print("scrape latency during 3 MB unterminated headers: \(ScrapeProbe.describe(worst))")
        #expect(worst.map { $0 < 1 } == true, "a scrape took \(worst ?? -1) s")
        #expect(outcomes.withLock { $0 } == ["414 closed=true", "414 closed=true"])
    }

    @Test func slowlorisConnectionsTimeOutAndScrapesAreAnswered() throws {
        let probe = try ScrapeProbe()
        defer { probe.finish() }
        let idle = (0..<300).compactMap { _ in LoopbackClient(port: probe.port) }
        #expect(idle.count == 300)
        for client in idle { client.send("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n") }
        usleep(200_000)
        let worst = probe.worstScrape()
        print("scrape latency during 300 slowloris connections: \(ScrapeProbe.describe(worst))")
        #expect(worst.map { $0 < 1 } == true, "a scrape took \(worst ?? -1) s")
        // Every incomplete request is closed by the server within its read timeout.
        let deadline = Date().addingTimeInterval(8)
        let open = idle.filter { !$0.isClosedByPeer(seconds: max(0, deadline.timeIntervalSinceNow)) }
        #expect(open.count == 0, "incomplete requests still open after 8 s")
    }

    @Test func connectionsPastTheCapAreShedWithoutClosingTheListener() throws {
        let probe = try ScrapeProbe()
        defer { probe.finish() }
        let idle = (0..<400).compactMap { _ in LoopbackClient(port: probe.port) }
        #expect(idle.count == 400)
        usleep(300_000)
        let worst = probe.worstScrape()
        print("scrape latency during 400 idle connections: \(ScrapeProbe.describe(worst))")
        #expect(worst.map { $0 < 1 } == true, "a scrape took \(worst ?? -1) s")
        let held = idle.filter { !$0.isClosedByPeer(seconds: 0.05) }.count
        #expect(held <= 128, "the server holds \(held) idle connections at once")
        #expect(probe.scrape().status == 200, "the listener is still open")
    }

    /// The server's process at its descriptor limit (RLIMIT_NOFILE lowered in
    /// a child process running this test), with attackers in this one.
    @Test func runningOutOfDescriptorsNeverClosesTheListener() throws {
        if let directory = ProcessInfo.processInfo.environment[DescriptorLimitChild.variable] {
            try DescriptorLimitChild.serve(in: directory)
            return
        }
        let child = try DescriptorLimitChild.start(test: "runningOutOfDescriptorsNeverClosesTheListener")
        defer { child.stop() }
        let port = try #require(child.port(within: 30), "the child never served: \(child.standardError)")
        var attackers = (0..<300).compactMap { _ in LoopbackClient(port: port, timeout: 0.2) }
        usleep(300_000)
        let probe = child.probe(port: port)
        let worst = probe.worstScrape()
        print("scrape latency with the server at its descriptor limit (\(attackers.count) attackers): \(ScrapeProbe.describe(worst))")
        #expect(worst.map { $0 < 1 } == true, "a scrape took \(worst ?? -1) s")
        attackers.removeAll()
        usleep(300_000)
        #expect(probe.scrape().status == 200, "the listener is still open after the attack")
        let (status, errorText) = child.stop()
        #expect(status == 0, "child: \(errorText)")
        #expect(errorText.components(separatedBy: "file descriptors").count - 1 == 1, "warned once: \(errorText)")
    }
}
