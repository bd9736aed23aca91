import SynShadowCore
import Testing

/// A syncookie SYN leaves no trace: tcp_conn_request allocates its request
/// without a listener (`attach_listener = !want_cookie`), so no sock_ops
/// callback runs. The model infers the cookie from tcp_syncookies and the
/// SYN's queue figures, in tcp_conn_request's order.
@Suite struct SyncookieInferenceTests {
    static let shapes: [Tier] = [.tracepoint, .fentry]

    private func run(_ script: EventScript, syncookies: Int?) -> ModelRun {
        ModelRun(
            script.events,
            configuration: ModelConfiguration(
                tier: script.tier, kernel: KernelSettings(syncookies: syncookies, abortOnOverflow: false)))
    }

    /// A listener with backlog 2 and both request slots taken.
    private func fullRequestQueue(_ tier: Tier) -> EventScript {
        var script = EventScript(tier: tier)
        script.backlog = 2
        script.listen()
        for client in 0..<2 {
            let flow = Fixtures.flow(clientPort: UInt16(40_000 + client))
            script.syn(flow)
            script.queueRequest(flow)
        }
        return script
    }

    @Test(arguments: shapes)
    func cookieOnFullRequestQueueIsASentCookieNotADrop(tier: Tier) {
        var script = fullRequestQueue(tier)
        for client in 0..<3 {
            let flow = Fixtures.flow(clientPort: UInt16(41_000 + client))
            script.syn(flow)
            script.cookie(flow)
        }
        script.wait(Fixtures.second)
        let run = run(script, syncookies: 1)
        #expect(run.count(.syncookieSent) == 3, "\(run.summary)")
        #expect(run.count(.synDroppedRequestQueueFull) == 0, "\(run.summary)")
        #expect(run.findings.first { $0.kind == .syncookieSent }?.counters.contains(.syncookiesSent) == true)
        #expect(run.divergences.isEmpty, "\(run.summary)")
    }

    @Test(arguments: shapes)
    func forcedCookiesAnswerEverySYN(tier: Tier) {
        var script = EventScript(tier: tier)
        script.backlog = 8
        script.listen()
        for client in 0..<4 {
            let flow = Fixtures.flow(clientPort: UInt16(41_000 + client))
            script.syn(flow)
            script.cookie(flow)
        }
        script.wait(Fixtures.second)
        let run = run(script, syncookies: 2)
        #expect(run.count(.syncookieSent) == 4, "\(run.summary)")
        #expect(run.count(.synDropped) == 0, "\(run.summary)")
        #expect(run.divergences.isEmpty, "\(run.summary)")
    }

    @Test(arguments: shapes)
    func cookiesOffDropOnAFullRequestQueueBeforeTheAcceptQueueCheck(tier: Tier) throws {
        var script = EventScript(tier: tier)
        script.backlog = 0
        script.listen()
        let queued = Fixtures.flow(clientPort: 40_000)
        script.syn(queued)
        script.queueRequest(queued)
        let done = Fixtures.flow(clientPort: 40_001)
        script.syn(done)
        let request = script.queueRequest(done)
        script.ack(done, request: request)
        script.child(done, request: request)
        // Request queue 1 >= 0 and accept queue 1 > 0: tcp_syn_flood_action
        // drops first (TCPReqQFullDrop).
        let dropped = Fixtures.flow(clientPort: 41_000)
        script.syn(dropped)
        script.connRequestDone(dropped)
        script.wait(Fixtures.second / 2)
        let run = run(script, syncookies: 0)
        let finding = try #require(run.findings.first { $0.flow?.remotePort == 41_000 }, "\(run.summary)")
        #expect(finding.kind == .synDroppedRequestQueueFull)
    }

    @Test(arguments: shapes)
    func fullAcceptQueueDropsTheSYNEvenWithCookies(tier: Tier) throws {
        var script = EventScript(tier: tier)
        script.backlog = 0
        script.listen()
        let done = Fixtures.flow(clientPort: 40_001)
        script.syn(done)
        let request = script.queueRequest(done)
        script.ack(done, request: request)
        script.child(done, request: request)
        let dropped = Fixtures.flow(clientPort: 41_000)
        script.syn(dropped)
        script.connRequestDone(dropped)
        script.wait(Fixtures.second / 2)
        let run = run(script, syncookies: 2)
        let finding = try #require(run.findings.first { $0.flow?.remotePort == 41_000 }, "\(run.summary)")
        #expect(finding.kind == .synDroppedAcceptQueueFull)
        #expect(run.count(.syncookieSent) == 0)
    }

    /// tcp_syncookies unknown and the request queue full: dropped or a
    /// cookie cannot be told apart, so nothing is claimed; a child later
    /// proves the cookie.
    @Test(arguments: shapes)
    func unknownSyncookiesWithFullRequestQueueClaimNothing(tier: Tier) {
        var script = fullRequestQueue(tier)
        let silent = Fixtures.flow(clientPort: 41_000)
        script.syn(silent)
        script.cookie(silent)
        let completed = Fixtures.flow(clientPort: 41_001)
        script.syn(completed)
        script.cookie(completed)
        script.wait(200_000)
        if tier == .tracepoint { script.ack(completed) }
        let child = script.child(completed, fromRequest: false)
        script.accept(completed, child: child)
        script.wait(Fixtures.second)
        script.syn(Fixtures.flow(clientPort: 42_000))
        let run = run(script, syncookies: nil)
        #expect(run.count(.synDroppedRequestQueueFull) == 0, "\(run.summary)")
        #expect(run.count(.synDropped) == 0, "\(run.summary)")
        #expect(run.count(.syncookieAccepted) == 1, "\(run.summary)")
        #expect(run.divergences.isEmpty, "\(run.summary)")
    }

    /// A cookie ACK that creates no child is a failed cookie, reported once
    /// for its flow however many ACKs the client sends; never a divergence.
    @Test func failedCookieIsReportedOncePerFlow() {
        var script = fullRequestQueue(.tracepoint)
        let forged = Fixtures.flow(clientPort: 41_000)
        script.syn(forged)
        script.cookie(forged)
        script.wait(100_000)
        for _ in 0..<3 {
            script.ack(forged)
            script.wait(100 * Fixtures.millisecond)
        }
        script.wait(Fixtures.second)
        let run = run(script, syncookies: 1)
        #expect(run.count(.syncookieSent) == 1, "\(run.summary)")
        #expect(run.count(.syncookieFailed) == 1, "\(run.summary)")
        #expect(run.findings.first { $0.kind == .syncookieFailed }?.category == .behaviour)
        #expect(run.divergences.isEmpty, "\(run.summary)")
    }

    /// A late ACK (its cookie flow already forgotten) reaching a listener
    /// that sends cookies is still checked as a cookie by the kernel.
    @Test func lateAckOnACookieListenerIsAFailedCookie() {
        var script = fullRequestQueue(.tracepoint)
        let cookie = Fixtures.flow(clientPort: 41_000)
        script.syn(cookie)
        script.cookie(cookie)
        script.wait(3 * Fixtures.second)
        script.ack(cookie)
        script.wait(Fixtures.second)
        script.syn(Fixtures.flow(clientPort: 42_000))
        let cookiesOn = run(script, syncookies: 1)
        #expect(cookiesOn.count(.syncookieFailed) == 1, "\(cookiesOn.summary)")
        #expect(cookiesOn.divergences.isEmpty, "\(cookiesOn.summary)")
    }

    /// Kernels that ran RWND_INIT for the cookie request: still a cookie.
    @Test(arguments: shapes)
    func builtButUnhashedRequestIsStillACookie(tier: Tier) {
        var script = fullRequestQueue(tier)
        let cookie = Fixtures.flow(clientPort: 41_000)
        script.syn(cookie)
        script.cookieWithRequestBuilt(cookie)
        script.wait(Fixtures.second)
        let run = run(script, syncookies: 1)
        #expect(run.count(.syncookieSent) == 1, "\(run.summary)")
        #expect(run.divergences.isEmpty, "\(run.summary)")
    }

    /// A syncookie child the model holds no flow for (its SYN unseen, or
    /// judged a drop): accept() on another CPU may be reported before the
    /// creation callback. Either order is the same kernel history and gives
    /// the same findings: a cookie child, no divergence.
    @Test(arguments: [UInt64(0), 5_000_000])
    func acceptRacingTheCreationOfAnUnknownCookieChildIsNoOrphan(raceWindow: UInt64) {
        for acceptFirst in [false, true] {
            var script = fullRequestQueue(.fentry)
            script.wait(Fixtures.millisecond)
            let cookie = Fixtures.flow(clientPort: 41_000)
            if acceptFirst {
                acceptBeforeCreation(&script, cookie)
            } else {
                let child = script.child(cookie, fromRequest: false)
                script.accept(cookie, child: child)
            }
            script.wait(Fixtures.second)
            let run = ModelRun(
                script.events,
                configuration: ModelConfiguration(
                    tier: .fentry, raceWindow: raceWindow, kernel: KernelSettings(syncookies: 1, abortOnOverflow: false)))
            #expect(run.divergences.isEmpty, "accept first: \(acceptFirst)\n\(run.summary)")
            #expect(run.count(.syncookieAccepted) == 1, "accept first: \(acceptFirst)\n\(run.summary)")
        }
    }

    /// The same race on a listener whose counts hold unknown children (first
    /// seen mid-stream): accept() is first credited with one of them, then
    /// the creation callback shows the child was new, and the unknown child
    /// is still queued (accepted later, without a divergence).
    @Test func acceptRacingACookieChildOnAListenerWithUnknownChildren() {
        var script = EventScript(tier: .fentry)
        // No listen(), no snapshot: one child already queued.
        script.children = 1
        for client in 0..<4 {
            script.wait(5 * Fixtures.millisecond)
            script.connection(Fixtures.flow(clientPort: UInt16(40_000 + client)))
        }
        script.wait(5 * Fixtures.millisecond)
        acceptBeforeCreation(&script, Fixtures.flow(clientPort: 41_000))
        for client in 4..<6 {
            script.wait(5 * Fixtures.millisecond)
            script.connection(Fixtures.flow(clientPort: UInt16(40_000 + client)))
        }
        script.accept(Fixtures.flow(clientPort: 39_000), child: 0xFFFF_8880_5000_0000)
        script.close()
        let run = run(script, syncookies: 1)
        #expect(run.divergences.isEmpty, "\(run.summary)")
        #expect(run.count(.syncookieAccepted) == 1, "\(run.summary)")
        #expect(run.statistics.adoptions >= 1)
    }

    /// accept() of a child created on another CPU, reported before its
    /// creation callback (function tiers: a cookie child has no tcp_check_req).
    private func acceptBeforeCreation(_ script: inout EventScript, _ flow: FlowKey) {
        let child = script.newIdentity()
        script.children += 1
        script.accept(flow, child: child)
        script.emit(.childCreated, .sockOpsPassiveEstablished, flow: flow, child: child, newState: .established)
    }
}
