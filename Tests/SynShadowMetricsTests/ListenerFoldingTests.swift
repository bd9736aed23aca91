import SynShadowCore
import SynShadowMetrics
import Testing

/// At most `limit` listeners keep labels of their own, the most active;
/// the rest add up, exactly, under `listener="other"`.
struct ListenerFoldingTests {
    static func activity(
        port: UInt16, syns: UInt64, address: String = "127.0.0.1", family: AddressFamily = .ipv4, id: UInt64? = nil,
        comm: String? = "server", latencies: [UInt64] = []
    ) -> ListenerActivity {
        var handshakeTime = LatencyHistogram()
        for latency in latencies { handshakeTime.record(nanoseconds: latency) }
        return ListenerActivity(
            listener: ListenerSummary(
                id: id ?? UInt64(port), netns: 4_026_531_840, family: family.name, address: address, port: port,
                pid: 1, comm: comm),
            counts: ListenerCounts(
                backlog: 128, modelRequestQueue: 1, modelAcceptQueue: Int(port % 3), kernelAcceptQueue: 2,
                syns: syns, handshakes: syns / 2, accepts: syns / 4),
            findings: syns > 10 ? [.synDroppedAcceptQueueFull: syns / 10] : [:],
            handshakeTime: handshakeTime)
    }

    @Test func belowTheLimitNothingFolds() {
        let folded = ListenerFolding.fold([Self.activity(port: 80, syns: 5), Self.activity(port: 443, syns: 9)], limit: 2)
        #expect(folded.map(\.labels.listener) == ["127.0.0.1:443", "127.0.0.1:80"])
        #expect(!folded.contains { $0.labels == .other })
    }

    @Test func theMostActiveKeepTheirLabelsAndTheRestSumUpExactly() {
        let activities = [
            Self.activity(port: 1001, syns: 50, latencies: [20_000, 3_000_000]),
            Self.activity(port: 1002, syns: 400),
            Self.activity(port: 1003, syns: 7, latencies: [15_000_000_000]),
            Self.activity(port: 1004, syns: 300),
            Self.activity(port: 1005, syns: 120, latencies: [40_000]),
        ]
        let folded = ListenerFolding.fold(activities, limit: 2)
        #expect(folded.count == 3)
        #expect(folded.prefix(2).map(\.labels.listener) == ["127.0.0.1:1002", "127.0.0.1:1004"])
        let other = folded[2]
        #expect(other.labels == .other)
        let rest = activities.filter { [1001, 1003, 1005].contains($0.listener.port) }
        #expect(other.sockets == 3)
        #expect(other.syns == rest.reduce(0) { $0 + $1.syns })
        #expect(other.handshakes == rest.reduce(0) { $0 + $1.handshakes })
        #expect(other.accepts == rest.reduce(0) { $0 + $1.accepts })
        #expect(other.findings[.synDroppedAcceptQueueFull] == rest.reduce(0) { $0 + ($1.findings[.synDroppedAcceptQueueFull] ?? 0) })
        #expect(other.modelAcceptQueue == rest.reduce(0) { $0 + $1.modelAcceptQueue })
        #expect(other.kernelAcceptQueue == 6)
        #expect(other.kernelRequestQueue == nil, "no folded listener knew the kernel's request queue")
        #expect(other.backlog == 3 * 128)
        #expect(other.handshakeTime.count == 4)
        #expect(other.handshakeTime.sumNanoseconds == 20_000 + 3_000_000 + 15_000_000_000 + 40_000)
        for index in other.handshakeTime.counts.indices {
            #expect(other.handshakeTime.counts[index] == rest.reduce(0) { $0 + $1.handshakeTime.counts[index] })
        }
    }

    @Test func aLimitOfZeroFoldsEverything() {
        let folded = ListenerFolding.fold([Self.activity(port: 80, syns: 5), Self.activity(port: 443, syns: 9)], limit: 0)
        #expect(folded.map(\.labels) == [.other])
        #expect(folded[0].syns == 14)
    }

    @Test func socketsWithTheSameLabelsAreOneSeries() {
        // A server that closed and reopened its port: two kernel sockets, one listener.
        let folded = ListenerFolding.fold(
            [Self.activity(port: 80, syns: 5, id: 1), Self.activity(port: 80, syns: 9, id: 2), Self.activity(port: 81, syns: 1)],
            limit: 1)
        #expect(folded.map(\.labels.listener) == ["127.0.0.1:80", "other"])
        #expect(folded[0].syns == 14 && folded[0].sockets == 2)
        #expect(folded[1].syns == 1)
    }

    @Test func labelsNameTheListenerLikeTheOutputDoes() {
        let folded = ListenerFolding.fold(
            [Self.activity(port: 9464, syns: 1, address: "::1", family: .ipv6, comm: nil)], limit: 5)
        #expect(folded[0].labels == ListenerLabels(listener: "[::1]:9464", netns: "4026531840", comm: ""))
    }

    @Test func tiesAreBrokenByLabelsSoTheChoiceIsStable() {
        let activities = (0..<10).map { Self.activity(port: UInt16(2000 + $0), syns: 3) }
        let once = ListenerFolding.fold(activities, limit: 4)
        let again = ListenerFolding.fold(activities.reversed(), limit: 4)
        #expect(once == again)
        #expect(once.prefix(4).map(\.labels.listener) == (2000..<2004).map { "127.0.0.1:\($0)" })
    }
}
