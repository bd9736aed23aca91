import SynShadowABI

/// How the kernel is observed (`enum synshadow_tier`); richer tiers see more.
public enum Tier: UInt8, Sendable, CaseIterable, Codable, Comparable {
    case tracepoint = 1
    case kprobe = 2
    case fentry = 3

    public var name: String {
        switch self {
        case .tracepoint: "tracepoint"
        case .kprobe: "kprobe"
        case .fentry: "fentry"
        }
    }

    public init?(name: String) {
        guard let tier = Tier.allCases.first(where: { $0.name == name }) else { return nil }
        self = tier
    }

    public static func < (lhs: Tier, rhs: Tier) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The hooks whose records this tier produces: the model treats any fact
    /// that only other hooks report as unobserved, never as missing.
    public var hooks: Set<Hook> {
        let shared: Set<Hook> = [
            .sockOpsListen, .sockOpsRwndInit, .sockOpsPassiveEstablished,
            .inetSockSetState, .retransmitSynAck, .kfreeSkb, .iterTCP,
        ]
        switch self {
        case .tracepoint:
            return shared.union([.cgroupSkbIngress, .sockOpsTimeoutInit, .sysExitAccept])
        case .kprobe, .fentry:
            return shared.union([
                .connRequestEntry, .connRequestExit, .requestHashAdd,
                .checkRequestEntry, .checkRequestExit, .acceptExit, .requestError,
                .cookieCheckEntry, .cookieCheckExit,
            ])
        }
    }
}
