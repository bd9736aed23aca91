import SynShadowCore
import SynShadowTestbed

/// A sequential model of the kernel's passive open that emits the event
/// stream the probes of a tier would report (queue figures exact at each
/// probe point) and counts the behaviour findings a correct model must make.
/// Its streams are legal by construction: the shadow model must find no
/// divergence in them.
final class KernelSimulator {
    struct Options {
        var tier: Tier
        var listeners = 2
        var connections = 40
        var syncookies = 1
        var abortOnOverflow = false
        var snapshot = false
        var raceProbability = 0.1
        var acceptLatencyThreshold: UInt64 = 100 * Fixtures.millisecond
        var synAckRetries = 5
    }

    private struct Listener {
        var id: UInt64
        var key: FlowKey
        var host: IPAddress
        var backlog: UInt32
        var requests: UInt32 = 0
        var queue: [Int] = []
        var isOpen = true
        var slowApp: Bool
        var fromSnapshot = false
    }

    private enum Phase { case none, queued, cookie, child, accepted, gone }

    private enum Plan { case complete, reset, silent }

    private struct Flow {
        var key: FlowKey
        var listener: Int
        var phase: Phase = .none
        var plan: Plan
        var request: UInt64 = 0
        var child: UInt64 = 0
        var timerFires = 0
        var retransmits: UInt32 = 0
        var retransmitsSeen = 0
        var timerGeneration = 0
        var childCreatedAt: UInt64 = 0
        var childState: TCPState = .established
        var synRetries = 0
        var ackRetries = 0
        var fromSnapshot = false
        var closeAfterQueued: UInt64?
    }

    private enum Action {
        case arrive(Int)
        case clientACK(Int)
        case clientRST(Int)
        case clientSYNAgain(Int)
        case timer(Int, generation: Int)
        case appAccept(Int)
        case childFIN(Int)
        case childRST(Int)
    }

    let options: Options
    private var rng: SplitMix64
    private var listeners: [Listener] = []
    private var flows: [Flow] = []
    private var agenda: [(time: UInt64, order: Int, action: Action)] = []
    private var order = 0
    private var clock: UInt64 = 500 * Fixtures.second
    /// When the current action happens: what it schedules is relative to it,
    /// so every tier's stream carries the same traffic (function tiers emit
    /// more events per step, and each event takes a microsecond).
    private var actionTime: UInt64 = 500 * Fixtures.second
    private var identities: UInt64 = 0xFFFF_8881_0000_0000
    private var arrivalsEnd: UInt64 = 0
    private(set) var events: [KernelEvent] = []
    /// Behaviour findings a correct model reports for this stream.
    private(set) var expected: [FindingKind: Int] = [:]

    init(seed: UInt64, options: Options) {
        self.options = options
        rng = SplitMix64(seed: seed)
    }

    var isFunctionTier: Bool { options.tier != .tracepoint }

    /// The configuration the model needs to agree with this kernel.
    var modelConfiguration: ModelConfiguration {
        ModelConfiguration(
            tier: options.tier, acceptLatencyThreshold: options.acceptLatencyThreshold,
            findingLimitPerListener: 1_000_000,
            kernel: KernelSettings(
                syncookies: options.syncookies, abortOnOverflow: options.abortOnOverflow,
                synAckRetries: options.synAckRetries),
            hashSeed: 42)
    }

    /// Runs the whole scenario; `events` and `expected` are then complete.
    func run() -> [KernelEvent] {
        setUpListeners()
        let start = clock
        var arrival = start + 1_000
        for index in 0..<options.connections {
            let listener = Int(rng.next() % UInt64(listeners.count))
            let plan: Plan = rng.chance(0.75) ? .complete : (rng.chance(0.5) ? .reset : .silent)
            flows.append(Flow(key: clientKey(index, listener), listener: listener, plan: plan))
            if rng.chance(0.15) { flows[flows.count - 1].closeAfterQueued = rng.between(1, 30) * Fixtures.millisecond }
            // Bursts fill small queues; gaps let them drain.
            arrival += rng.chance(0.7) ? rng.between(5_000, 200_000) : rng.between(1, 80) * Fixtures.millisecond
            schedule(arrival, .arrive(flows.count - 1))
        }
        arrivalsEnd = arrival
        for index in listeners.indices { schedule(start + rng.between(1, 5) * Fixtures.millisecond, .appAccept(index)) }
        while !agenda.isEmpty {
            let next = agenda.removeFirst()
            clock = max(clock, next.time)
            actionTime = next.time
            perform(next.action)
        }
        // Long after every timer: close the listeners.
        clock += 400 * Fixtures.second
        for index in listeners.indices { closeListener(index) }
        return events
    }

    // MARK: Set-up

    private func setUpListeners() {
        for index in 0..<options.listeners {
            let ipv6 = index % 3 == 2
            let netns = Fixtures.netns + UInt32(index % 2)
            let wildcard = rng.chance(0.5)
            let host = ipv6 ? IPAddress("fd00::1")! : IPAddress("10.0.0.1")!
            let bound = wildcard ? IPAddress(ipv6 ? "::" : "0.0.0.0")! : host
            // Pairs of listeners share a port in different namespaces.
            let port = UInt16(8000 + index / 2)
            let key = FlowKey(
                netns: netns, family: ipv6 ? .ipv6 : .ipv4, localAddress: bound, localPort: port,
                remoteAddress: IPAddress(high: 0, low: 0), remotePort: 0)
            let backlog = UInt32(rng.between(1, 6))
            listeners.append(
                Listener(
                    id: 0xFFFF_8880_0000_0000 + UInt64(index) * 0x1_0000, key: key, host: host, backlog: backlog,
                    slowApp: rng.chance(0.4)))
            if options.snapshot && index == 0 {
                snapshot(index)
            } else {
                emit(.listenStart, .sockOpsListen, key, listener: index, newState: .listen)
            }
        }
    }

    /// Listener 0 existed before tracing, with requests and children queued.
    private func snapshot(_ index: Int) {
        listeners[index].fromSnapshot = true
        let children = Int(rng.between(0, UInt64(listeners[index].backlog)))
        let requests = Int(rng.between(0, UInt64(listeners[index].backlog) - 1))
        var requestFlows: [Int] = []
        for number in 0..<(children + requests) {
            var flow = Flow(key: clientKey(10_000 + number, index), listener: index, plan: .complete)
            flow.fromSnapshot = true
            if number < children {
                flow.phase = .child
                flow.child = newIdentity()
                listeners[index].queue.append(flows.count)
            } else {
                flow.phase = .queued
                flow.request = newIdentity()
                flow.timerFires = Int(rng.between(0, 3))
                flow.retransmits = UInt32(flow.timerFires)
                flow.plan = rng.chance(0.6) ? .complete : .silent
                listeners[index].requests += 1
                requestFlows.append(flows.count)
            }
            flows.append(flow)
        }
        emit(.snapshotListener, .iterTCP, listeners[index].key, listener: index, newState: .listen)
        for flowIndex in 0..<flows.count {
            let flow = flows[flowIndex]
            if flow.phase == .queued {
                emit(.snapshotRequest, .iterTCP, flow.key, listener: index, request: flow.request, newState: .newSynRecv)
            } else {
                emit(.snapshotChild, .iterTCP, flow.key, listener: index, figures: false, child: flow.child,
                    listenerID: 0, newState: .established)
            }
        }
        for flowIndex in requestFlows {
            flows[flowIndex].timerGeneration += 1
            schedule(clock + rng.between(50, 900) * Fixtures.millisecond,
                .timer(flowIndex, generation: flows[flowIndex].timerGeneration))
            if flows[flowIndex].plan == .complete {
                schedule(clock + rng.between(1, 40) * Fixtures.millisecond, .clientACK(flowIndex))
            }
        }
    }

    private func clientKey(_ number: Int, _ listener: Int) -> FlowKey {
        let key = listeners[listener].key
        let remote: IPAddress
        if key.family == .ipv6 {
            remote = IPAddress(high: 0x00fd, low: UInt64(number + 1) << 48)
        } else {
            remote = IPAddress("192.168.\(number / 250 % 250).\(number % 250 + 1)")!
        }
        return FlowKey(
            netns: key.netns, family: key.family, localAddress: listeners[listener].host, localPort: key.localPort,
            remoteAddress: remote, remotePort: UInt16(30_000 + number % 30_000))
    }

    // MARK: The kernel

    private func perform(_ action: Action) {
        switch action {
        case .arrive(let index): arrive(index)
        case .clientACK(let index): clientACK(index)
        case .clientRST(let index): clientRST(index)
        case .clientSYNAgain(let index): clientSYNAgain(index)
        case .timer(let index, let generation): timer(index, generation)
        case .appAccept(let index): appAccept(index)
        case .childFIN(let index): childFIN(index)
        case .childRST(let index): childRST(index)
        }
    }

    private func arrive(_ index: Int) {
        let flow = flows[index]
        let listener = listeners[flow.listener]
        guard listener.isOpen, flow.phase == .none else { return }
        emit(.syn, isFunctionTier ? .connRequestEntry : .cgroupSkbIngress, flow.key, listener: flow.listener, tcpFlags: 0x02)
        // tcp_conn_request's order: the cookie decision (or, with cookies
        // off, the request-queue drop), then the accept-queue drop.
        let requestQueueFull = listener.requests >= listener.backlog
        if requestQueueFull && options.syncookies == 0 {
            connRequestDone(index)
            count(.synDroppedRequestQueueFull)
            retrySYN(index)
        } else if UInt32(listener.queue.count) > listener.backlog {
            connRequestDone(index)
            count(.synDroppedAcceptQueueFull)
            retrySYN(index)
        } else if requestQueueFull {
            // A cookie request has no listener: no sock_ops callback runs.
            connRequestDone(index)
            count(.syncookieSent)
            flows[index].phase = .cookie
            if flow.plan == .complete { schedule(actionTime + rng.between(100_000, 2_000_000), .clientACK(index)) }
        } else {
            let request = newIdentity()
            flows[index].request = request
            emit(.requestCreated, .sockOpsRwndInit, flow.key, listener: flow.listener)
            emit(.requestQueued, isFunctionTier ? .requestHashAdd : .sockOpsTimeoutInit, flow.key,
                listener: flow.listener, request: isFunctionTier ? request : 0)
            listeners[flow.listener].requests += 1
            connRequestDone(index)
            flows[index].phase = .queued
            flows[index].timerGeneration += 1
            schedule(actionTime + Fixtures.second, .timer(index, generation: flows[index].timerGeneration))
            switch flow.plan {
            case .complete: schedule(actionTime + rng.between(100_000, 2_000_000), .clientACK(index))
            case .reset: schedule(actionTime + rng.between(100_000, 2_000_000), .clientRST(index))
            case .silent:
                if rng.chance(0.3) { schedule(actionTime + Fixtures.second + 500_000_000, .clientSYNAgain(index)) }
            }
        }
    }

    private func connRequestDone(_ index: Int) {
        guard isFunctionTier else { return }
        emit(.connRequestDone, .connRequestExit, flows[index].key, listener: flows[index].listener)
    }

    private func retrySYN(_ index: Int) {
        guard flows[index].synRetries < 1 else { return }
        flows[index].synRetries += 1
        schedule(actionTime + Fixtures.second, .arrive(index))
    }

    private func clientACK(_ index: Int) {
        let flow = flows[index]
        var listener = listeners[flow.listener]
        guard listener.isOpen else { return }
        let full = UInt32(listener.queue.count) > listener.backlog
        switch flow.phase {
        case .cookie:
            if full {
                // Keep the example clear of cookie ACK drops (invisible to function tiers).
                schedule(actionTime + 20 * Fixtures.millisecond, .clientACK(index))
                return
            }
            if !isFunctionTier {
                emit(.ack, .cgroupSkbIngress, flow.key, listener: flow.listener, tcpFlags: 0x10)
            }
            count(.syncookieAccepted)
            createChild(index, fromRequest: false)
        case .queued:
            emit(.ack, isFunctionTier ? .checkRequestEntry : .cgroupSkbIngress, flow.key, listener: flow.listener,
                request: isFunctionTier ? flow.request : 0, tcpFlags: 0x10)
            if full {
                if options.abortOnOverflow {
                    listener.requests -= 1
                    listeners[flow.listener] = listener
                    flows[index].phase = .gone
                    checkRequestDone(index, child: 0)
                    count(.ackResetAcceptQueueFull)
                } else {
                    checkRequestDone(index, child: 0)
                    count(.ackDroppedAcceptQueueFull)
                    if flow.ackRetries < 3 {
                        flows[index].ackRetries += 1
                        schedule(actionTime + rng.between(200, 400) * Fixtures.millisecond, .clientACK(index))
                    }
                }
                return
            }
            createChild(index, fromRequest: true)
        default:
            return
        }
    }

    private func createChild(_ index: Int, fromRequest: Bool) {
        let flow = flows[index]
        let child = newIdentity()
        flows[index].child = child
        if fromRequest { listeners[flow.listener].requests -= 1 }
        listeners[flow.listener].queue.append(index)
        flows[index].phase = .child
        if fromRequest { checkRequestDone(index, child: child) }
        if flows[index].childCreatedAt == 0 { flows[index].childCreatedAt = clock + 1_000 }
        // Pre-existing requests have no SYN record in the kernel's flow map:
        // function tiers report no creation callback for their children.
        let reportsCreation = !(isFunctionTier && flow.fromSnapshot)
        if rng.chance(options.raceProbability) && listeners[flow.listener].queue.count == 1 {
            // accept() on another CPU reported before the creation callback.
            accept(flow.listener)
            if reportsCreation { emitChildCreated(index) }
            return
        }
        if reportsCreation { emitChildCreated(index) }
        if let delay = flow.closeAfterQueued {
            schedule(actionTime + delay, rng.chance(0.5) ? .childFIN(index) : .childRST(index))
        }
    }

    private func emitChildCreated(_ index: Int) {
        emit(.childCreated, .sockOpsPassiveEstablished, flows[index].key, listener: flows[index].listener,
            child: flows[index].child, newState: .established)
    }

    private func checkRequestDone(_ index: Int, child: UInt64) {
        guard isFunctionTier else { return }
        if flows[index].childCreatedAt == 0 && child != 0 { flows[index].childCreatedAt = clock + 1_000 }
        emit(.checkRequestDone, .checkRequestExit, flows[index].key, listener: flows[index].listener,
            request: flows[index].request, child: child, result: Int64(bitPattern: child))
    }

    private func clientRST(_ index: Int) {
        let flow = flows[index]
        guard listeners[flow.listener].isOpen, flow.phase == .queued else { return }
        emit(.rst, isFunctionTier ? .checkRequestEntry : .cgroupSkbIngress, flow.key, listener: flow.listener,
            request: isFunctionTier ? flow.request : 0, tcpFlags: 0x04)
        listeners[flow.listener].requests -= 1
        flows[index].phase = .gone
        checkRequestDone(index, child: 0)
        count(.embryonicReset)
    }

    /// A client resends its SYN: tcp_check_req resends the SYN-ACK.
    private func clientSYNAgain(_ index: Int) {
        let flow = flows[index]
        guard listeners[flow.listener].isOpen, flow.phase == .queued else { return }
        emit(.syn, isFunctionTier ? .checkRequestEntry : .cgroupSkbIngress, flow.key, listener: flow.listener,
            request: isFunctionTier ? flow.request : 0, tcpFlags: 0x02)
        retransmitSynAck(index)
        checkRequestDone(index, child: 0)
    }

    private func retransmitSynAck(_ index: Int) {
        flows[index].retransmits += 1
        flows[index].retransmitsSeen += 1
        emit(.synAckRetransmit, .retransmitSynAck, flows[index].key, listener: flows[index].listener,
            request: isFunctionTier ? flows[index].request : 0, detail: flows[index].retransmits)
    }

    /// reqsk_timer_handler: resend the SYN-ACK or expire the request.
    private func timer(_ index: Int, _ generation: Int) {
        let flow = flows[index]
        guard flow.timerGeneration == generation, flow.phase == .queued, listeners[flow.listener].isOpen else { return }
        if flow.timerFires >= options.synAckRetries {
            listeners[flow.listener].requests -= 1
            flows[index].phase = .gone
            if !flow.fromSnapshot || flow.retransmitsSeen > 0 { count(.handshakeExpired) }
            return
        }
        retransmitSynAck(index)
        flows[index].timerFires += 1
        schedule(actionTime + Fixtures.second << UInt64(flows[index].timerFires), .timer(index, generation: generation))
    }

    private func appAccept(_ index: Int) {
        if !listeners[index].queue.isEmpty { accept(index) }
        let quiet = clock > arrivalsEnd + 2 * Fixtures.second && listeners[index].queue.isEmpty
        guard listeners[index].isOpen, !quiet else { return }
        let interval = listeners[index].slowApp
            ? rng.between(120, 400) * Fixtures.millisecond : rng.between(200_000, 3_000_000)
        schedule(actionTime + interval, .appAccept(index))
    }

    private func accept(_ listenerIndex: Int) {
        let index = listeners[listenerIndex].queue.removeFirst()
        let flow = flows[index]
        flows[index].phase = .accepted
        // Children queued before tracing are not in the probes' map: the
        // tracepoint tier names no listener and reads no queues for them.
        let unmapped = !isFunctionTier && flow.fromSnapshot && flow.childCreatedAt == 0
        emit(.accept, isFunctionTier ? .acceptExit : .sysExitAccept, flow.key, listener: listenerIndex,
            figures: !unmapped, child: flow.child, listenerID: unmapped ? 0 : nil)
        let latency = clock > flow.childCreatedAt ? clock - flow.childCreatedAt : 0
        if flow.childCreatedAt != 0 && latency > options.acceptLatencyThreshold { count(.acceptSlow) }
    }

    private func childFIN(_ index: Int) {
        guard flows[index].phase == .child, flows[index].childState == .established,
            listeners[flows[index].listener].isOpen
        else { return }
        emit(.childState, .inetSockSetState, flows[index].key, listener: flows[index].listener, figures: false,
            child: flows[index].child, oldState: .established, newState: .closeWait)
        flows[index].childState = .closeWait
        count(.childClosedWhileQueued)
        if rng.chance(0.5) { schedule(actionTime + 5 * Fixtures.millisecond, .childRST(index)) }
    }

    private func childRST(_ index: Int) {
        let flow = flows[index]
        guard flow.phase == .child, flow.childState != .close, listeners[flow.listener].isOpen else { return }
        emit(.childState, .inetSockSetState, flow.key, listener: flow.listener, figures: false, child: flow.child,
            oldState: flow.childState, newState: .close)
        flows[index].childState = .close
        count(.childResetWhileQueued)
    }

    private func closeListener(_ index: Int) {
        let listener = listeners[index]
        emit(.listenStop, .inetSockSetState, listener.key, listener: index, oldState: .listen, newState: .close)
        if !listener.queue.isEmpty || listener.requests > 0 { count(.listenerClosedWithQueue) }
        listeners[index].isOpen = false
        for flowIndex in listener.queue where flows[flowIndex].childState != .close {
            emit(.childState, .inetSockSetState, flows[flowIndex].key, listener: index, figures: false,
                child: flows[flowIndex].child, oldState: flows[flowIndex].childState, newState: .close)
        }
        listeners[index].queue.removeAll()
        listeners[index].requests = 0
    }

    // MARK: Plumbing

    private func count(_ kind: FindingKind) { expected[kind, default: 0] += 1 }

    private func newIdentity() -> UInt64 {
        identities += 0x900
        return identities
    }

    private func schedule(_ time: UInt64, _ action: Action) {
        order += 1
        let entry = (time: time, order: order, action: action)
        var low = 0
        var high = agenda.count
        while low < high {
            let middle = (low + high) / 2
            if agenda[middle].time < time || (agenda[middle].time == time && agenda[middle].order < order) {
                low = middle + 1
            } else {
                high = middle
            }
        }
        agenda.insert(entry, at: low)
    }

    private func emit(
        _ kind: EventKind, _ hook: Hook, _ key: FlowKey, listener index: Int, figures: Bool = true,
        request: UInt64 = 0, child: UInt64 = 0, result: Int64 = 0, detail: UInt32 = 0, tcpFlags: UInt16 = 0,
        listenerID: UInt64? = nil, oldState: TCPState? = nil, newState: TCPState? = nil
    ) {
        clock += 1_000
        let listener = listeners[index]
        var flags: EventFlags = [.ownerKnown]
        if figures { flags.insert(.queuesValid) }
        let queues = figures
            ? QueueFigures(
                acceptQueue: UInt32(listener.queue.count), acceptQueueLimit: listener.backlog,
                requestQueue: listener.requests)
            : QueueFigures()
        events.append(
            KernelEvent(
                // One step at a time, each finished before the next: one CPU.
                kind: kind, hook: hook, timestamp: clock, cpu: 0, flow: key,
                pid: 1000 + UInt32(index), comm: ProcessName("server\(index)"), tcpFlags: tcpFlags, flags: flags,
                oldState: oldState?.rawValue ?? 0, newState: newState?.rawValue ?? 0,
                listener: listenerID ?? listener.id, request: request, child: child, queues: queues, result: result,
                detail: detail))
    }
}
