import Foundation
import SynShadowCore
@testable import SynShadowReport
import SynShadowTestbed
import Testing

/// The incident page against a real recording (Fixtures/overload.sst: a
/// python3 listener with backlog 2 accepting one connection every 0.2 s, 60
/// client threads; the accept queue fills, SYNs and handshake ACKs are
/// dropped, syncookies are sent): every figure it shows and embeds equals
/// what the model's replay of the same trace gives.
@Suite struct IncidentReportTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let overload = fixtures.appendingPathComponent("overload.sst").path

    static func report(_ options: IncidentReport.Options = IncidentReport.Options()) throws -> IncidentReport {
        try IncidentReport.generate(TraceFileReader(path: overload), options: options)
    }

    /// The JSON block of a page, parsed.
    static func embeddedFigures(_ html: String) throws -> [String: Any] {
        try #require(ShownFigures.embedded(html), "no synshadow-figures block")
    }

    static func counts(_ value: Any?) -> [String: UInt64] {
        ((value as? [String: Any]) ?? [:]).compactMapValues { ($0 as? NSNumber)?.uint64Value }
    }

    static func number(_ value: Any?) -> UInt64? { (value as? NSNumber)?.uint64Value }

    /// The page's totals, embedded as JSON, equal the replay's: events, loss,
    /// findings per id (decided and reported), and each listener's SYNs,
    /// handshakes, accepts, findings and latency histograms.
    @Test func figuresEqualTheReplay() throws {
        let report = try Self.report()
        let replay = try Replay.run(path: Self.overload)
        let figures = try Self.embeddedFigures(report.html)
        let trace = try #require(figures["trace"] as? [String: Any])
        let totals = try #require(figures["totals"] as? [String: Any])
        let listeners = try #require(figures["listeners"] as? [[String: Any]])

        #expect(Self.number(trace["events"]) == replay.events)
        #expect(Self.number(trace["lost_events"]) == replay.statistics.lostEvents)
        #expect(Self.number(trace["recorder_lost_events"]) == replay.summary?.lostEvents)
        #expect(trace["complete"] as? Bool == replay.isComplete)
        #expect(Self.counts(totals["findings"]) == replay.statistics.findings)
        var reported: [String: UInt64] = [:]
        for finding in replay.findings { reported[finding.id, default: 0] += 1 }
        #expect(Self.counts(totals["reported"]) == reported)

        #expect(listeners.count == replay.listeners.count)
        var summed: [String: UInt64] = Self.counts(figures["unattributed_findings"])
        for activity in replay.listeners {
            let id = "0x" + String(activity.listener.id, radix: 16)
            let listener = try #require(listeners.first { $0["id"] as? String == id }, "no listener \(id) on the page")
            #expect(Self.number(listener["syns"]) == activity.syns)
            #expect(Self.number(listener["handshakes"]) == activity.handshakes)
            #expect(Self.number(listener["accepts"]) == activity.accepts)
            let findings = Dictionary(uniqueKeysWithValues: activity.findings.map { ($0.key.identifier, $0.value) })
            #expect(Self.counts(listener["findings"]) == findings)
            #expect(Self.number(listener["drops"]) == FindingKind.drops.reduce(0) { $0 + (activity.findings[$1] ?? 0) })
            for (key, histogram) in [("handshake_time", activity.handshakeTime), ("accept_wait", activity.acceptWait)] {
                let object = try #require(listener[key] as? [String: Any])
                #expect(Self.number(object["count"]) == histogram.count, "\(key)")
                #expect(Self.number(object["sum_ns"]) == histogram.sumNanoseconds, "\(key)")
            }
            for (id, count) in findings { summed[id, default: 0] += count }
        }
        #expect(summed == replay.statistics.findings)

        // The trace is what it says it is: an overloaded listener.
        let listener = try #require(listeners.first)
        #expect(listener["listener"] as? String == "127.0.0.1:9912")
        #expect(Self.number(listener["backlog"]) == 2)
        #expect(Self.number(listener["peak_accept_queue"]) == 3 && Self.number(listener["peak_accept_queue_kernel"]) == 3)
        #expect((replay.statistics.findings["syn-dropped-accept-queue-full"] ?? 0) > 100)
        #expect(replay.statistics.findings["ack-dropped-accept-queue-full"] != nil)
    }

    /// Every figure shown (marked `data-figure="path"`) equals the JSON's at
    /// that path: what the inline script checks in a browser, checked here
    /// without one.
    @Test func shownFiguresEqualTheEmbeddedOnes() throws {
        let html = try Self.report().html
        let figures = try Self.embeddedFigures(html)
        let shown = ShownFigures.parse(html)
        #expect(shown.count > 20)
        for (path, text) in shown {
            #expect(ShownFigures.value(at: path, in: figures).map(String.init) == text, "\(path) shows \(text)")
        }
    }


    /// No network: no external script, style sheet, font or image, one small
    /// inline script besides the JSON, and the JSON cannot end its element.
    @Test func thePageIsSelfContained() throws {
        let html = try Self.report().html
        for needle in ["src=", "<link", "@import", "url(", "http://", "https://", "<iframe", "<img"] {
            #expect(!html.contains(needle), "the page holds \(needle)")
        }
        let scripts = html.components(separatedBy: "<script").count - 1
        #expect(scripts == 2)
        let inline = try #require(html.components(separatedBy: "<script>").last?.components(separatedBy: "</script>").first)
        #expect(inline.utf8.count < 4096)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.hasSuffix("</html>\n"))
        #expect(html.utf8.count < 1 << 20)
    }

    /// Fewer buckets change no figure: a queue's peak survives however far
    /// the axis is coarsened, and totals stay exact.
    @Test func coarseBucketsKeepPeaksAndTotals() throws {
        var coarse = IncidentReport.Options()
        coarse.maximumBuckets = 8
        let fine = try Self.report()
        let few = try Self.report(coarse)
        #expect(few.figures.buckets <= 8 && fine.figures.buckets > 100)
        #expect(few.figures.bucketSeconds > fine.figures.bucketSeconds)
        #expect(few.figures.json.replacingOccurrences(of: "\"bucket_s\":\(few.figures.bucketSeconds)", with: "")
            .replacingOccurrences(of: "\"buckets\":\(few.figures.buckets)", with: "")
            == fine.figures.json.replacingOccurrences(of: "\"bucket_s\":\(fine.figures.bucketSeconds)", with: "")
            .replacingOccurrences(of: "\"buckets\":\(fine.figures.buckets)", with: ""))
        #expect(few.figures.listeners.first?.peakAcceptQueue == 3)
    }

    /// The overload recording twice in one trace, the second listener on
    /// another port (a restarted server), with room for one listener only:
    /// the model forgets the first to track the second. Both keep their
    /// figures on the page, and together they add up to the model's totals.
    @Test func aListenerTheModelForgotKeepsItsFigures() throws {
        let reader = try TraceFileReader(path: Self.overload)
        var records: [TraceRecord] = []
        while let record = try reader.next() { records.append(record) }
        let events = records.compactMap { record -> KernelEvent? in
            if case .event(let event) = record { return event }
            return nil
        }
        let listen = try #require(events.first { $0.kind == .listenStart })
        let end = try #require(events.map(\.timestamp).max())
        let shift = end - listen.timestamp + 200_000_000_000
        let writer = try TraceFileWriter(header: reader.header)
        func write(_ record: TraceRecord, second: Bool) throws {
            switch record {
            case .event(var event):
                if second {
                    event.timestamp += shift
                    if event.listener == listen.listener { event.listener ^= 0x10_0000 }
                    if event.flow.localPort == listen.flow.localPort { event.flow.localPort += 1 }
                }
                try writer.write(event)
            case .loss(let count, let timestamp): try writer.writeLoss(count: count, at: timestamp + (second ? shift : 0))
            case .clock(let timestamp): try writer.writeClock(timestamp + (second ? shift : 0))
            case .namespaceSettings(let netns, let settings):
                if !second { try writer.writeNamespaceSettings(netns: netns, settings: settings) }
            case .end: break
            }
        }
        for record in records { try write(record, second: false) }
        // The server closes its listener, and opens it again much later.
        var stop = listen
        stop.kind = .listenStop
        stop.hook = .inetSockSetState
        stop.timestamp = end + 1_000_000
        stop.oldState = TCPState.listen.rawValue
        stop.newState = TCPState.close.rawValue
        stop.flags.remove(.queuesValid)
        try writer.write(stop)
        // inet_csk_listen_stop() closes the children still queued: each reaches
        // CLOSE, its local port already zeroed.
        var queued: [UInt64: KernelEvent] = [:]
        for event in events where event.child != 0 {
            switch event.kind {
            case .childCreated: queued[event.child] = event
            case .accept: queued[event.child] = nil
            case .childState: queued[event.child]?.newState = event.newState
            default: break
            }
        }
        for (index, child) in queued.values.sorted(by: { $0.timestamp < $1.timestamp }).enumerated() {
            var closed = child
            closed.kind = .childState
            closed.hook = .inetSockSetState
            closed.timestamp = end + 2_000_000 + UInt64(index) * 1_000
            closed.flow.localPort = 0
            closed.oldState = child.newState == 0 ? TCPState.established.rawValue : child.newState
            closed.newState = TCPState.close.rawValue
            closed.flags.remove(.queuesValid)
            try writer.write(closed)
        }
        try writer.writeClock(end + 100_000_000_000)
        for record in records { try write(record, second: true) }
        try writer.finish(summary: TraceSummary(events: UInt64(2 * events.count + 1), lostEvents: 0))

        let oneListener: (inout ModelConfiguration) -> Void = { $0.maximumListeners = 1 }
        let (collector, _, _) = try IncidentReport.collect(
            TraceFileReader(bytes: writer.bytes), options: IncidentReport.Options(), adjust: oneListener)
        #expect(collector.tracks.count == 2 && collector.tracks.first?.forgotten == true)
        let report = try IncidentReport.generate(TraceFileReader(bytes: writer.bytes), adjust: oneListener)
        let replay = try Replay.run(TraceFileReader(bytes: writer.bytes), adjust: oneListener)
        let single = try Replay.run(path: Self.overload)
        #expect(replay.listeners.count == 1)
        let figures = report.figures
        #expect(figures.listeners.count == 2)
        var summed = figures.unattributedFindings
        for listener in figures.listeners { for (kind, count) in listener.findings { summed[kind, default: 0] += count } }
        #expect(Dictionary(uniqueKeysWithValues: summed.map { ($0.key.identifier, $0.value) }) == replay.statistics.findings)
        let current = try #require(replay.listeners.first)
        let shown = try #require(figures.listeners.first { $0.listener.id == current.listener.id })
        #expect(shown.syns == current.syns && shown.accepts == current.accepts && shown.findings == current.findings)
        #expect(shown.handshakeTime == current.handshakeTime && shown.acceptWait == current.acceptWait)
        let old = try #require(figures.listeners.first { $0.listener.id == listen.listener })
        let first = try #require(single.listeners.first)
        #expect(!old.isOpen && old.syns == first.syns && old.handshakes == first.handshakes && old.accepts == first.accepts)
        #expect(old.acceptWait == first.acceptWait)
    }

    /// The picture tells the story's order: the drops begin in the bucket
    /// where the accept queue reached the level at which it is full (backlog
    /// + 1), a dropped SYN counted when it arrived, not when the model
    /// decided nothing followed it (a settle window later).
    @Test func dropsBeginWhereTheAcceptQueueIsFull() throws {
        let (collector, replay, buckets) = try IncidentReport.collect(
            TraceFileReader(path: Self.overload), options: IncidentReport.Options())
        let track = try #require(collector.tracks.first)
        let full = Int32(try #require(track.report.backlog)) + 1
        let firstFull = try #require(track.acceptModel.high.firstIndex { $0 >= full })
        let firstDrop = try #require(track.drops.counts.firstIndex { $0 > 0 })
        #expect(firstDrop == firstFull)
        let firstSYNDropped = try #require(replay.findings.first { $0.kind == .synDroppedAcceptQueueFull })
        #expect(collector.axis.bucket(of: firstSYNDropped.evidence[0].timestamp) == firstDrop)
        #expect(collector.axis.bucket(of: firstSYNDropped.timestamp) != firstDrop, "decided in the same bucket: no test")
        #expect(track.drops.total == track.report.drops && buckets > firstDrop)
    }

    /// Past the cap, findings are drawn as counts per bucket: the dots stop
    /// at the cap, the bars still add up to every finding of the kind.
    @Test func findingsPastTheCapAreCountedPerBucket() throws {
        var options = IncidentReport.Options()
        options.markersPerKind = 5
        let report = try Self.report(options)
        let html = report.html
        let kind = "syn-dropped-accept-queue-full"
        let total = try #require(report.figures.findings[.synDroppedAcceptQueueFull])
        #expect(total > 5)
        let dots = html.components(separatedBy: "<circle class=\"marker warning\"").dropFirst()
            .filter { $0.contains(" \(kind) (warning):") }
        #expect(dots.count == 5)
        // Each run of buckets says how many it holds: "N × kind, from–to s".
        var counted: UInt64 = 0
        for piece in html.components(separatedBy: "<title>").dropFirst() {
            guard let cross = piece.range(of: " × \(kind),") else { continue }
            counted += UInt64(piece[piece.startIndex..<cross.lowerBound]) ?? 0
        }
        #expect(counted == total)
    }

    /// Listeners in trouble come first: errors, then warnings, then drops
    /// (a syn-dropped-accept-queue-full is a warning and a drop).
    @Test func troubleComesFirst() {
        func listener(_ port: UInt16, _ findings: [FindingKind: UInt64], syns: UInt64 = 0) -> ListenerReport {
            ListenerReport(
                listener: ListenerSummary(id: UInt64(port), netns: 1, family: "ipv4", address: "10.0.0.1", port: port, pid: nil, comm: nil),
                isOpen: true, backlog: 16, syns: syns, handshakes: 0, accepts: 0, findings: findings, reported: [:],
                peakAcceptQueue: 0, peakAcceptQueueKernel: nil, peakRequestQueue: 0, peakRequestQueueKernel: nil,
                handshakeTime: LatencyHistogram(), acceptWait: LatencyHistogram())
        }
        let listeners = [
            listener(1, [:], syns: 1_000_000),
            listener(2, [.acceptSlow: 1]),
            listener(3, [.synDroppedAcceptQueueFull: 1]),
            listener(4, [.queueMismatch: 1]),
            listener(5, [.packetDropped: 9]),
        ]
        let order = listeners.sorted(by: ListenerReport.precedes).map(\.listener.port)
        // An info finding is no trouble: then the busier listener first.
        #expect(order == [4, 3, 2, 1, 5])
    }

    /// A long stream in few buckets: the series never outgrow them, a
    /// one-step spike survives every coarsening, counts stay exact.
    @Test func timeAxisAndSeriesStayBounded() {
        var axis = TimeAxis(origin: 1_000, maximumBuckets: 10, initialWidth: 1)
        var gauge = GaugeSeries()
        var samples = SampleSeries()
        var counts = CountSeries()
        var time: UInt64 = 1_000
        for step in 0..<100_000 {
            time += 7
            var bucket = axis.bucket(of: time)
            while bucket == nil {
                axis.coarsen()
                gauge.halve()
                samples.halve()
                counts.halve()
                bucket = axis.bucket(of: time)
            }
            let level = step == 51_234 ? 500 : step % 5
            gauge.set(level, at: bucket!)
            samples.add(level, at: bucket!)
            counts.add(1, at: bucket!)
        }
        #expect(gauge.count <= 10 && samples.count <= 10 && counts.count <= 10)
        #expect(gauge.high.max() == 500 && gauge.peak == 500 && samples.high.max() == 500)
        #expect(gauge.low.min() == 0)
        #expect(counts.total == 100_000 && counts.counts.reduce(0) { $0 + UInt64($1) } == 100_000)
    }
}
