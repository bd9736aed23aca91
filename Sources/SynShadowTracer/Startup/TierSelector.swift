import SynShadowCore

/// Picks the attach tier. `auto` tries the richest first and keeps, for the
/// user, the reason each richer tier was passed over.
public struct TierSelection {
    public let session: KernelSession
    /// "fentry: <why not>", "kprobe: <why not>" for the tiers passed over.
    public let passedOver: [String]

    public var summary: String {
        let tier = session.options.tier.name
        if passedOver.isEmpty { return "tier \(tier)" }
        return "tier \(tier) (" + passedOver.joined(separator: "; ") + ")"
    }
}

public enum TierSelector {
    /// Opens a session on `requested`, or on the richest tier that loads when
    /// nil. The caller has run `Preflight.checkCommon()` (LiveTracer does,
    /// before its self-check builds a namespace).
    public static func open(requested: Tier?, options: SessionOptions) throws(SessionError) -> TierSelection {
        if let requested {
            if requested == .kprobe && !Preflight.kprobesAvailable {
                throw SessionError(
                    "kprobe tier: this kernel has no kprobes (CONFIG_KPROBES unset: no /sys/bus/event_source/devices/kprobe)",
                    fix: "use --tier tracepoint, or --tier auto", tierUnsupported: true
                )
            }
            var chosen = options
            chosen.tier = requested
            return TierSelection(session: try KernelSession(options: chosen), passedOver: [])
        }
        var passedOver: [String] = []
        for tier in Tier.allCases.sorted(by: >) {
            if tier == .kprobe && !Preflight.kprobesAvailable {
                passedOver.append("kprobe tier: no kprobes in this kernel (CONFIG_KPROBES unset)")
                continue
            }
            var chosen = options
            chosen.tier = tier
            do {
                return TierSelection(session: try KernelSession(options: chosen), passedOver: passedOver)
            } catch {
                if tier == .tracepoint { throw error }
                passedOver.append(error.cause)
            }
        }
        throw SessionError("no tier loaded")
    }
}
