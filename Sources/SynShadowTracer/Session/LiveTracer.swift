import Foundation
import SynShadowABI
import SynShadowCore

/// Receives what the kernel reported, in order, a batch at a time.
public protocol EventConsumer: AnyObject {
    /// A drained batch, decoded; `rawRecords` is empty unless recording.
    func consume(_ events: [KernelEvent], rawRecords: [UInt8])
    /// Records the ring buffer could not take since the last call.
    func noteLoss(_ count: UInt64, at timestamp: UInt64)
    /// After every drain that caught up, even an empty one: the watermark it
    /// proved (no record stamped before it remains unread), on the events' clock.
    func tick(at timestamp: UInt64)
}

extension EventConsumer {
    public func tick(at timestamp: UInt64) {}
}

/// Runs a tracing session from start-up to detach: tier selection, the
/// self-check, the snapshot of what already exists, then the drain loop.
public final class LiveTracer {
    public struct Configuration: Sendable {
        /// nil: the richest tier that loads.
        public var tier: Tier?
        public var port: UInt16?
        public var netns: UInt32?
        public var addressFilter = AddressFilter()
        public var ownerFilter = OwnerFilter()
        /// Milliseconds between drains when nobody forces a wake-up: the
        /// bound on live-output latency.
        public var drainIntervalMilliseconds: Int32 = 100
        /// The ring buffer's size (a power of two).
        public var ringBytes = Self.defaultRingBytes
        /// SS_DEFAULT_RING_BYTES, the kernel side's default (synshadow_abi.h).
        public static let defaultRingBytes = UInt32(SS_DEFAULT_RING_BYTES)
        public var keepsRawRecords = false
        /// Fault injection for tests, 0 otherwise: accept()'s exit hook
        /// waits this long before stamping its record, as a program
        /// preempted there would (synshadow_abi.h, `accept_exit_stall_us`).
        public var acceptExitStallMicroseconds: UInt32 = 0

        public init(tier: Tier? = nil, port: UInt16? = nil, netns: UInt32? = nil) {
            self.tier = tier
            self.port = port
            self.netns = netns
        }
    }

    public let configuration: Configuration
    public let selection: TierSelection
    public var session: KernelSession { selection.session }
    public var tier: Tier { session.options.tier }
    /// When tracing began, on the events' clock.
    public let origin: UInt64
    private let selfCheck: SelfCheck
    private let ownNetns: UInt32
    private var ownership: ListenerOwnership?
    /// What the owner filters made of the listeners older than the session.
    public private(set) var existingListeners = ExistingListenerTally()

    /// Listeners found by the start-up snapshot, by the owner filters' verdict.
    public struct ExistingListenerTally: Sendable, Equatable {
        public var admitted = 0
        public var turnedAway = 0
        /// No process in /proc holds the socket: it cannot pass an owner filter.
        public var ownerUnknown = 0
    }
    /// Where the cgroup programs attach (`--cgroup`), and the self-check's cgroup.
    public let attachment: CgroupAttachment
    /// Why the programs attach at the root although `--cgroup` was given.
    public private(set) var attachmentFallback: String?
    private var reportedLoss: UInt64 = 0
    /// Drains that ended at a record another CPU was still writing: no
    /// watermark, so the model's time waited for the next drain.
    public private(set) var unprovenDrains = 0
    private var patched: [KernelEvent] = []
    /// Listeners older than the session that the owner filters turned away
    /// (netns and port), so their queued requests and children go too.
    private var unwantedListeners: Set<ListenerPlace> = []

    private struct ListenerPlace: Hashable {
        var netns: UInt32
        var port: UInt16
    }

    public init(configuration: Configuration) throws(SessionError) {
        self.configuration = configuration
        try Preflight.checkCommon()
        let cgroupRoot = try Preflight.cgroupRoot()
        var attachment = CgroupAttachment(root: cgroupRoot, filter: configuration.ownerFilter.cgroup)
        do {
            try attachment.makeSelfCheckCgroup()
            selfCheck = try SelfCheck(listenerCgroup: attachment.selfCheckCgroup)
        } catch where attachment.selfCheckCgroup != nil {
            // No cgroup of its own for the self-check (a read-only cgroup
            // mount): the root attach, the in-kernel filter keeping the rest out.
            attachment.removeSelfCheckCgroup()
            attachmentFallback = "\(error)"
            attachment = .atRoot(cgroupRoot)
            selfCheck = try SelfCheck()
        }
        self.attachment = attachment
        var options = SessionOptions(
            config: configuration.kernelConfig(selfCheckPort: selfCheck.port, selfCheckNetns: selfCheck.netns),
            attachCgroup: attachment.attachAt)
        options.tier = configuration.tier ?? .tracepoint
        selection = try TierSelector.open(requested: configuration.tier, options: options)
        selection.session.keepsRawRecords = configuration.keepsRawRecords
        ownNetns = NetworkNamespace.inode(ofPath: "/proc/self/ns/net") ?? 0
        origin = monotonicNanoseconds()
    }

    /// Proves every hook, snapshots existing sockets, and delivers whatever
    /// real traffic arrived meanwhile. Throws naming the silent hook.
    public func start(into consumer: EventConsumer) throws -> SelfCheck.Report {
        if let selfCheckCgroup = attachment.selfCheckCgroup {
            try session.attachCgroupProgramsToo(at: selfCheckCgroup)
        }
        defer {
            session.detachCgroupProgramsToo()
            attachment.removeSelfCheckCgroup()
        }
        let report = try selfCheck.run(
            session: session,
            snapshot: { try session.snapshot() },
            drain: { try drainOnce(into: consumer, timeoutMilliseconds: 50) }
        )
        if let silent = report.silentHooks.first {
            let counters = session.counters()
            let others = Self.otherInstances()
            let busy = counters.eventsLost > 0 || others > 0
            throw SessionError(
                "self-check: the \(silent.name) hook never fired in the \(tier.name) tier within "
                    + "\(report.milliseconds) ms (\(others) other synshadow process(es) running, \(counters.lossDescription()) meanwhile)",
                fix: busy
                    ? "run it again: other tracers and their load can starve the self-check's timers and ring; if it "
                        + "fails with none running, report this kernel (uname -r) with --verbose output"
                    : "report this kernel (uname -r) with --verbose output; try another --tier meanwhile"
            )
        }
        return report
    }

    /// Other synshadow processes on the machine: their self-checks and load
    /// compete with ours for the CPUs and the kernel's timers.
    private static func otherInstances() -> Int {
        let own = String(getpid())
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return processes.filter { pid in
            pid != own && pid.first?.isNumber == true
                && (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) == "synshadow\n"
        }.count
    }

    /// Drains until `shouldStop` says so (checked after every drain).
    public func run(into consumer: EventConsumer, until shouldStop: () -> Bool) throws {
        while !shouldStop() {
            try drainOnce(into: consumer, timeoutMilliseconds: configuration.drainIntervalMilliseconds)
        }
        try drainOnce(into: consumer, timeoutMilliseconds: 0)
    }

    /// Detaches everything.
    public func close() {
        session.close()
        attachment.removeSelfCheckCgroup()
    }

    public func drainOnce(into consumer: EventConsumer, timeoutMilliseconds: Int32) throws {
        let outcome = try session.drain(timeoutMilliseconds: timeoutMilliseconds) { events, raw in
            guard !events.isEmpty else { return }
            if events.contains(where: { isSelfCheck($0) || $0.kind.isSnapshot }) {
                deliverFiltered(events, raw: raw, to: consumer)
            } else {
                consumer.consume(events, rawRecords: raw)
            }
        }
        // Loss is counted now, after the drain: the lost records (and the
        // runs the kernel skipped) happened after the last reading, so after
        // the last watermark, and no later than this reading.
        let lost = session.counters().unseenEvents
        if lost > reportedLoss {
            consumer.noteLoss(lost - reportedLoss, at: monotonicNanoseconds())
            reportedLoss = lost
        }
        if let watermark = outcome.watermark {
            consumer.tick(at: watermark)
        } else {
            unprovenDrains += 1
        }
    }

    /// The slow path, only for batches holding self-check or snapshot records:
    /// hides the self-check's own traffic, names pre-existing listeners'
    /// owners and applies the owner filters to them.
    private func deliverFiltered(_ events: [KernelEvent], raw: [UInt8], to consumer: EventConsumer) {
        patched.removeAll(keepingCapacity: true)
        var keptRaw: [UInt8] = []
        for event in events where !isSelfCheck(event) {
            var event = event
            if event.kind == .snapshotListener && !nameOwner(of: &event) {
                unwantedListeners.insert(ListenerPlace(netns: event.flow.netns, port: event.flow.localPort))
                continue
            }
            if event.kind.isSnapshot && event.kind != .snapshotListener && !unwantedListeners.isEmpty,
                unwantedListeners.contains(ListenerPlace(netns: event.flow.netns, port: event.flow.localPort))
            {
                continue
            }
            patched.append(event)
            // Re-encoded so a recording carries the owner named here too.
            if !raw.isEmpty { keptRaw += EventCodec.encode(event) }
        }
        if !patched.isEmpty { consumer.consume(patched, rawRecords: keptRaw) }
    }

    private func isSelfCheck(_ event: KernelEvent) -> Bool {
        event.flow.localPort == selfCheck.port && (event.flow.netns == selfCheck.netns || event.flow.netns == 0)
    }

    /// Names the owner of a listener found by the snapshot; false when the
    /// owner filters turn it away (an owner that cannot be found never passes them).
    private func nameOwner(of event: inout KernelEvent) -> Bool {
        if ownership == nil { ownership = ListenerOwnership() }
        let filter = configuration.ownerFilter
        guard event.result > 0, let (owner, wanted) = ownership?.owner(ofSocketInode: UInt64(event.result), filter: filter)
        else {
            if filter.isActive { existingListeners.ownerUnknown += 1 } else { existingListeners.admitted += 1 }
            return !filter.isActive
        }
        if wanted { existingListeners.admitted += 1 } else { existingListeners.turnedAway += 1 }
        event.pid = owner.pid
        event.comm = ProcessName(owner.comm)
        event.flags.insert(.ownerKnown)
        session.setOwner(
            of: event.listener, pid: owner.pid, netns: event.flow.netns, port: event.flow.localPort, comm: owner.comm,
            wanted: wanted)
        return wanted
    }
}

/// Network namespaces are named by the inode of their nsfs file.
public enum NetworkNamespace {
    public static func inode(ofPath path: String) -> UInt32? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt32(truncatingIfNeeded: info.st_ino)
    }
}
