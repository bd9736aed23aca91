import SynShadowCore

// The event formatter and line buffer as they were before the output was
// rewritten for speed (commit 7a0e4e4), kept verbatim under other names: the
// oracle that `EventFormatEquivalenceTests` holds the fast formatter to, byte
// for byte. Do not "improve" this file; it is the specification by example.

/// Renders events for people (one aligned line) and for machines (one JSON
/// object per line, stable field names: see README "JSON output").
struct ReferenceEventFormatter: Sendable {
    /// Event timestamps are shown relative to this (CLOCK_MONOTONIC ns).
    var origin: UInt64
    /// skb_drop_reason names of the traced kernel.
    var dropReasons: [UInt32: String]
    /// A listener owner's cgroup path (container, service), for the lines
    /// that describe a listener; nil when unknown.
    var cgroupOfProcess: @Sendable (UInt32) -> String?

    init(
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

    func humanLine(_ event: KernelEvent) -> String {
        var line = ReferenceLineBuffer()
        appendHumanLine(event, to: &line)
        return line.text
    }

    func jsonLine(_ event: KernelEvent) -> String {
        var line = ReferenceLineBuffer()
        appendJSONLine(event, to: &line)
        return line.text
    }

    /// One aligned line, without the newline. Names that came from other
    /// processes are escaped: nothing reaches the terminal as a control code.
    func appendHumanLine(_ event: KernelEvent, to line: inout ReferenceLineBuffer) {
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
            event.comm.referenceBytes { line.appendDisplay($0) }
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
    func appendJSONLine(_ event: KernelEvent, to line: inout ReferenceLineBuffer) {
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
        event.comm.referenceBytes { line.appendJSONString($0) }
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

    private func appendField(_ name: StaticString, address: UInt64, to line: inout ReferenceLineBuffer) {
        line.append(name)
        line.appendAddress(address)
        line.append(0x20)
    }

    private func appendJSONAddress(_ prefix: StaticString, _ value: UInt64, to line: inout ReferenceLineBuffer) {
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

/// Output text built as bytes: numbers, addresses and names are written
/// digit by digit into one reused array, so printing an event costs no
/// allocation and no String interpolation (`trace --json` on a busy server
/// prints hundreds of thousands of lines a second).
struct ReferenceLineBuffer: Sendable {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 512) {
        bytes.reserveCapacity(capacity)
    }

    var count: Int { bytes.count }
    var isEmpty: Bool { bytes.isEmpty }

    mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    /// The bytes as text (a String only where a caller needs one).
    var text: String { String(decoding: bytes, as: UTF8.self) }

    @inline(__always)
    mutating func append(_ byte: UInt8) { bytes.append(byte) }

    mutating func append(_ literal: StaticString) {
        literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Trusted text (names the program itself chose).
    mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    mutating func appendDecimal(_ value: UInt64) {
        if value < 10 {
            bytes.append(0x30 &+ UInt8(value))
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 20 digits at most, written backwards
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { raw in
            while rest > 0 {
                raw[23 - count] = 0x30 &+ UInt8(rest % 10)
                rest /= 10
                count += 1
            }
        }
        withUnsafeBytes(of: &digits) { raw in
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[(24 - count)..<24]))
        }
    }

    mutating func appendDecimal(_ value: Int64) {
        if value < 0 { bytes.append(0x2d) }
        appendDecimal(value.magnitude)
    }

    /// Lower-case hexadecimal without a prefix.
    mutating func appendHex(_ value: UInt64) {
        if value == 0 {
            bytes.append(0x30)
            return
        }
        let nibbles = (64 - value.leadingZeroBitCount + 3) / 4
        for index in stride(from: nibbles - 1, through: 0, by: -1) {
            let nibble = UInt8(truncatingIfNeeded: value >> (UInt64(index) * 4)) & 0xf
            bytes.append(nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble)
        }
    }

    /// "0" for zero (an unknown kernel address), else "0x...".
    mutating func appendAddress(_ value: UInt64) {
        if value != 0 { append("0x") }
        appendHex(value)
    }

    /// A right-padded column.
    mutating func pad(from start: Int, to width: Int) {
        let used = bytes.count - start
        if used < width { bytes.append(contentsOf: repeatElement(0x20, count: width - used)) }
    }

    /// Seconds with six decimals, from signed nanoseconds.
    mutating func appendSeconds(nanoseconds: Int64) {
        let micros = (nanoseconds + (nanoseconds >= 0 ? 500 : -500)) / 1000
        if micros < 0 { bytes.append(0x2d) }
        let magnitude = micros.magnitude
        appendDecimal(magnitude / 1_000_000)
        bytes.append(0x2e)
        let fraction = magnitude % 1_000_000
        var divisor: UInt64 = 100_000
        while divisor > 0 {
            bytes.append(0x30 &+ UInt8((fraction / divisor) % 10))
            divisor /= 10
        }
    }

    /// An IP address in its family's text form (RFC 5952 for IPv6).
    mutating func appendIP(_ address: IPAddress, family: AddressFamily) {
        switch family {
        case .ipv4:
            for index in 0..<4 {
                if index > 0 { bytes.append(0x2e) }
                appendDecimal(UInt64(UInt8(truncatingIfNeeded: address.high >> (8 * UInt64(index)))))
            }
        case .ipv6:
            appendIPv6(address)
        case .none:
            bytes.append(0x2d)
        }
    }

    /// "addr:port", or "[addr]:port" for IPv6.
    mutating func appendEndpoint(_ address: IPAddress, _ port: UInt16, family: AddressFamily) {
        if family == .ipv6 { bytes.append(0x5b) }
        appendIP(address, family: family)
        if family == .ipv6 { bytes.append(0x5d) }
        bytes.append(0x3a)
        appendDecimal(UInt64(port))
    }

    private mutating func appendIPv6(_ address: IPAddress) {
        var groups: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16) = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &groups) { raw in
            let words = raw.bindMemory(to: UInt16.self)
            for index in 0..<8 {
                let word = index < 4 ? address.high : address.low
                let shift = UInt64(index % 4) * 16
                // Network order in memory: the first byte is the high half.
                let pair = UInt16(truncatingIfNeeded: word >> shift)
                words[index] = pair.byteSwapped
            }
        }
        withUnsafeBytes(of: &groups) { raw in
            let words = raw.bindMemory(to: UInt16.self)
            // The longest run of two or more zero groups becomes "::".
            var bestStart = -1
            var bestLength = 0
            var index = 0
            while index < 8 {
                guard words[index] == 0 else {
                    index += 1
                    continue
                }
                var end = index
                while end < 8, words[end] == 0 { end += 1 }
                if end - index > bestLength, end - index >= 2 {
                    bestStart = index
                    bestLength = end - index
                }
                index = end
            }
            index = 0
            while index < 8 {
                if index == bestStart {
                    append("::")
                    index += bestLength
                    continue
                }
                if index > 0 && index != bestStart + bestLength { bytes.append(0x3a) }
                appendHex(UInt64(words[index]))
                index += 1
            }
        }
    }

    /// A JSON string literal; any text, escaped as RFC 8259 requires.
    mutating func appendJSONString<Bytes: Sequence<UInt8>>(_ text: Bytes) {
        bytes.append(0x22)
        for byte in text {
            switch byte {
            case 0x22: append("\\\"")
            case 0x5c: append("\\\\")
            case 0x0a: append("\\n")
            case 0x0d: append("\\r")
            case 0x09: append("\\t")
            case 0..<0x20, 0x7f:
                append("\\u00")
                bytes.append(ReferenceLineBuffer.hexDigit(byte >> 4))
                bytes.append(ReferenceLineBuffer.hexDigit(byte & 0xf))
            default: bytes.append(byte)
            }
        }
        bytes.append(0x22)
    }

    mutating func appendJSONString(_ text: String) { appendJSONString(text.utf8) }

    /// Untrusted text for a terminal (process names, host names): control
    /// characters, DEL and bytes that are not valid UTF-8 become `\xNN`, so
    /// no escape sequence reaches the terminal.
    mutating func appendDisplay<Bytes: Sequence<UInt8>>(_ text: Bytes) {
        var pending: [UInt8] = []
        func flushValid(_ buffer: inout ReferenceLineBuffer) {
            guard !pending.isEmpty else { return }
            // Keep valid UTF-8 as is; escape what does not decode.
            var iterator = pending.makeIterator()
            var decoder = UTF8()
            decoding: while true {
                switch decoder.decode(&iterator) {
                case .scalarValue(let scalar):
                    if scalar.value < 0x20 || scalar.value == 0x7f || (0x80..<0xa0).contains(scalar.value) {
                        buffer.appendEscaped(scalar.value)
                    } else {
                        buffer.bytes.append(contentsOf: String(scalar).utf8)
                    }
                case .emptyInput:
                    break decoding
                case .error:
                    buffer.append("\\x??")
                }
            }
            pending.removeAll()
        }
        for byte in text {
            if byte < 0x80 {
                flushValid(&self)
                if byte < 0x20 || byte == 0x7f { appendEscaped(UInt32(byte)) } else { bytes.append(byte) }
            } else {
                pending.append(byte)
            }
        }
        flushValid(&self)
    }

    private mutating func appendEscaped(_ value: UInt32) {
        if value > 0xff {
            append("\\u")
            appendHex(UInt64(value))
            return
        }
        append("\\x")
        bytes.append(ReferenceLineBuffer.hexDigit(UInt8(value >> 4)))
        bytes.append(ReferenceLineBuffer.hexDigit(UInt8(value & 0xf)))
    }

    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 &+ nibble : 0x61 &+ nibble &- 10 }
}


extension ReferenceLineBuffer {
    mutating func trimTrailingSpaces() {
        while bytes.last == 0x20 { bytes.removeLast() }
    }
}

extension ProcessName {
    /// The name's bytes up to its NUL, as the old formatter read them.
    fileprivate func referenceBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        var words = (first, second)
        return withUnsafeBytes(of: &words) { raw in
            let length = raw.firstIndex(of: 0) ?? 16
            return body(UnsafeRawBufferPointer(rebasing: raw[0..<length]))
        }
    }
}
