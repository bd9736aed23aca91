/// Renders events for people (one aligned line) and for machines (one JSON
/// object per line, stable field names: see README "JSON output").
public struct EventFormatter: Sendable {
    /// Event timestamps are shown relative to this (CLOCK_MONOTONIC ns).
    public var origin: UInt64
    /// skb_drop_reason names of the traced kernel.
    public var dropReasons: [UInt32: String]
    /// A listener owner's cgroup path (container, service), for the lines
    /// that describe a listener; nil when unknown.
    public var cgroupOfProcess: @Sendable (UInt32) -> String?

    public init(
        origin: UInt64, dropReasons: [UInt32: String] = [:],
        cgroupOfProcess: @escaping @Sendable (UInt32) -> String? = { _ in nil }
    ) {
        self.origin = origin
        self.dropReasons = dropReasons
        self.cgroupOfProcess = cgroupOfProcess
    }

    private func ownerCgroup(_ event: KernelEvent) -> String? {
        guard event.kind.describesListener, event.flags.contains(.ownerKnown), event.pid != 0 else { return nil }
        return cgroupOfProcess(event.pid)
    }

    public func humanLine(_ event: KernelEvent) -> String {
        var line = LineBuffer()
        appendHumanLine(event, to: &line)
        return line.text
    }

    public func jsonLine(_ event: KernelEvent) -> String {
        var line = LineBuffer()
        appendJSONLine(event, to: &line)
        return line.text
    }

    /// One aligned line, without the newline. Names that came from other
    /// processes are escaped: nothing reaches the terminal as a control code.
    public func appendHumanLine(_ event: KernelEvent, to line: inout LineBuffer) {
        var column = line.count
        line.appendSeconds(nanoseconds: Int64(bitPattern: event.timestamp &- origin))
        line.pad(from: column, to: 11)
        line.append(0x20)
        column = line.count
        line.append(event.kind.name)
        line.pad(from: column, to: 17)
        line.append(0x20)
        let flow = event.flow
        if event.kind.describesListener || flow.family != .none {
            column = line.count
            if !event.kind.describesListener {
                line.appendEndpoint(flow.remoteAddress, flow.remotePort, family: flow.family)
                line.append(" -> ")
            }
            line.appendEndpoint(flow.localAddress, flow.localPort, family: flow.family)
            line.pad(from: column, to: 47)
            line.append(0x20)
        }
        if event.listener != 0 { appendField("listener=", address: event.listener, to: &line) }
        if event.request != 0 { appendField("request=", address: event.request, to: &line) }
        if event.child != 0 { appendField("child=", address: event.child, to: &line) }
        if event.flags.contains(.ownerKnown) {
            event.comm.withBytes { line.appendDisplay($0) }
            line.append(0x5b)
            line.appendDecimal(UInt64(event.pid))
            line.append("] ")
        }
        if let cgroup = ownerCgroup(event) {
            line.append("cgroup=")
            line.appendDisplay(cgroup.utf8)
            line.append(0x20)
        }
        if event.flags.contains(.queuesValid) {
            let q = event.queues
            line.append("acceptq=")
            line.appendDecimal(UInt64(q.acceptQueue))
            line.append(0x2f)
            line.appendDecimal(UInt64(q.acceptQueueLimit))
            line.append(" reqq=")
            line.appendDecimal(UInt64(q.requestQueue))
            line.append(0x20)
            if q.acceptsInFlight > 0 {
                // Threads inside accept(): the model's accept-queue check allows for them.
                line.append("inaccept=")
                line.appendDecimal(UInt64(q.acceptsInFlight))
                line.append(0x20)
            }
        }
        switch event.kind {
        case .drop:
            line.append("reason=")
            line.append(dropReasonName(event.detail))
            line.append(0x20)
        case .synAckRetransmit:
            line.append("retransmits=")
            line.appendDecimal(UInt64(event.detail))
            line.append(0x20)
        case .childState, .listenStop:
            line.append("state=")
            line.append(stateName(event.oldState))
            line.append("->")
            line.append(stateName(event.newState))
            line.append(0x20)
        case .checkRequestDone, .connRequestDone:
            appendField("result=", address: UInt64(bitPattern: event.result), to: &line)
        default: break
        }
        line.trimTrailingSpaces()
    }

    /// One JSON object, without the newline; the field names and order are
    /// stable (README "JSON output").
    public func appendJSONLine(_ event: KernelEvent, to line: inout LineBuffer) {
        let flow = event.flow
        line.append("{\"type\":\"event\",\"kind\":\"")
        line.append(event.kind.name)
        line.append("\",\"ts_ns\":")
        line.appendDecimal(event.timestamp)
        line.append(",\"cpu\":")
        line.appendDecimal(UInt64(event.cpu))
        line.append(",\"hook\":")
        line.appendJSONString(event.hook.name)
        line.append(",\"netns\":")
        line.appendDecimal(UInt64(flow.netns))
        line.append(",\"family\":\"")
        line.append(flow.family.name)
        line.append("\",\"local_addr\":\"")
        line.appendIP(flow.localAddress, family: flow.family)
        line.append("\",\"local_port\":")
        line.appendDecimal(UInt64(flow.localPort))
        line.append(",\"remote_addr\":\"")
        line.appendIP(flow.remoteAddress, family: flow.family)
        line.append("\",\"remote_port\":")
        line.appendDecimal(UInt64(flow.remotePort))
        appendJSONAddress(",\"listener\":\"", event.listener, to: &line)
        appendJSONAddress(",\"request\":\"", event.request, to: &line)
        appendJSONAddress(",\"child\":\"", event.child, to: &line)
        line.append(",\"pid\":")
        line.appendDecimal(UInt64(event.pid))
        line.append(",\"comm\":")
        event.comm.withBytes { line.appendJSONString($0) }
        line.append(event.flags.contains(.ownerKnown) ? ",\"owner_known\":true" : ",\"owner_known\":false")
        if let cgroup = ownerCgroup(event) {
            line.append(",\"cgroup\":")
            line.appendJSONString(cgroup)
        }
        line.append(",\"tid\":")
        line.appendDecimal(UInt64(event.tid))
        if event.flags.contains(.queuesValid) {
            line.append(",\"accept_queue\":")
            line.appendDecimal(UInt64(event.queues.acceptQueue))
            line.append(",\"accept_queue_limit\":")
            line.appendDecimal(UInt64(event.queues.acceptQueueLimit))
            line.append(",\"request_queue\":")
            line.appendDecimal(UInt64(event.queues.requestQueue))
            line.append(",\"request_young\":")
            line.appendDecimal(UInt64(event.queues.requestYoung))
            line.append(",\"accepts_in_flight\":")
            line.appendDecimal(UInt64(event.queues.acceptsInFlight))
        }
        line.append(",\"tcp_flags\":")
        line.appendDecimal(UInt64(event.tcpFlags))
        line.append(",\"old_state\":\"")
        line.append(stateName(event.oldState))
        line.append("\",\"new_state\":\"")
        line.append(stateName(event.newState))
        line.append("\",\"result\":")
        line.appendDecimal(event.result)
        line.append(",\"detail\":")
        line.appendDecimal(UInt64(event.detail))
        if event.kind == .drop {
            line.append(",\"drop_reason\":")
            line.appendJSONString(dropReasonName(event.detail))
        }
        line.append(0x7d)
    }

    private func appendField(_ name: StaticString, address: UInt64, to line: inout LineBuffer) {
        line.append(name)
        line.appendAddress(address)
        line.append(0x20)
    }

    private func appendJSONAddress(_ prefix: StaticString, _ value: UInt64, to line: inout LineBuffer) {
        line.append(prefix)
        line.appendAddress(value)
        line.append(0x22)
    }

    private func dropReasonName(_ value: UInt32) -> String {
        dropReasons[value] ?? "reason \(value)"
    }

    private func stateName(_ raw: UInt8) -> String {
        raw == 0 ? "" : TCPState(rawValue: raw)?.name ?? "state \(raw)"
    }
}
