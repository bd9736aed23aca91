import SynShadowCore
import Testing

/// A queued child's CLOSE (and its accept() afterwards) is reported with
/// local port 0: tcp_set_state() unhashes the child and inet_put_port()
/// zeroes its inet_num before the tracepoint reads it, and the probe drops
/// the child from its table on CLOSE. The live `queued-children` scenario.
@Suite struct QueuedChildCloseTests {
    static let shapes: [Tier] = [.tracepoint, .fentry]

    private func run(_ script: EventScript) -> ModelRun {
        ModelRun(script.events, configuration: ModelConfiguration(tier: script.tier, kernel: KernelSettings(abortOnOverflow: false)))
    }

    private func queuedChild(_ script: inout EventScript, clientPort: UInt16) -> (FlowKey, UInt64) {
        let flow = Fixtures.flow(clientPort: clientPort)
        script.syn(flow)
        let request = script.queueRequest(flow)
        script.ack(flow, request: request)
        return (flow, script.child(flow, request: request))
    }

    @Test(arguments: shapes)
    func resetChildWithZeroPortIsAResetWhileQueued(tier: Tier) throws {
        var script = EventScript(tier: tier)
        script.listen()
        let (reset, resetChild) = queuedChild(&script, clientPort: 40_000)
        script.childClosed(reset, child: resetChild, from: .established)
        let (closed, closedChild) = queuedChild(&script, clientPort: 40_001)
        script.childState(closed, child: closedChild, from: .established, to: .closeWait)
        script.acceptClosedChild(reset, child: resetChild)
        script.accept(closed, child: closedChild)
        // A later reading with the accept queue empty: the model must agree.
        script.wait(Fixtures.second)
        script.syn(Fixtures.flow(clientPort: 40_002))
        script.queueRequest(Fixtures.flow(clientPort: 40_002))
        script.wait(Fixtures.second)
        script.syn(Fixtures.flow(clientPort: 40_003))
        let run = run(script)
        #expect(run.count(.childResetWhileQueued) == 1, "\(run.summary)")
        #expect(run.count(.childClosedWhileQueued) == 1, "\(run.summary)")
        #expect(run.divergences.isEmpty, "\(run.summary)")
        let finding = try #require(run.findings.first { $0.kind == .childResetWhileQueued })
        #expect(finding.flow?.localPort == 8080 && finding.flow?.remotePort == 40_000)
        #expect(finding.counters == [.establishedResets])
    }

    @Test(arguments: shapes)
    func finThenResetWithZeroPort(tier: Tier) {
        var script = EventScript(tier: tier)
        script.listen()
        let (flow, child) = queuedChild(&script, clientPort: 40_000)
        script.childState(flow, child: child, from: .established, to: .closeWait)
        script.childClosed(flow, child: child, from: .closeWait)
        script.acceptClosedChild(flow, child: child)
        script.wait(Fixtures.second)
        script.syn(Fixtures.flow(clientPort: 40_001))
        script.queueRequest(Fixtures.flow(clientPort: 40_001))
        let run = run(script)
        #expect(run.count(.childClosedWhileQueued) == 1, "\(run.summary)")
        #expect(run.count(.childResetWhileQueued) == 1, "\(run.summary)")
        #expect(run.divergences.isEmpty, "\(run.summary)")
    }

    /// inet_csk_listen_stop() disposes of the queued children: their CLOSE
    /// (port 0) follows the listener's and is no finding of its own.
    @Test(arguments: shapes)
    func listenerCloseDisposesOfQueuedChildren(tier: Tier) {
        var script = EventScript(tier: tier)
        script.listen()
        let (established, first) = queuedChild(&script, clientPort: 40_000)
        let (finished, second) = queuedChild(&script, clientPort: 40_001)
        script.childState(finished, child: second, from: .established, to: .closeWait)
        let pending = Fixtures.flow(clientPort: 40_002)
        script.syn(pending)
        script.queueRequest(pending)
        script.close()
        script.childClosed(established, child: first, from: .established)
        script.childClosed(finished, child: second, from: .closeWait)
        script.wait(10 * Fixtures.second)
        script.syn(Fixtures.flow(clientPort: 40_009, port: 9090))
        let run = run(script)
        #expect(run.count(.listenerClosedWithQueue) == 1, "\(run.summary)")
        #expect(run.count(.childResetWhileQueued) == 0, "\(run.summary)")
        #expect(run.divergences.isEmpty, "\(run.summary)")
        #expect(run.statistics.trackedFlows == 0)
    }
}
