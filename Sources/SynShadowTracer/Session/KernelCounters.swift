import SynShadowABI
import SynShadowCore

/// The kernel side's own accounting, summed over CPUs.
public struct KernelCounters: Sendable, Equatable {
    public var hookHits: [UInt64] = Array(repeating: 0, count: Hook.allCases.count)
    public var events: UInt64 = 0
    /// Records the ring buffer had no room for: the model is uncertain after any.
    public var lost: UInt64 = 0
    public var filtered: UInt64 = 0
    public var correlationMisses: UInt64 = 0
    public var wakeups: UInt64 = 0
    /// Runs of our programs the kernel skipped rather than nest one tracing
    /// program in another on a CPU (its recursion guard): events lost
    /// without the ring ever seeing them, each program counted once.
    public var skippedRuns: UInt64 = 0
    /// Skipped runs a cover program took instead (bpf/cover.bpf.h): not lost.
    public var coveredRuns: UInt64 = 0
    /// Runs a cover took beyond those the kernel skipped for its primary:
    /// events delivered twice. The cover's design makes this 0; any other
    /// figure is a SynShadow defect, and the model's findings are suspect.
    public var duplicatedEvents: UInt64 = 0
    /// `skippedRuns` under each hook its program serves (indexed by raw value).
    public var skippedRunsByHook: [UInt64] = Array(repeating: 0, count: Hook.allCases.count)
    /// `lost`, per event kind (indexed by raw value): what a flood cost, exactly.
    public var lostByKind: [UInt64] = Array(repeating: 0, count: Int(SS_EVENT_KIND_MAX.rawValue))

    public init() {}

    public func hits(_ hook: Hook) -> UInt64 { hookHits[Int(hook.rawValue)] }

    public func skippedRuns(_ hook: Hook) -> UInt64 { skippedRunsByHook[Int(hook.rawValue)] }

    /// Whether the kernel reached `hook`: our program wrote a record, found
    /// the ring full, or was skipped by the kernel's recursion guard (the
    /// hook fired; it was nested in another tracing program on that CPU).
    public func fired(_ hook: Hook) -> Bool { hits(hook) > 0 || skippedRuns(hook) > 0 }

    /// Events lost to a full ring or a skipped run: what "lost" means to a user.
    public var eventsLost: UInt64 { lost &+ skippedRuns }

    /// "12 lost", or "12 lost (3 run(s) the kernel skipped (its BPF recursion
    /// guard, or a kprobe it missed): inet_sock_set_state 2, kfree_skb 1)":
    /// since `earlier` when given.
    public func lossDescription(since earlier: KernelCounters = KernelCounters()) -> String {
        let lost = eventsLost &- earlier.eventsLost
        let skipped = skippedRuns &- earlier.skippedRuns
        let unpaired = correlationMisses &- earlier.correlationMisses
        var description = "\(lost) lost"
        if skipped > 0 {
            let byHook = Hook.allCases.compactMap { hook -> String? in
                let count = skippedRuns(hook) &- earlier.skippedRuns(hook)
                return count > 0 ? "\(hook.name) \(count)" : nil
            }
            description += " (\(skipped) run(s) the kernel skipped (its BPF recursion guard, or a kprobe it missed): "
                + byHook.joined(separator: ", ") + ")"
        }
        if unpaired > 0 {
            // Seen in a kprobe-tier guest with nothing lost or skipped: a
            // kprobe hit while another kprobe's handler ran on that CPU is
            // missed by the kernel, and our program never runs.
            description += ", \(unpaired) step(s) whose first half never reached the ring"
                + " (a probe the kernel did not run, e.g. a kprobe nested in another on that CPU)"
        }
        return description
    }

    /// Every event the kernel side meant to write and the model will never
    /// read: ring full, skipped runs, and correlation misses (a step whose
    /// entry half was lost is as good as lost: the model must not guess).
    public var unseenEvents: UInt64 { lost &+ skippedRuns &+ correlationMisses }

    public func lost(_ kind: EventKind) -> UInt64 {
        Int(kind.rawValue) < lostByKind.count ? lostByKind[Int(kind.rawValue)] : 0
    }
}
