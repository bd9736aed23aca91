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

    /// Room for a line's fixed fields: everything but the names reserved
    /// for one by one (the longest line, all fields at their widest, is
    /// under 1 KiB).
    private static let fixedRoom = 2048

    /// One aligned line, without the newline. Names that came from other
    /// processes are escaped: nothing reaches the terminal as a control code.
    public func appendHumanLine(_ event: KernelEvent, to line: inout LineBuffer) {
        let cgroup = ownerCgroup(event)
        let reason = event.kind == .drop ? dropReasonName(event.detail) : nil
        let room = Self.fixedRoom + ByteWriter.escapedBound(cgroup?.utf8.count ?? 0) + (reason?.utf8.count ?? 0)
        line.write(reserving: room) { out in
            writeHumanLine(event, cgroup: cgroup, reason: reason, to: &out)
        }
    }

    private func writeHumanLine(_ event: KernelEvent, cgroup: String?, reason: String?, to out: inout ByteWriter) {
        let start = out.position
        out.writeSeconds(nanoseconds: Int64(bitPattern: event.timestamp &- origin))
        out.pad(from: start, to: 11)
        out.write(0x20)
        var column = out.position
        _ = NameTable.kinds.write(Int(event.kind.rawValue), to: &out)
        out.pad(from: column, to: 17)
        out.write(0x20)
        let flow = event.flow
        if event.kind.describesListener || flow.family != .none {
            column = out.position
            if !event.kind.describesListener {
                out.writeEndpoint(flow.remoteAddress, flow.remotePort, family: flow.family)
                out.write(" -> ")
            }
            out.writeEndpoint(flow.localAddress, flow.localPort, family: flow.family)
            out.pad(from: column, to: 47)
            out.write(0x20)
        }
        if event.listener != 0 { writeField("listener=", address: event.listener, to: &out) }
        if event.request != 0 { writeField("request=", address: event.request, to: &out) }
        if event.child != 0 { writeField("child=", address: event.child, to: &out) }
        if event.flags.contains(.ownerKnown) {
            event.comm.withBytes { out.writeDisplay($0) }
            out.write(0x5b)
            out.writeDecimal(UInt64(event.pid))
            out.write("] ")
        }
        if let cgroup {
            out.write("cgroup=")
            out.writeDisplay(cgroup)
            out.write(0x20)
        }
        if event.flags.contains(.queuesValid) {
            let q = event.queues
            out.write("acceptq=")
            out.writeDecimal(UInt64(q.acceptQueue))
            out.write(0x2f)
            out.writeDecimal(UInt64(q.acceptQueueLimit))
            out.write(" reqq=")
            out.writeDecimal(UInt64(q.requestQueue))
            out.write(0x20)
            if q.acceptsInFlight > 0 {
                // Threads inside accept(): the model's accept-queue check allows for them.
                out.write("inaccept=")
                out.writeDecimal(UInt64(q.acceptsInFlight))
                out.write(0x20)
            }
        }
        switch event.kind {
        case .drop:
            out.write("reason=")
            out.write(reason ?? "")
            out.write(0x20)
        case .synAckRetransmit:
            out.write("retransmits=")
            out.writeDecimal(UInt64(event.detail))
            out.write(0x20)
        case .childState, .listenStop:
            out.write("state=")
            writeStateName(event.oldState, to: &out)
            out.write("->")
            writeStateName(event.newState, to: &out)
            out.write(0x20)
        case .checkRequestDone, .connRequestDone:
            writeField("result=", address: UInt64(bitPattern: event.result), to: &out)
        default: break
        }
        out.trimTrailingSpaces(from: start)
    }

    /// One JSON object, without the newline; the field names and order are
    /// stable (README "JSON output").
    public func appendJSONLine(_ event: KernelEvent, to line: inout LineBuffer) {
        let cgroup = ownerCgroup(event)
        let reason = event.kind == .drop ? dropReasonName(event.detail) : nil
        let room = Self.fixedRoom + ByteWriter.escapedBound(cgroup?.utf8.count ?? 0)
            + ByteWriter.escapedBound(reason?.utf8.count ?? 0)
        line.write(reserving: room) { out in
            writeJSONLine(event, cgroup: cgroup, reason: reason, to: &out)
        }
    }

    private func writeJSONLine(_ event: KernelEvent, cgroup: String?, reason: String?, to out: inout ByteWriter) {
        let flow = event.flow
        out.write("{\"type\":\"event\",\"kind\":\"")
        _ = NameTable.kinds.write(Int(event.kind.rawValue), to: &out)
        out.write("\",\"ts_ns\":")
        out.writeDecimal(event.timestamp)
        out.write(",\"cpu\":")
        out.writeDecimal(UInt64(event.cpu))
        out.write(",\"hook\":")
        _ = NameTable.hooksAsJSON.write(Int(event.hook.rawValue), to: &out)
        out.write(",\"netns\":")
        out.writeDecimal(UInt64(flow.netns))
        out.write(",\"family\":\"")
        _ = NameTable.families.write(Int(flow.family.rawValue), to: &out)
        out.write("\",\"local_addr\":\"")
        out.writeIP(flow.localAddress, family: flow.family)
        out.write("\",\"local_port\":")
        out.writeDecimal(UInt64(flow.localPort))
        out.write(",\"remote_addr\":\"")
        out.writeIP(flow.remoteAddress, family: flow.family)
        out.write("\",\"remote_port\":")
        out.writeDecimal(UInt64(flow.remotePort))
        writeJSONAddress(",\"listener\":\"", event.listener, to: &out)
        writeJSONAddress(",\"request\":\"", event.request, to: &out)
        writeJSONAddress(",\"child\":\"", event.child, to: &out)
        out.write(",\"pid\":")
        out.writeDecimal(UInt64(event.pid))
        out.write(",\"comm\":")
        event.comm.withBytes { out.writeJSONString($0) }
        if event.flags.contains(.ownerKnown) { out.write(",\"owner_known\":true") } else { out.write(",\"owner_known\":false") }
        if let cgroup {
            out.write(",\"cgroup\":")
            out.writeJSONString(cgroup)
        }
        out.write(",\"tid\":")
        out.writeDecimal(UInt64(event.tid))
        if event.flags.contains(.queuesValid) {
            let q = event.queues
            out.write(",\"accept_queue\":")
            out.writeDecimal(UInt64(q.acceptQueue))
            out.write(",\"accept_queue_limit\":")
            out.writeDecimal(UInt64(q.acceptQueueLimit))
            out.write(",\"request_queue\":")
            out.writeDecimal(UInt64(q.requestQueue))
            out.write(",\"request_young\":")
            out.writeDecimal(UInt64(q.requestYoung))
            out.write(",\"accepts_in_flight\":")
            out.writeDecimal(UInt64(q.acceptsInFlight))
        }
        out.write(",\"tcp_flags\":")
        out.writeDecimal(UInt64(event.tcpFlags))
        out.write(",\"old_state\":\"")
        writeStateName(event.oldState, to: &out)
        out.write("\",\"new_state\":\"")
        writeStateName(event.newState, to: &out)
        out.write("\",\"result\":")
        out.writeDecimal(event.result)
        out.write(",\"detail\":")
        out.writeDecimal(UInt64(event.detail))
        if let reason {
            out.write(",\"drop_reason\":")
            out.writeJSONString(reason)
        }
        out.write(0x7d)
    }

    private func writeField(_ name: StaticString, address: UInt64, to out: inout ByteWriter) {
        out.write(name)
        out.writeAddress(address)
        out.write(0x20)
    }

    private func writeJSONAddress(_ prefix: StaticString, _ value: UInt64, to out: inout ByteWriter) {
        out.write(prefix)
        out.writeAddress(value)
        out.write(0x22)
    }

    /// "" for 0 (no state), the kernel's name, or "state N" for one this build does not know.
    private func writeStateName(_ raw: UInt8, to out: inout ByteWriter) {
        guard raw != 0, !NameTable.states.write(Int(raw), to: &out) else { return }
        out.write("state ")
        out.writeDecimal(UInt64(raw))
    }

    private func dropReasonName(_ value: UInt32) -> String {
        dropReasons[value] ?? "reason \(value)"
    }
}
