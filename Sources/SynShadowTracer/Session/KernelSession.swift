#if canImport(Glibc)
import Glibc
#endif
import CSynShadowLoader
import SynShadowABI
import SynShadowBPFObject
import SynShadowCore

/// What to load and how to filter, decided before anything touches the kernel.
public struct SessionOptions: Sendable {
    /// The kernel side's configuration, `struct synshadow_config`
    /// (bpf/abi/include/synshadow_abi.h): handed whole to the loader, which
    /// writes it into the BPF object. Built by `LiveTracer.Configuration`.
    public var config: synshadow_config
    /// The cgroup v2 directory the sock_ops and cgroup_skb programs attach
    /// at: the hierarchy's root, or the cgroup `--cgroup` names, so that
    /// sockets anywhere else never run them.
    public var attachCgroup: String

    public init(config: synshadow_config, attachCgroup: String) {
        self.config = config
        self.attachCgroup = attachCgroup
    }

    /// The tier to load; setting it also sets the hooks that report (its table).
    public var tier: Tier {
        get { Tier(rawValue: UInt8(truncatingIfNeeded: config.tier)) ?? .tracepoint }
        set {
            config.tier = UInt16(newValue.rawValue)
            config.hooks = newValue.hookMask
        }
    }

    /// Network namespace inode to trace; nil traces every namespace.
    public var netns: UInt32? { config.netns == 0 ? nil : config.netns }
    /// The start-up self-check's private network namespace.
    public var selfCheckNetns: UInt32 { config.self_check_netns }
}

/// The BPF programs of one tier, loaded and attached, and their ring buffer.
/// Closing (or deinit) detaches everything: the links are file descriptors,
/// so even a crash leaves nothing attached.
public final class KernelSession {
    public let options: SessionOptions
    private var loader: OpaquePointer?
    private let batch = EventBatch()
    private var dropReasonNames: [UInt32: String] = [:]
    /// Room for the loader's one-line failure message.
    private static let messageCapacity = 512

    /// The loader's failure message, up to its terminating zero.
    private static func message(in buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public init(options: SessionOptions) throws(SessionError) {
        self.options = options
        var cOptions = ss_loader_options()
        let object = BPFObject.bytes
        var error = [CChar](repeating: 0, count: Self.messageCapacity)
        var handle: OpaquePointer?
        let loadable = options.tier.programs.flatMap { program in
            Self.loadable(program).map { (name: strdup($0.name), hooks: program.hookMask, flags: $0.flags) }
        }
        defer { loadable.forEach { free($0.name) } }
        let programs = loadable.map { ss_program(name: $0.name, hooks: $0.hooks, flags: $0.flags) }
        let status: Int32 = object.withUnsafeBytes { objectBytes in
            options.attachCgroup.withCString { cgroupPath in
                programs.withUnsafeBufferPointer { programList in
                    cOptions.object = objectBytes.baseAddress
                    cOptions.object_size = objectBytes.count
                    cOptions.config = options.config
                    cOptions.programs = programList.baseAddress
                    cOptions.program_count = programList.count
                    cOptions.cgroup_path = cgroupPath
                    cOptions.on_record = recordCallback
                    cOptions.context = Unmanaged.passUnretained(batch).toOpaque()
                    return ss_loader_open(&cOptions, &handle, &error, error.count)
                }
            }
        }
        guard status == 0, let handle else {
            let message = Self.message(in: error)
            throw SessionError.loadFailure(
                tier: options.tier, message: message, errno: -status,
                log: String(cString: ss_loader_last_log()))
        }
        loader = handle
    }

    /// The programs to load for a table entry on this kernel: a BTF raw
    /// tracepoint (and its cover) where the kernel offers one, its classic
    /// stand-in otherwise. A classic tracepoint cannot be covered: the
    /// kernel skips every classic and kprobe program alike while one runs.
    private static func loadable(_ program: TierProgram) -> [(name: String, flags: UInt32)] {
        if let fallback = program.fallback, ss_kernel_has_btf_tracepoint(fallback.tracepoint) != 1 {
            return [(fallback.program, 0)]
        }
        if let cover = program.cover {
            return [(program.name, SS_PROGRAM_PRIMARY), (cover, SS_PROGRAM_COVER)]
        }
        return [(program.name, 0)]
    }

    deinit { close() }

    /// Detaches every program and frees the ring buffer. Idempotent.
    public func close() {
        if let loader { ss_loader_close(loader) }
        loader = nil
    }

    /// Whether the hook's program is attached in this session.
    public func isAttached(_ hook: Hook) -> Bool {
        guard let loader else { return false }
        return ss_loader_hook_attached(loader, Int32(hook.rawValue)) != 0
    }

    /// Keep each record's raw bytes too (for `record`).
    public var keepsRawRecords: Bool {
        get { batch.keepsRawRecords }
        set { batch.keepsRawRecords = newValue }
    }

    /// Waits up to `timeout` milliseconds (less if the kernel side asked for a
    /// wake-up; 0: not at all), consumes every record committed before the
    /// drain began and hands the decoded batch to `body`. The batch is only
    /// valid inside `body`. The outcome says whether the drain caught up,
    /// and so proves a watermark (see `DrainOutcome`).
    @discardableResult
    public func drain(
        timeoutMilliseconds: Int32,
        _ body: (_ events: [KernelEvent], _ rawRecords: [UInt8]) throws -> Void
    ) throws -> DrainOutcome {
        guard let loader else { return DrainOutcome(records: 0, watermark: nil) }
        batch.reset()
        var result = ss_drain_result()
        let status = ss_loader_drain(loader, timeoutMilliseconds, &result)
        if status < 0, status != -EINTR {
            throw SessionError("reading the ring buffer failed (errno \(-status))")
        }
        try body(batch.events, batch.rawRecords)
        return DrainOutcome(
            records: Int(result.records), watermark: result.caught_up != 0 ? result.watermark_ns : nil)
    }

    /// Detaches every hook, or attaches them again; the programs, maps and
    /// ring stay loaded. Lets a benchmark alternate traced and untraced
    /// windows of one continuous load.
    public func setHooksAttached(_ attached: Bool) throws(SessionError) {
        guard let loader else { return }
        var error = [CChar](repeating: 0, count: Self.messageCapacity)
        let status = ss_loader_set_attached(loader, attached ? 1 : 0, &error, error.count)
        if status != 0 {
            throw SessionError(Self.message(in: error))
        }
    }

    /// Attaches the cgroup programs at a second cgroup too, until
    /// `detachCgroupProgramsToo()`: the self-check's sockets live outside a
    /// `--cgroup` attach point. `path` must neither contain nor lie inside
    /// `options.attachCgroup`, or its sockets would run each program twice.
    public func attachCgroupProgramsToo(at path: String) throws(SessionError) {
        guard let loader else { return }
        var error = [CChar](repeating: 0, count: Self.messageCapacity)
        if ss_loader_attach_cgroup_too(loader, path, &error, error.count) != 0 {
            throw SessionError(Self.message(in: error))
        }
    }

    public func detachCgroupProgramsToo() {
        if let loader { ss_loader_detach_cgroup_too(loader) }
    }

    /// Each loaded program's run time and runs so far, as the kernel counts
    /// them while BPF statistics are on (`BPFStatistics`); zeros otherwise.
    public func programStatistics() -> [ProgramStatistics] {
        guard let loader else { return [] }
        return (0..<ss_loader_program_count(loader)).compactMap { index in
            var stats = ss_program_stats()
            guard ss_loader_program_stats(loader, index, &stats) == 0 else { return nil }
            let name = withUnsafeBytes(of: stats.name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            return ProgramStatistics(
                name: name, runTimeNanoseconds: stats.run_time_ns, runCount: stats.run_count,
                recursionMisses: stats.recursion_misses)
        }
    }

    /// Keeps the hooks attached but makes every one return at once (`true`),
    /// or resumes them. What the kernel's dispatch of the hooks costs by
    /// itself, apart from SynShadow's work in them: `synshadow bench` shows
    /// it next to the traced rate.
    public func setHooksIdle(_ idle: Bool) throws(SessionError) {
        guard let loader else { return }
        let status = ss_loader_set_idle(loader, idle ? 1 : 0)
        if status != 0 {
            throw SessionError("idling the hooks failed: \(String(cString: strerror(-status)))")
        }
    }

    /// Emits snapshot records for the listeners, requests and queued children
    /// that exist now, into the ring buffer: in every network namespace (the
    /// kernel's TCP iterator walks the namespace of the thread that opens
    /// it, so the thread visits each in turn), or only `netns` and the
    /// self-check's when a namespace filter is set. Returns how many
    /// namespaces were walked.
    @discardableResult
    public func snapshot() throws(SessionError) -> Int {
        guard let loader else { return 0 }
        var walked = 0
        var failure: Int32 = 0
        snapshotTrouble = []
        for namespace in NetworkNamespace.allWithPaths() {
            if let only = options.netns, namespace.inode != only, namespace.inode != options.selfCheckNetns { continue }
            var entered = false
            for path in namespace.paths where !entered {
                entered = NetworkNamespace.inside(path) {
                    let status = ss_loader_snapshot(loader)
                    if status != 0 {
                        failure = status
                        snapshotTrouble.append("netns \(namespace.inode): the iter/tcp walk failed (errno \(-status))")
                    } else {
                        walked += 1
                    }
                }
            }
            if !entered {
                snapshotTrouble.append(
                    "netns \(namespace.inode): cannot enter it (tried \(namespace.paths.joined(separator: ", ")))")
            }
        }
        if walked == 0 && failure != 0 {
            throw SessionError("the iter/tcp snapshot failed (errno \(-failure))")
        }
        return walked
    }

    /// Namespaces the last snapshot could not walk, and why: their older
    /// listeners stay unknown (and fail the owner filters) until they act.
    public private(set) var snapshotTrouble: [String] = []

    public func counters() -> KernelCounters {
        var sum = synshadow_counters()
        var result = KernelCounters()
        guard let loader, ss_loader_counters(loader, &sum) == 0 else { return result }
        withUnsafeBytes(of: sum.hook_hits) { raw in
            for index in 0..<result.hookHits.count {
                result.hookHits[index] = raw.load(fromByteOffset: index * 8, as: UInt64.self)
            }
        }
        result.events = sum.events
        result.lost = sum.lost
        result.filtered = sum.filtered
        result.correlationMisses = sum.correlation_misses
        result.wakeups = sum.wakeups
        result.coveredRuns = withUnsafeBytes(of: sum.covered_runs) { raw in
            (0..<Int(SS_HOOK_MAX.rawValue)).reduce(UInt64(0)) { $0 &+ raw.load(fromByteOffset: $1 * 8, as: UInt64.self) }
        }
        withUnsafeBytes(of: sum.lost_by_kind) { raw in
            for index in 0..<result.lostByKind.count {
                result.lostByKind[index] = raw.load(fromByteOffset: index * 8, as: UInt64.self)
            }
        }
        var skippedByHook = [UInt64](repeating: 0, count: Int(SS_HOOK_MAX.rawValue))
        var skipped: UInt64 = 0
        var overcovered: UInt64 = 0
        if ss_loader_skipped_runs(loader, &skippedByHook, &skipped, &overcovered) == 0 {
            result.skippedRuns = skipped
            result.duplicatedEvents = overcovered
            for index in 0..<result.skippedRunsByHook.count where index < skippedByHook.count {
                result.skippedRunsByHook[index] = skippedByHook[index]
            }
        }
        return result
    }

    /// Kernel memory held by this session's maps (ring buffer, listener and child tables):
    /// bounded by their fixed sizes, whatever the traffic.
    public var mapMemoryBytes: Int64 {
        guard let loader else { return 0 }
        return Int64(ss_loader_map_memory(loader))
    }

    /// Records decoding rejected (a newer or damaged kernel side).
    public var undecodableRecords: Int { batch.undecodable }
    public var lastDecodingError: EventDecodingError? { batch.lastDecodingError }

    /// Tells the kernel side who owns a listener found by the snapshot, and
    /// whether it passes the owner filters.
    public func setOwner(of listener: UInt64, pid: UInt32, netns: UInt32, port: UInt16, comm: String, wanted: Bool) {
        guard let loader else { return }
        _ = comm.withCString { ss_loader_set_listener_owner(loader, listener, pid, netns, port, $0, wanted ? 1 : 0) }
    }

    /// The running kernel's name for an `skb_drop_reason` value.
    public func dropReasonName(_ reason: UInt32) -> String? {
        if let name = dropReasonNames[reason] { return name }
        guard let loader, let cName = ss_loader_drop_reason_name(loader, reason) else { return nil }
        let name = String(cString: cName)
        dropReasonNames[reason] = name
        return name
    }

    /// Every drop reason the running kernel defines.
    public func dropReasonTable() -> [UInt32: String] {
        var table: [UInt32: String] = [:]
        for value in UInt32(0)..<UInt32(SS_DROP_REASON_MAX) {
            if let name = dropReasonName(value) { table[value] = name }
        }
        return table
    }
}

/// What one drain of the ring buffer read.
public struct DrainOutcome: Sendable, Equatable {
    public var records: Int
    /// When the drain caught up with every record reserved before it began:
    /// a time (CLOCK_MONOTONIC ns) before which no record remains unread.
    /// nil when a record still being written by another CPU stopped it.
    public var watermark: UInt64?
}

extension SessionError {
    /// Says why a tier did not load in words that point at the fix: as root,
    /// EPERM on fentry or kprobe means the kernel forbids that attach type.
    static func loadFailure(tier: Tier, message: String, errno value: Int32, log: String) -> SessionError {
        // ENOTSUPP: the kernel's own "not supported" (no BPF trampoline), which libc does not name.
        let kernelENOTSUPP: Int32 = 524
        let isRoot = geteuid() == 0
        switch (value, tier, isRoot) {
        case (EPERM, .fentry, true), (kernelENOTSUPP, .fentry, _), (EOPNOTSUPP, .fentry, _):
            return SessionError(
                "fentry tier: this kernel refuses fentry/fexit programs (\(message))",
                fix: "its function tracing is locked or lacks BPF trampolines: use --tier kprobe or tracepoint",
                detail: log, tierUnsupported: true)
        case (EPERM, .kprobe, true), (kernelENOTSUPP, .kprobe, _), (EOPNOTSUPP, .kprobe, _):
            return SessionError(
                "kprobe tier: this kernel refuses kprobes (\(message))",
                fix: "use --tier tracepoint", detail: log, tierUnsupported: true)
        case (EPERM, _, false), (EACCES, _, _):
            return SessionError(
                "\(tier.name) tier: the kernel refused BPF (\(message))",
                fix: "run as root (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN); a lockdown=confidentiality kernel refuses BPF tracing",
                detail: log)
        case (ENOENT, _, _):
            return SessionError(
                "\(tier.name) tier: \(message)", fix: "a hooked function or tracepoint is missing here: try another --tier",
                detail: log)
        default:
            return SessionError("\(tier.name) tier: \(message)", fix: "rerun with --verbose for the verifier's log", detail: log)
        }
    }
}
