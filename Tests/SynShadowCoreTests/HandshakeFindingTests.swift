import SynShadowCore
import Testing

/// One hand-written kernel sequence per behaviour finding, in each stream
/// shape: the model names what the kernel did, with its counter and evidence.
@Suite struct HandshakeFindingTests {
    static let shapes: [Tier] = [.tracepoint, .fentry]

    private func run(_ script: EventScript, kernel: KernelSettings = KernelSettings(abortOnOverflow: false)) -> ModelRun {
        ModelRun(script.events, configuration: ModelConfiguration(tier: script.tier, kernel: kernel))
    }

    @Test(arguments: shapes)
    func cleanConnectionsFindNothing(tier: Tier) {
        var script = EventScript(tier: tier)
        script.listen()
        for client in 0..<20 { script.connection(Fixtures.flow(clientPort: UInt16(40_000 + client))) }
        script.close()
        let run = run(script)
        #expect(run.findings.isEmpty, "\(run.summary)")
        #expect(run.statistics.trackedFlows == 0)
    }

    @Test(arguments: shapes)
    func synDroppedOnFullAcceptQueue(tier: Tier) throws {
        var script = EventScript(tier: tier)
        script.backlog = 1
        script.listen()
        for client in 0..<2 {
            let flow = Fixtures.flow(clientPort: UInt16(40_000 + client))
            script.syn(flow)
            let request = script.queueRequest(flow)
            script.ack(flow, request: request)
            script.child(flow, request: request)
        }
        let dropped = Fixtures.flow(clientPort: 41_000)
        script.syn(dropped)
        script.connRequestDone(dropped)
        script.wait(Fixtures.second)
        script.syn(Fixtures.flow(clientPort: 41_001))
        let run = run(script)
        let finding = try #require(run.findings.first { $0.kind == .synDroppedAcceptQueueFull })
        #expect(finding.flow?.remotePort == 41_000)
        #expect(finding.counters == [.listenOverflows, .listenDrops])
        #expect(finding.evidence.first?.kind == .syn)
        #expect(finding.evidence.first?.queues?.acceptQueue == 2)
        #expect(finding.listener?.pid == 4242 && finding.listener?.comm == "server")
        #expect(run.divergences.isEmpty)
    }

    @Test(arguments: shapes)
    func synDroppedOnFullRequestQueue(tier: Tier) throws {
        var script = EventScript(tier: tier)
        script.backlog = 2
        script.listen()
        for client in 0..<2 { script.syn(Fixtures.flow(clientPort: UInt16(40_000 + client))); script.queueRequest(Fixtures.flow(clientPort: UInt16(40_000 + client))) }
        let dropped = Fixtures.flow(clientPort: 41_000)
        script.syn(dropped)
        script.connRequestDone(dropped)
        let run = run(script, kernel: KernelSettings(syncookies: 0))
        let finding = try #require(run.findings.first)
        #expect(finding.kind == .synDroppedRequestQueueFull)
        #expect(finding.counters.contains(.requestQueueFullDrop))
        #expect(run.findings.count == 1)
    }

    @Test(arguments: shapes)
    func syncookiePathIsReported(tier: Tier) throws {
        var script = EventScript(tier: tier)
        script.backlog = 1
        script.listen()
        script.syn(Fixtures.flow(clientPort: 40_000))
        script.queueRequest(Fixtures.flow(clientPort: 40_000))
        let cookie = Fixtures.flow(clientPort: 40_001)
        script.syn(cookie)
        script.cookie(cookie)
        script.wait(200_000)
        if tier == .tracepoint { script.ack(cookie) }
        let child = script.child(cookie, fromRequest: false)
        script.accept(cookie, child: child)
        let run = run(script, kernel: KernelSettings(syncookies: 1, abortOnOverflow: false))
        #expect(run.kinds == [.syncookieSent, .syncookieAccepted], "\(run.summary)")
        #expect(run.findings.first?.counters.contains(.syncookiesSent) == true)
    }

    @Test func syncookieAckWithoutChildIsAFailedCookie() {
        var script = EventScript(tier: .tracepoint)
        script.backlog = 1
        script.listen()
        script.syn(Fixtures.flow(clientPort: 40_000))
        script.queueRequest(Fixtures.flow(clientPort: 40_000))
        let cookie = Fixtures.flow(clientPort: 40_001)
        script.syn(cookie)
        script.cookie(cookie)
        script.wait(100_000)
        script.ack(cookie)
        script.wait(Fixtures.second)
        script.syn(Fixtures.flow(clientPort: 40_002))
        let run = run(script, kernel: KernelSettings(syncookies: 1, abortOnOverflow: false))
        #expect(run.count(.syncookieFailed) == 1, "\(run.summary)")
    }

    /// The ACK meets a full accept queue: dropped and kept, or reset, as
    /// tcp_abort_on_overflow says.
    @Test(arguments: shapes, [false, true])
    func ackOnFullAcceptQueue(tier: Tier, abort: Bool) throws {
        var script = EventScript(tier: tier)
        script.backlog = 0
        script.listen()
        let first = Fixtures.flow(clientPort: 40_000)
        script.syn(first)
        let firstRequest = script.queueRequest(first)
        let late = Fixtures.flow(clientPort: 40_001)
        script.syn(late)
        let lateRequest = script.queueRequest(late)
        script.ack(first, request: firstRequest)
        script.child(first, request: firstRequest)
        // The accept queue holds 1 > 0: the late ACK is dropped.
        script.ack(late, request: lateRequest)
        if abort { script.requests -= 1 }
        script.checkRequestNull(late, request: lateRequest)
        script.wait(Fixtures.second / 2)
        script.syn(Fixtures.flow(clientPort: 40_009))
        let run = run(script, kernel: KernelSettings(abortOnOverflow: abort))
        let expected: FindingKind = abort ? .ackResetAcceptQueueFull : .ackDroppedAcceptQueueFull
        let finding = try #require(run.findings.first { $0.kind == expected }, "\(run.summary)")
        #expect(finding.flow?.remotePort == 40_001)
        #expect(finding.counters.contains(.listenOverflows))
        #expect(run.divergences.isEmpty, "\(run.summary)")
    }

    @Test func ackDropWithUnknownAbortSettingNeverBecomesAFalseExpiry() {
        var script = EventScript(tier: .tracepoint)
        script.backlog = 0
        script.listen()
        let first = Fixtures.flow(clientPort: 40_000)
        let late = Fixtures.flow(clientPort: 40_001)
        script.syn(first)
        script.queueRequest(first)
        script.syn(late)
        script.queueRequest(late)
        script.ack(first)
        script.child(first)
        script.ack(late)
        script.requests -= 1  // the kernel had tcp_abort_on_overflow=1
        script.wait(120 * Fixtures.second)
        script.syn(Fixtures.flow(clientPort: 40_009))
        let run = ModelRun(script.events, configuration: ModelConfiguration(tier: .tracepoint))
        #expect(run.count(.ackDroppedAcceptQueueFull) == 1)
        #expect(run.count(.handshakeExpired) == 0, "\(run.summary)")
        #expect(run.divergences.isEmpty, "\(run.summary)")
    }

    @Test func badAckIsRejected() throws {
        var script = EventScript(tier: .fentry)
        script.listen()
        let flow = Fixtures.flow()
        script.syn(flow)
        let request = script.queueRequest(flow)
        script.ack(flow, request: request)
        script.emit(.checkRequestDone, .checkRequestExit, flow: flow, request: request, result: Int64(bitPattern: script.listenerID))
        let run = run(script)
        let finding = try #require(run.findings.first)
        #expect(finding.kind == .ackRejected)
        #expect(run.findings.count == 1)
    }

    @Test(arguments: shapes)
    func embryonicResetIsReported(tier: Tier) throws {
        var script = EventScript(tier: tier)
        script.listen()
        let flow = Fixtures.flow()
        script.syn(flow)
        let request = script.queueRequest(flow)
        script.rst(flow, request: request)
        script.requests -= 1
        script.checkRequestNull(flow, request: request)
        script.wait(Fixtures.second)
        script.syn(Fixtures.flow(clientPort: 40_001))
        let run = run(script)
        let finding = try #require(run.findings.first)
        #expect(finding.kind == .embryonicReset)
        #expect(finding.counters == [.embryonicResets])
        #expect(run.divergences.isEmpty)
    }

    @Test(arguments: shapes)
    func requestExpiresAfterItsRetransmits(tier: Tier) throws {
        var script = EventScript(tier: tier)
        script.listen()
        let flow = Fixtures.flow()
        script.syn(flow)
        let request = script.queueRequest(flow)
        for count in 1...5 {
            script.wait(Fixtures.second << UInt64(count - 1))
            script.retransmit(flow, request: request, count: UInt32(count))
        }
        script.wait(32 * Fixtures.second)
        script.requests -= 1
        // The timer wheel may fire a 32 s timeout up to 4 s late: the model waits that out.
        script.wait(5 * Fixtures.second)
        script.syn(Fixtures.flow(clientPort: 40_001))
        let run = run(script)
        let finding = try #require(run.findings.first { $0.kind == .handshakeExpired }, "\(run.summary)")
        #expect(finding.explanation.contains("5 SYN-ACK retransmit"))
        #expect(run.divergences.isEmpty, "\(run.summary)")
    }

    @Test func prunedRequestExpiresEarlyWithoutAFalseAlarm() throws {
        var script = EventScript(tier: .tracepoint)
        script.listen()
        let flow = Fixtures.flow()
        script.syn(flow)
        script.queueRequest(flow)
        script.wait(Fixtures.second)
        script.retransmit(flow, count: 1)
        script.wait(2 * Fixtures.second)
        script.retransmit(flow, count: 2)
        // reqsk_timer_handler prunes it at the next timer (queue pressure).
        script.wait(4 * Fixtures.second)
        script.requests -= 1
        script.wait(Fixtures.second)
        script.syn(Fixtures.flow(clientPort: 40_001))
        let run = run(script)
        let finding = try #require(run.findings.first { $0.kind == .handshakeExpired })
        #expect(finding.explanation.contains("before tcp_synack_retries"))
        #expect(run.divergences.isEmpty, "\(run.summary)")
    }

    @Test(arguments: shapes)
    func queuedChildClosedThenReset(tier: Tier) {
        var script = EventScript(tier: tier)
        script.listen()
        let flow = Fixtures.flow()
        script.syn(flow)
        let request = script.queueRequest(flow)
        script.ack(flow, request: request)
        let child = script.child(flow, request: request)
        script.wait(5 * Fixtures.millisecond)
        script.childState(flow, child: child, from: .established, to: .closeWait)
        script.childState(flow, child: child, from: .closeWait, to: .close)
        script.accept(flow, child: child)
        let run = run(script)
        #expect(run.kinds == [.childClosedWhileQueued, .childResetWhileQueued], "\(run.summary)")
        #expect(run.findings.first { $0.kind == .childResetWhileQueued }?.counters == [.establishedResets])
    }

    @Test(arguments: shapes)
    func listenerClosedWithQueuedChildren(tier: Tier) {
        var script = EventScript(tier: tier)
        script.listen()
        let flow = Fixtures.flow()
        script.syn(flow)
        let request = script.queueRequest(flow)
        script.ack(flow, request: request)
        let child = script.child(flow, request: request)
        script.close()
        script.childState(flow, child: child, from: .established, to: .close)
        let run = run(script)
        #expect(run.kinds == [.listenerClosedWithQueue], "\(run.summary)")
    }

    @Test(arguments: shapes)
    func slowAcceptIsReported(tier: Tier) throws {
        var script = EventScript(tier: tier)
        script.listen()
        let slow = Fixtures.flow(clientPort: 40_000)
        script.syn(slow)
        let request = script.queueRequest(slow)
        script.ack(slow, request: request)
        let child = script.child(slow, request: request)
        script.wait(250 * Fixtures.millisecond)
        script.accept(slow, child: child)
        let never = Fixtures.flow(clientPort: 40_001)
        script.syn(never)
        let neverRequest = script.queueRequest(never)
        script.ack(never, request: neverRequest)
        script.child(never, request: neverRequest)
        script.wait(Fixtures.second)
        script.syn(Fixtures.flow(clientPort: 40_002))
        let run = run(script)
        let slowFindings = run.findings.filter { $0.kind == .acceptSlow }
        #expect(slowFindings.count == 2, "\(run.summary)")
        #expect(slowFindings.contains { $0.explanation.contains("accepted after 250.") })
        #expect(slowFindings.contains { $0.explanation.contains("still not accepted") })
    }

    @Test func acceptLatencyThresholdIsConfigurable() {
        var script = EventScript(tier: .tracepoint)
        script.listen()
        let flow = Fixtures.flow()
        script.syn(flow)
        script.queueRequest(flow)
        script.ack(flow)
        let child = script.child(flow)
        script.wait(30 * Fixtures.millisecond)
        script.accept(flow, child: child)
        let strict = ModelRun(script.events, configuration: ModelConfiguration(tier: .tracepoint, acceptLatencyThreshold: 10 * Fixtures.millisecond))
        let lenient = ModelRun(script.events, configuration: ModelConfiguration(tier: .tracepoint))
        #expect(strict.count(.acceptSlow) == 1)
        #expect(lenient.count(.acceptSlow) == 0)
    }

    @Test func droppedPacketsNameTheirReason() throws {
        var script = EventScript(tier: .tracepoint)
        script.listen()
        let flow = Fixtures.flow()
        script.syn(flow)
        _ = script.queueRequest(flow)
        script.emit(.drop, .kfreeSkb, flow: flow, detail: 5, tcpFlags: 0x10)
        let run = ModelRun(
            script.events, configuration: ModelConfiguration(tier: .tracepoint, dropReasonNames: [5: "TCP_CSUM"]))
        let finding = try #require(run.findings.first { $0.kind == .packetDropped })
        #expect(finding.explanation.contains("TCP_CSUM") && finding.explanation.contains("ACK"))
        #expect(finding.step == .ack)
    }

    /// Regression (trust issue, item 14): a FIN, ACK or RST that reaches the
    /// listener after its connection's child is gone is ordinary teardown,
    /// not a finding "at step syn".
    @Test func teardownSegmentsAtTheListenerAreNotFindings() {
        var script = EventScript(tier: .tracepoint)
        script.listen()
        let flow = Fixtures.flow()
        script.connection(flow)
        script.wait(Fixtures.second)
        script.emit(.drop, .kfreeSkb, flow: flow, detail: 7, tcpFlags: 0x04)
        script.emit(.drop, .kfreeSkb, flow: Fixtures.flow(clientPort: 41_000), detail: 7, tcpFlags: 0x11)
        let run = ModelRun(script.events, configuration: ModelConfiguration(tier: .tracepoint))
        #expect(run.count(.packetDropped) == 0, "\(run.findings)")
        #expect(run.statistics.teardownSegments == 2)
    }

    @Test(arguments: shapes)
    func acceptBeforeItsChildIsARaceNotADivergence(tier: Tier) {
        var script = EventScript(tier: tier)
        script.listen()
        let flow = Fixtures.flow()
        script.syn(flow)
        let request = script.queueRequest(flow)
        script.ack(flow, request: request)
        // accept() on another CPU is reported before the creation callback.
        let child = script.newIdentity()
        script.requests -= 1
        if tier != .tracepoint {
            script.emit(.checkRequestDone, .checkRequestExit, flow: flow, request: request, child: child, result: Int64(bitPattern: child))
        }
        script.emit(.accept, tier == .tracepoint ? .sysExitAccept : .acceptExit, flow: flow, child: child)
        script.emit(.childCreated, .sockOpsPassiveEstablished, flow: flow, child: child, newState: .established)
        script.close()
        let run = run(script)
        #expect(run.findings.isEmpty, "\(run.summary)")
    }
}
