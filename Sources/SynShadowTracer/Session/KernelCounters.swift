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
    /// `lost`, per event kind (indexed by raw value): what a flood cost, exactly.
    public var lostByKind: [UInt64] = Array(repeating: 0, count: Int(SS_EVENT_KIND_MAX.rawValue))

    public init() {}

    public func hits(_ hook: Hook) -> UInt64 { hookHits[Int(hook.rawValue)] }

    public func lost(_ kind: EventKind) -> UInt64 {
        Int(kind.rawValue) < lostByKind.count ? lostByKind[Int(kind.rawValue)] : 0
    }
}
