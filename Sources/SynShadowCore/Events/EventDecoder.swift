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
    /// Once checked, the record is loaded as the C struct in one move and its
    /// fields are read by name: the compiler knows every offset, so decoding
    /// is a few register moves (no table of offsets read per record). Always
    /// inlined into its public entry point, which otherwise builds the event
    /// in a temporary and copies it out.
    @inline(__always)
    public static func decode(_ raw: UnsafeRawBufferPointer) throws(EventDecodingError) -> KernelEvent {
        guard raw.count >= recordSize else { throw shortRecordError(raw) }
        let record = raw.loadUnaligned(as: Raw.self)
        let version = record.version
        guard version >= oldestReadableVersion && version <= abiVersion else { throw .unsupportedVersion(version) }
        let declared = Int(record.size)
        guard declared == recordSize else { throw .sizeMismatch(declared: declared, expected: recordSize) }
        guard let kind = EventKind(rawValue: record.kind) else { throw .unknownKind(record.kind) }
        guard let hook = Hook(rawValue: record.hook) else { throw .unknownHook(record.hook) }

        let flow = FlowKey(
            netns: record.netns,
            family: AddressFamily(rawValue: record.family) ?? .none,
            localAddress: address(record.local_addr),
            localPort: record.local_port,
            remoteAddress: address(record.remote_addr),
            remotePort: record.remote_port
        )
        let comm = words(record.comm)
        return KernelEvent(
            kind: kind, hook: hook, timestamp: record.timestamp_ns, cpu: record.cpu, flow: flow,
            pid: record.pid, tid: record.tid,
            comm: ProcessName(first: comm.first, second: comm.second),
            tcpFlags: record.tcp_flags, flags: EventFlags(rawValue: record.flags),
            oldState: record.old_state, newState: record.new_state,
            listener: record.listener, request: record.request, child: record.child,
            queues: QueueFigures(
                acceptQueue: record.ack_backlog, acceptQueueLimit: record.max_ack_backlog,
                requestQueue: record.request_queue, requestYoung: record.request_young,
                acceptsInFlight: version >= 2 ? record.accepts_in_flight : 0
            ),
            result: record.result, detail: record.detail
        )
    }

    /// Why a buffer shorter than a record cannot be decoded: the same checks,
    /// in the same order, as a full one gets (its version and size first).
    private static func shortRecordError(_ raw: UnsafeRawBufferPointer) -> EventDecodingError {
        let o = offsets
        guard raw.count >= o.size + 2 else { return .truncated(available: raw.count, needed: recordSize) }
        let version = raw[o.version]
        guard version >= oldestReadableVersion && version <= abiVersion else { return .unsupportedVersion(version) }
        let declared = Int(raw.loadUnaligned(fromByteOffset: o.size, as: UInt16.self))
        guard declared == recordSize else { return .sizeMismatch(declared: declared, expected: recordSize) }
        return .truncated(available: raw.count, needed: recordSize)
    }

    /// A 16-byte C array (an address, a comm) as two native-order words.
    @inline(__always)
    private static func words<Bytes: BitwiseCopyable>(_ bytes: Bytes) -> (first: UInt64, second: UInt64) {
        withUnsafeBytes(of: bytes) {
            ($0.loadUnaligned(fromByteOffset: 0, as: UInt64.self), $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }
    }

    @inline(__always)
    private static func address<Bytes: BitwiseCopyable>(_ bytes: Bytes) -> IPAddress {
        let words = words(bytes)
        return IPAddress(high: words.first, low: words.second)
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
