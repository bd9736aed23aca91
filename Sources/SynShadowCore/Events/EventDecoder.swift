import SynShadowABI

/// Why a record could not be decoded. Never a crash: a record from a newer
/// kernel side, or a damaged file, is reported and skipped by the caller.
public enum EventDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    case truncated(available: Int, needed: Int)
    case unsupportedVersion(UInt8)
    case sizeMismatch(declared: Int, expected: Int)
    case unknownKind(UInt8)
    case unknownHook(UInt8)

    public var description: String {
        switch self {
        case .truncated(let available, let needed):
            "truncated record: \(available) bytes, a record needs \(needed)"
        case .unsupportedVersion(let version):
            "record ABI version \(version) is not supported (this build reads version \(EventCodec.abiVersion))"
        case .sizeMismatch(let declared, let expected):
            "record declares \(declared) bytes, ABI version \(EventCodec.abiVersion) records are \(expected)"
        case .unknownKind(let kind):
            "unknown event kind \(kind)"
        case .unknownHook(let hook):
            "unknown hook \(hook)"
        }
    }
}

/// Converts between `struct synshadow_event` bytes and `KernelEvent`. Field
/// offsets come from the C header itself, so the two sides cannot drift.
public enum EventCodec {
    public static let recordSize = Int(SYNSHADOW_EVENT_SIZE)
    public static let abiVersion = UInt8(SYNSHADOW_ABI_VERSION)
    /// The oldest record version still read: version 1 had no
    /// `accepts_in_flight` (the bytes were reserved and zero).
    public static let oldestReadableVersion: UInt8 = 1

    private typealias Raw = synshadow_event
    private static let offsets = (
        version: MemoryLayout<Raw>.offset(of: \Raw.version)!,
        kind: MemoryLayout<Raw>.offset(of: \Raw.kind)!,
        size: MemoryLayout<Raw>.offset(of: \Raw.size)!,
        hook: MemoryLayout<Raw>.offset(of: \Raw.hook)!,
        family: MemoryLayout<Raw>.offset(of: \Raw.family)!,
        oldState: MemoryLayout<Raw>.offset(of: \Raw.old_state)!,
        newState: MemoryLayout<Raw>.offset(of: \Raw.new_state)!,
        timestamp: MemoryLayout<Raw>.offset(of: \Raw.timestamp_ns)!,
        cpu: MemoryLayout<Raw>.offset(of: \Raw.cpu)!,
        netns: MemoryLayout<Raw>.offset(of: \Raw.netns)!,
        pid: MemoryLayout<Raw>.offset(of: \Raw.pid)!,
        tid: MemoryLayout<Raw>.offset(of: \Raw.tid)!,
        comm: MemoryLayout<Raw>.offset(of: \Raw.comm)!,
        localPort: MemoryLayout<Raw>.offset(of: \Raw.local_port)!,
        remotePort: MemoryLayout<Raw>.offset(of: \Raw.remote_port)!,
        tcpFlags: MemoryLayout<Raw>.offset(of: \Raw.tcp_flags)!,
        flags: MemoryLayout<Raw>.offset(of: \Raw.flags)!,
        localAddress: MemoryLayout<Raw>.offset(of: \Raw.local_addr)!,
        remoteAddress: MemoryLayout<Raw>.offset(of: \Raw.remote_addr)!,
        listener: MemoryLayout<Raw>.offset(of: \Raw.listener)!,
        request: MemoryLayout<Raw>.offset(of: \Raw.request)!,
        child: MemoryLayout<Raw>.offset(of: \Raw.child)!,
        ackBacklog: MemoryLayout<Raw>.offset(of: \Raw.ack_backlog)!,
        maxAckBacklog: MemoryLayout<Raw>.offset(of: \Raw.max_ack_backlog)!,
        requestQueue: MemoryLayout<Raw>.offset(of: \Raw.request_queue)!,
        requestYoung: MemoryLayout<Raw>.offset(of: \Raw.request_young)!,
        result: MemoryLayout<Raw>.offset(of: \Raw.result)!,
        detail: MemoryLayout<Raw>.offset(of: \Raw.detail)!,
        acceptsInFlight: MemoryLayout<Raw>.offset(of: \Raw.accepts_in_flight)!
    )

    /// Decodes one record; `raw` may be longer than a record (a file buffer).
    public static func decode(_ raw: UnsafeRawBufferPointer) throws(EventDecodingError) -> KernelEvent {
        let o = offsets
        guard raw.count >= o.size + 2 else { throw .truncated(available: raw.count, needed: recordSize) }
        let version = raw[o.version]
        guard version >= oldestReadableVersion && version <= abiVersion else { throw .unsupportedVersion(version) }
        let declared = Int(raw.loadUnaligned(fromByteOffset: o.size, as: UInt16.self))
        guard declared == recordSize else { throw .sizeMismatch(declared: declared, expected: recordSize) }
        guard raw.count >= recordSize else { throw .truncated(available: raw.count, needed: recordSize) }
        guard let kind = EventKind(rawValue: raw[o.kind]) else { throw .unknownKind(raw[o.kind]) }
        guard let hook = Hook(rawValue: raw[o.hook]) else { throw .unknownHook(raw[o.hook]) }

        func u16(_ offset: Int) -> UInt16 { raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self) }
        func u32(_ offset: Int) -> UInt32 { raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self) }
        func u64(_ offset: Int) -> UInt64 { raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self) }
        func address(_ offset: Int) -> IPAddress { IPAddress(high: u64(offset), low: u64(offset + 8)) }

        let flow = FlowKey(
            netns: u32(o.netns),
            family: AddressFamily(rawValue: raw[o.family]) ?? .none,
            localAddress: address(o.localAddress),
            localPort: u16(o.localPort),
            remoteAddress: address(o.remoteAddress),
            remotePort: u16(o.remotePort)
        )
        return KernelEvent(
            kind: kind, hook: hook, timestamp: u64(o.timestamp), cpu: u32(o.cpu), flow: flow,
            pid: u32(o.pid), tid: u32(o.tid),
            comm: ProcessName(first: u64(o.comm), second: u64(o.comm + 8)),
            tcpFlags: u16(o.tcpFlags), flags: EventFlags(rawValue: u16(o.flags)),
            oldState: raw[o.oldState], newState: raw[o.newState],
            listener: u64(o.listener), request: u64(o.request), child: u64(o.child),
            queues: QueueFigures(
                acceptQueue: u32(o.ackBacklog), acceptQueueLimit: u32(o.maxAckBacklog),
                requestQueue: u32(o.requestQueue), requestYoung: u32(o.requestYoung),
                acceptsInFlight: version >= 2 ? u32(o.acceptsInFlight) : 0
            ),
            result: Int64(bitPattern: u64(o.result)), detail: u32(o.detail)
        )
    }

    /// Encodes a record exactly as the kernel side writes it (for recorded
    /// traces built by tests and tools, and for round-trip checks).
    public static func encode(_ event: KernelEvent, into raw: UnsafeMutableRawBufferPointer) {
        precondition(raw.count >= recordSize)
        let o = offsets
        raw.baseAddress!.initializeMemory(as: UInt8.self, repeating: 0, count: recordSize)
        func put<T>(_ value: T, _ offset: Int) { raw.storeBytes(of: value, toByteOffset: offset, as: T.self) }
        put(abiVersion, o.version)
        put(event.kind.rawValue, o.kind)
        put(UInt16(recordSize), o.size)
        put(event.hook.rawValue, o.hook)
        put(event.flow.family.rawValue, o.family)
        put(event.oldState, o.oldState)
        put(event.newState, o.newState)
        put(event.timestamp, o.timestamp)
        put(event.cpu, o.cpu)
        put(event.flow.netns, o.netns)
        put(event.pid, o.pid)
        put(event.tid, o.tid)
        put(event.comm.first, o.comm)
        put(event.comm.second, o.comm + 8)
        put(event.flow.localPort, o.localPort)
        put(event.flow.remotePort, o.remotePort)
        put(event.tcpFlags, o.tcpFlags)
        put(event.flags.rawValue, o.flags)
        put(event.flow.localAddress.high, o.localAddress)
        put(event.flow.localAddress.low, o.localAddress + 8)
        put(event.flow.remoteAddress.high, o.remoteAddress)
        put(event.flow.remoteAddress.low, o.remoteAddress + 8)
        put(event.listener, o.listener)
        put(event.request, o.request)
        put(event.child, o.child)
        put(event.queues.acceptQueue, o.ackBacklog)
        put(event.queues.acceptQueueLimit, o.maxAckBacklog)
        put(event.queues.requestQueue, o.requestQueue)
        put(event.queues.requestYoung, o.requestYoung)
        put(UInt64(bitPattern: event.result), o.result)
        put(event.detail, o.detail)
        put(event.queues.acceptsInFlight, o.acceptsInFlight)
    }

    public static func encode(_ event: KernelEvent) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: recordSize)
        bytes.withUnsafeMutableBytes { encode(event, into: $0) }
        return bytes
    }
}
