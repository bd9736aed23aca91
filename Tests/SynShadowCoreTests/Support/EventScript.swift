import SynShadowCore

/// Builds a hand-written event stream for one listener, keeping the queue
/// figures the kernel would report at each probe point, so unit tests read
/// like the kernel sequence they describe.
struct EventScript {
    let tier: Tier
    var time: UInt64 = 1_000 * Fixtures.second
    var listenerID: UInt64 = 0xFFFF_8880_1000_0000
    var listenerKey = Fixtures.listenerKey()
    var backlog: UInt32 = 4
    var requests: UInt32 = 0
    var children: UInt32 = 0
    private(set) var events: [KernelEvent] = []
    private var nextIdentity: UInt64 = 0xFFFF_8880_2000_0000

    init(tier: Tier) { self.tier = tier }

    var isFunctionTier: Bool { tier != .tracepoint }

    mutating func wait(_ nanoseconds: UInt64) { time += nanoseconds }

    mutating func newIdentity() -> UInt64 {
        nextIdentity += 0x800
        return nextIdentity
    }

    var queues: QueueFigures {
        QueueFigures(acceptQueue: children, acceptQueueLimit: backlog, requestQueue: requests)
    }

    @discardableResult
    mutating func emit(
        _ kind: EventKind, _ hook: Hook, flow: FlowKey, listener: UInt64? = nil, figures: Bool = true,
        request: UInt64 = 0, child: UInt64 = 0, result: Int64 = 0, detail: UInt32 = 0, tcpFlags: UInt16 = 0,
        oldState: TCPState? = nil, newState: TCPState? = nil, flags extra: EventFlags = [], cpu: UInt32 = 0
    ) -> KernelEvent {
        time += 1_000
        var flags: EventFlags = extra.union(.ownerKnown)
        if figures { flags.insert(.queuesValid) }
        let event = KernelEvent(
            kind: kind, hook: hook, timestamp: time, cpu: cpu, flow: flow, pid: 4242, comm: ProcessName("server"),
            tcpFlags: tcpFlags, flags: flags, oldState: oldState?.rawValue ?? 0, newState: newState?.rawValue ?? 0,
            listener: listener ?? listenerID, request: request, child: child,
            queues: figures ? queues : QueueFigures(), result: result, detail: detail)
        events.append(event)
        return event
    }

    mutating func listen() {
        emit(.listenStart, .sockOpsListen, flow: listenerKey, newState: .listen)
    }

    mutating func close() {
        emit(.listenStop, .inetSockSetState, flow: listenerKey, oldState: .listen, newState: .close)
    }

    /// SYN reaching conn_request (figures before the queue checks).
    mutating func syn(_ flow: FlowKey) {
        emit(.syn, isFunctionTier ? .connRequestEntry : .cgroupSkbIngress, flow: flow, tcpFlags: 0x02)
    }

    /// The SYN's request built and hashed; returns the request id.
    @discardableResult
    mutating func queueRequest(_ flow: FlowKey) -> UInt64 {
        let request = isFunctionTier ? newIdentity() : 0
        emit(.requestCreated, .sockOpsRwndInit, flow: flow)
        emit(.requestQueued, isFunctionTier ? .requestHashAdd : .sockOpsTimeoutInit, flow: flow, request: request)
        requests += 1
        connRequestDone(flow)
        return request
    }

    mutating func connRequestDone(_ flow: FlowKey) {
        if isFunctionTier { emit(.connRequestDone, .connRequestExit, flow: flow) }
    }

    /// A SYN answered with a syncookie: the request is allocated without a
    /// listener, so no sock_ops callback runs for it (no RWND_INIT, no
    /// hashing). Tracepoint tier: nothing at all; function tiers: conn_request
    /// returning.
    mutating func cookie(_ flow: FlowKey) {
        connRequestDone(flow)
    }

    /// A cookie as kernels that ran RWND_INIT for the cookie request showed it.
    mutating func cookieWithRequestBuilt(_ flow: FlowKey) {
        emit(.requestCreated, .sockOpsRwndInit, flow: flow)
        connRequestDone(flow)
    }

    /// The handshake ACK (figures before tcp_check_req).
    mutating func ack(_ flow: FlowKey, request: UInt64 = 0) {
        emit(.ack, isFunctionTier ? .checkRequestEntry : .cgroupSkbIngress, flow: flow, request: request, tcpFlags: 0x10)
    }

    mutating func rst(_ flow: FlowKey, request: UInt64 = 0) {
        emit(.rst, isFunctionTier ? .checkRequestEntry : .cgroupSkbIngress, flow: flow, request: request, tcpFlags: 0x04)
    }

    /// The child created and queued; returns the child id.
    @discardableResult
    mutating func child(_ flow: FlowKey, request: UInt64 = 0, fromRequest: Bool = true) -> UInt64 {
        let child = newIdentity()
        if fromRequest { requests -= 1 }
        children += 1
        if isFunctionTier && fromRequest {
            emit(.checkRequestDone, .checkRequestExit, flow: flow, request: request, child: child, result: Int64(bitPattern: child))
        }
        emit(.childCreated, .sockOpsPassiveEstablished, flow: flow, child: child, newState: .established)
        return child
    }

    /// tcp_check_req returned NULL (function tiers only).
    mutating func checkRequestNull(_ flow: FlowKey, request: UInt64) {
        if isFunctionTier { emit(.checkRequestDone, .checkRequestExit, flow: flow, request: request) }
    }

    mutating func accept(_ flow: FlowKey, child: UInt64) {
        children -= 1
        emit(.accept, isFunctionTier ? .acceptExit : .sysExitAccept, flow: flow, child: child)
    }

    mutating func retransmit(_ flow: FlowKey, request: UInt64 = 0, count: UInt32) {
        emit(.synAckRetransmit, .retransmitSynAck, flow: flow, request: request, detail: count)
    }

    mutating func childState(_ flow: FlowKey, child: UInt64, from old: TCPState, to new: TCPState) {
        emit(.childState, .inetSockSetState, flow: flow, figures: false, child: child, oldState: old, newState: new)
    }

    /// A child's CLOSE as the kernel reports it: tcp_set_state() has already
    /// zeroed the child's local port (inet_put_port).
    mutating func childClosed(_ flow: FlowKey, child: UInt64, from old: TCPState) {
        var key = flow
        key.localPort = 0
        emit(.childState, .inetSockSetState, flow: key, figures: false, child: child, oldState: old, newState: .close)
    }

    /// accept() of a child that reached CLOSE while queued: local port 0 and
    /// no listener (the probe dropped the child on CLOSE), no figures.
    mutating func acceptClosedChild(_ flow: FlowKey, child: UInt64) {
        var key = flow
        key.localPort = 0
        children -= 1
        emit(.accept, isFunctionTier ? .acceptExit : .sysExitAccept, flow: key, listener: 0, figures: false, child: child)
    }

    /// One clean connection, start to accept.
    mutating func connection(_ flow: FlowKey) {
        syn(flow)
        let request = queueRequest(flow)
        wait(100_000)
        ack(flow, request: request)
        let child = child(flow, request: request)
        wait(200_000)
        accept(flow, child: child)
    }

    /// Handshakes from these client ports that complete and stay queued
    /// (nobody accepts): how a test fills an accept queue.
    mutating func queueChildren(ports: Range<UInt16>) {
        for port in ports {
            let other = Fixtures.flow(clientPort: port)
            syn(other)
            let request = queueRequest(other)
            ack(other, request: request)
            child(other, request: request)
        }
    }
}
