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
        let seconds = Double(Int64(bitPattern: event.timestamp &- origin)) / 1e9
        var line = pad(formatSeconds(seconds), 11) + " " + pad(event.kind.name, 17) + " "
        if event.kind.describesListener {
            line += pad(event.flow.localEndpoint, 47) + " "
        } else if event.flow.family != .none {
            line += pad(event.flow.description, 47) + " "
        }
        if event.listener != 0 { line += "listener=" + hex(event.listener) + " " }
        if event.request != 0 { line += "request=" + hex(event.request) + " " }
        if event.child != 0 { line += "child=" + hex(event.child) + " " }
        if event.flags.contains(.ownerKnown) { line += "\(event.comm)[\(event.pid)] " }
        if let cgroup = ownerCgroup(event) { line += "cgroup=" + cgroup + " " }
        if event.flags.contains(.queuesValid) {
            let q = event.queues
            line += "acceptq=\(q.acceptQueue)/\(q.acceptQueueLimit) reqq=\(q.requestQueue) "
        }
        switch event.kind {
        case .drop: line += "reason=" + dropReasonName(event.detail) + " "
        case .synAckRetransmit: line += "retransmits=\(event.detail) "
        case .childState, .listenStop:
            line += "state=" + stateName(event.oldState) + "->" + stateName(event.newState) + " "
        case .checkRequestDone, .connRequestDone: line += "result=" + hex(UInt64(bitPattern: event.result)) + " "
        default: break
        }
        while line.hasSuffix(" ") { line.removeLast() }
        return line
    }

    public func jsonLine(_ event: KernelEvent) -> String {
        var json = JSONObjectWriter()
        json.add("type", "event")
        json.add("kind", event.kind.name)
        json.add("ts_ns", event.timestamp)
        json.add("cpu", UInt64(event.cpu))
        json.add("hook", event.hook.name)
        json.add("netns", UInt64(event.flow.netns))
        json.add("family", event.flow.family.name)
        json.add("local_addr", event.flow.localAddress.formatted(as: event.flow.family))
        json.add("local_port", UInt64(event.flow.localPort))
        json.add("remote_addr", event.flow.remoteAddress.formatted(as: event.flow.family))
        json.add("remote_port", UInt64(event.flow.remotePort))
        json.add("listener", hex(event.listener))
        json.add("request", hex(event.request))
        json.add("child", hex(event.child))
        json.add("pid", UInt64(event.pid))
        json.add("comm", event.comm.description)
        json.add("owner_known", event.flags.contains(.ownerKnown))
        if let cgroup = ownerCgroup(event) { json.add("cgroup", cgroup) }
        json.add("tid", UInt64(event.tid))
        if event.flags.contains(.queuesValid) {
            json.add("accept_queue", UInt64(event.queues.acceptQueue))
            json.add("accept_queue_limit", UInt64(event.queues.acceptQueueLimit))
            json.add("request_queue", UInt64(event.queues.requestQueue))
            json.add("request_young", UInt64(event.queues.requestYoung))
        }
        json.add("tcp_flags", UInt64(event.tcpFlags))
        json.add("old_state", stateName(event.oldState))
        json.add("new_state", stateName(event.newState))
        json.add("result", event.result)
        json.add("detail", UInt64(event.detail))
        if event.kind == .drop { json.add("drop_reason", dropReasonName(event.detail)) }
        return json.finish()
    }

    private func dropReasonName(_ value: UInt32) -> String {
        dropReasons[value] ?? "reason \(value)"
    }

    private func stateName(_ raw: UInt8) -> String {
        raw == 0 ? "" : TCPState(rawValue: raw)?.name ?? "state \(raw)"
    }

    private func hex(_ value: UInt64) -> String { value == 0 ? "0" : "0x" + String(value, radix: 16) }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    private func formatSeconds(_ seconds: Double) -> String {
        let micros = Int64((seconds * 1e6).rounded())
        let sign = micros < 0 ? "-" : ""
        let magnitude = micros.magnitude
        let fraction = String(magnitude % 1_000_000)
        return sign + String(magnitude / 1_000_000) + "." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }
}
