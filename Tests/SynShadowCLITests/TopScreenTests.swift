import SynShadowCore
import Testing

@testable import synshadow

/// The `top` frame as text: it fits the terminal (cut, never wrapped),
/// turns two snapshots into rates, histograms into percentiles, drop
/// findings into a total and a cause, and a pipe gets no escape codes.
@Suite struct TopScreenTests {
    static let second: UInt64 = 1_000_000_000
    static let origin: UInt64 = 500 * second

    static func listener(
        _ address: String, port: UInt16, id: UInt64, comm: String? = "server", pid: UInt32? = 4242, family: String = "ipv4"
    ) -> ListenerSummary {
        ListenerSummary(id: id, netns: 1, family: family, address: address, port: port, pid: pid, comm: comm)
    }

    static func snapshot(at seconds: UInt64, _ listeners: [ListenerActivity]) -> TopSnapshot {
        TopSnapshot(
            time: origin + seconds * second, tier: "tracepoint", events: 1234, lost: 7, uptime: Double(seconds),
            listeners: listeners)
    }

    static func finding(_ kind: FindingKind, at seconds: Double, explanation: String) -> Finding {
        Finding(
            kind: kind, step: .syn, timestamp: origin + UInt64(seconds * 1e9),
            listener: listener("127.0.0.1", port: 8080, id: 1), flow: nil, evidence: [], explanation: explanation)
    }

    /// A busy mix: long names, IPv6, many findings with long explanations.
    static func busy(count: Int) -> (TopSnapshot, [Finding]) {
        var listeners: [ListenerActivity] = []
        for index in 0..<count {
            let ipv6 = index % 2 == 0
            let summary = listener(
                ipv6 ? "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff" : "10.0.0.1", port: UInt16(1000 + index),
                id: UInt64(index + 1), comm: "a-very-long-process-name", pid: 4_194_303, family: ipv6 ? "ipv6" : "ipv4")
            let load = UInt64(index)
            listeners.append(
                ListenerActivity(
                    listener: summary,
                    counts: ListenerCounts(
                        backlog: 4096, modelRequestQueue: 123_456, modelAcceptQueue: 4097, kernelRequestQueue: 123_450,
                        kernelAcceptQueue: 4097, syns: load * 1_000_000, accepts: load * 999_999),
                    findings: [.synDroppedRequestQueueFull: 88_888_888]))
        }
        let findings = (0..<12).map { index in
            finding(.synDroppedAcceptQueueFull, at: Double(index), explanation: String(repeating: "long explanation ", count: 20))
        }
        return (snapshot(at: 60, listeners), findings)
    }

    @Test(arguments: [20, 40, 80, 132])
    func everyLineFitsTheWidth(width: Int) {
        let (current, findings) = Self.busy(count: 6)
        let screen = TopScreen(width: width, height: nil, origin: Self.origin)
        let lines = screen.lines(current, previous: nil, findings: findings)
        #expect(lines.count > 6 * 2)
        for line in lines { #expect(line.count <= width, "\(line.count) > \(width): \(line)") }
    }

    @Test func aLongLineIsCutNotWrapped() throws {
        let explanation = "SYN dropped: " + String(repeating: "x", count: 200)
        let screen = TopScreen(width: 80, height: 24, origin: Self.origin)
        let lines = screen.lines(Self.snapshot(at: 10, []), previous: nil, findings: [Self.finding(.synDropped, at: 2.5, explanation: explanation)])
        let line = try #require(lines.first { $0.contains("syn-dropped") })
        #expect(line.count == 80)
        #expect(line.hasPrefix("  2.500 syn-dropped :8080 SYN dropped: xxx"))
        // Nothing of it spills onto a line of its own.
        #expect(lines.filter { $0.hasPrefix("x") }.isEmpty)
    }

    @Test func theFrameFitsTheScreenHeight() {
        let (current, findings) = Self.busy(count: 30)
        let screen = TopScreen(width: 80, height: 24, origin: Self.origin)
        let lines = screen.lines(current, previous: nil, findings: findings)
        #expect(lines.count <= 24)
        #expect(lines.contains { $0.contains("more listener") })
        #expect(lines.contains("RECENT FINDINGS"))
        // A pipe gets every listener.
        let plain = TopScreen(width: 80, height: nil, origin: Self.origin).lines(current, previous: nil, findings: findings)
        #expect(plain.filter { $0.hasPrefix("10.0.0.1:") || $0.hasPrefix("[2001:db8") }.count == 30)
    }

    @Test func ratesComeFromTwoSnapshots() throws {
        let id = Self.listener("127.0.0.1", port: 8080, id: 9)
        let before = Self.snapshot(at: 10, [ListenerActivity(listener: id, counts: ListenerCounts(syns: 100, accepts: 50))])
        let after = Self.snapshot(at: 12, [ListenerActivity(listener: id, counts: ListenerCounts(syns: 400, accepts: 250))])
        let screen = TopScreen(width: 80, height: 24, origin: Self.origin)
        let row = try #require(screen.rows(after, previous: before).first)
        #expect(row.synRate == 150)
        #expect(row.acceptRate == 100)
        let line = try #require(screen.lines(after, previous: before, findings: []).first { $0.hasPrefix("127.0.0.1:8080") })
        #expect(line.hasSuffix("   150    100"), "\(line)")
        // Without an earlier snapshot there is no rate yet.
        let first = try #require(screen.lines(after, previous: nil, findings: []).first { $0.hasPrefix("127.0.0.1:8080") })
        #expect(first.hasSuffix("     -      -"), "\(first)")
        #expect(TopRow.rate(0.25) == "0.3" && TopRow.rate(12_345) == "12.3k" && TopRow.rate(2_500_000) == "2.5M")
    }

    @Test func percentilesAndDropsAreShown() throws {
        var handshakes = LatencyHistogram()
        for nanoseconds: UInt64 in [150_000, 150_000, 3_000_000] { handshakes.record(nanoseconds: nanoseconds) }
        var waits = LatencyHistogram()
        // 98 of 100 within 50us, two past 10 s: the 99th is in the overflow bucket.
        for _ in 0..<98 { waits.record(nanoseconds: 40_000) }
        for _ in 0..<2 { waits.record(nanoseconds: 60 * Self.second) }
        let activity = ListenerActivity(
            listener: Self.listener("0.0.0.0", port: 443, id: 3, comm: "nginx", pid: 77),
            counts: ListenerCounts(
                backlog: 511, modelRequestQueue: 2, modelAcceptQueue: 5, kernelRequestQueue: nil, kernelAcceptQueue: 6,
                syns: 40, handshakes: 30, accepts: 25),
            findings: [
                .synDroppedAcceptQueueFull: 7, .ackDroppedAcceptQueueFull: 3, .syncookieSent: 10, .acceptSlow: 4,
                .packetDropped: 10,
            ],
            handshakeTime: handshakes, acceptWait: waits)
        let lines = TopScreen(width: 80, height: 24, origin: Self.origin).lines(
            Self.snapshot(at: 5, [activity]), previous: nil, findings: [])
        let index = try #require(lines.firstIndex { $0.hasPrefix("0.0.0.0:443") })
        let first = lines[index]
        let second = lines[index + 1]
        #expect(first.contains("nginx[77]"))
        #expect(first.contains("    511 5/6      2/-"), "\(first)")
        // p50 of {150us, 150us, 3ms} is in the 200us bucket, p99 in the 5ms one.
        #expect(second.contains("200us/5ms"), "\(second)")
        #expect(second.contains("50us/>10s"), "\(second)")
        // Drops: the two drop kinds summed (syncookies and slow accepts are not
        // drops; packet-dropped is the same loss seen as freed packets, and
        // counted twice each dropped SYN: trust item 15), the commonest named.
        #expect(second.hasSuffix("    10 syn-dropped-accept-queue-full 7"), "\(second)")
        #expect(second.hasPrefix("  25 "))
    }

    @Test func busiestListenersComeFirstAndClosedOnesLast() throws {
        let quiet = ListenerActivity(listener: Self.listener("0.0.0.0", port: 22, id: 1), counts: ListenerCounts(syns: 5_000, accepts: 5_000))
        let busy = ListenerActivity(listener: Self.listener("0.0.0.0", port: 80, id: 2), counts: ListenerCounts(syns: 100, accepts: 100))
        let closed = ListenerActivity(listener: Self.listener("0.0.0.0", port: 81, id: 3), counts: ListenerCounts(isOpen: false, syns: 900))
        let before = Self.snapshot(at: 1, [quiet, busy, closed])
        var busyLater = busy
        busyLater.syns += 50
        busyLater.accepts += 50
        var closedLater = closed
        closedLater.syns += 500
        let after = Self.snapshot(at: 2, [quiet, busyLater, closedLater])
        let screen = TopScreen(width: 80, height: 24, origin: Self.origin)
        #expect(screen.rows(after, previous: before).map(\.activity.listener.port) == [80, 22, 81])
        #expect(screen.rows(before, previous: nil).map(\.activity.listener.port) == [22, 80, 81])
        let closedLine = try #require(screen.lines(after, previous: before, findings: []).first { $0.hasPrefix("0.0.0.0:81") })
        #expect(closedLine.contains(" closed "))
    }

    @Test func theHeaderNamesTierEventsLossAndUptime() throws {
        let lines = TopScreen(width: 80, height: 24, origin: Self.origin).lines(Self.snapshot(at: 3_725, []), previous: nil, findings: [])
        #expect(lines.first == "synshadow top  tier tracepoint  events 1234  lost 7  up 1:02:05  listeners 0")
    }

    @Test func aPipeGetsNoEscapeCodes() {
        let (current, findings) = Self.busy(count: 4)
        var evil = ListenerActivity(listener: Self.listener("127.0.0.1", port: 9, id: 99, comm: "x\u{1B}[2Jy\u{07}"))
        evil.syns = 1
        var snapshot = current
        snapshot.listeners.append(evil)
        let lines = TopScreen(width: 80, height: nil, origin: Self.origin).lines(snapshot, previous: nil, findings: findings)
        let plain = TopTerminal(interactive: false).frame(lines)
        #expect(!plain.utf8.contains(0x1B))
        #expect(plain == lines.joined(separator: "\n") + "\n\n")
        #expect(plain.contains(#"x\x1b[2Jy\x07[4242]"#))
        let redrawn = TopTerminal(interactive: true).frame(lines)
        #expect(redrawn.hasPrefix("\u{1B}[H") && redrawn.hasSuffix("\u{1B}[J"))
        // The only escapes on a TTY are the terminal's own.
        #expect(redrawn.components(separatedBy: "\u{1B}").count - 1 == lines.count + 2)
    }
}
