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
    /// that only other hooks report as unobserved, never as missing. Read
    /// from the tier's programs, the one table.
    public var hooks: Set<Hook> { programs.reduce(into: []) { $0.formUnion($1.hooks) } }

    /// `hooks` as bits (1 << hook), the form the kernel side's configuration takes.
    public var hookMask: UInt32 { programs.reduce(0) { $0 | $1.hookMask } }

    /// The BPF programs (bpf/synshadow.bpf.c) this tier loads, and the hooks
    /// each reports in it. This table decides: the loader loads and attaches
    /// what it is handed, and the probes read the reporting hooks from their
    /// configuration (`synshadow_config.hooks`).
    public var programs: [TierProgram] {
        switch self {
        case .tracepoint:
            return [
                TierProgram("ss_cgroup_skb_ingress", [.cgroupSkbIngress]),
                TierProgram("ss_sock_ops", [.sockOpsListen, .sockOpsRwndInit, .sockOpsTimeoutInit, .sockOpsPassiveEstablished]),
                TierProgram("ss_sys_exit_accept4", [.sysExitAccept]),
                TierProgram("ss_sys_exit_accept", [.sysExitAccept]),
                // accept()'s entry: threads in flight, no record of its own.
                TierProgram("ss_sys_enter_accept4", []),
                TierProgram("ss_sys_enter_accept", []),
            ] + Self.sharedPrograms
        case .kprobe:
            return Self.functionPrograms(entry: "ss_kprobe_", exit: "ss_kretprobe_")
        case .fentry:
            return Self.functionPrograms(entry: "ss_fentry_", exit: "ss_fexit_")
        }
    }

    /// Every tier: state changes, SYN-ACK retransmits, drops, the snapshot.
    private static let sharedPrograms = [
        TierProgram(
            "ss_btf_inet_sock_set_state", [.inetSockSetState],
            fallback: .init(tracepoint: "inet_sock_set_state", program: "ss_inet_sock_set_state"),
            cover: "ss_btf_inet_sock_set_state_cover"),
        TierProgram(
            "ss_btf_retransmit_synack", [.retransmitSynAck],
            fallback: .init(tracepoint: "tcp_retransmit_synack", program: "ss_retransmit_synack")),
        TierProgram(
            "ss_btf_kfree_skb", [.kfreeSkb], fallback: .init(tracepoint: "kfree_skb", program: "ss_kfree_skb"),
            cover: "ss_btf_kfree_skb_cover"),
        TierProgram("ss_iter_tcp", [.iterTCP]),
    ]

    /// The function tiers hook the same functions, by fentry/fexit or by
    /// kprobe/kretprobe; the hash insertion replaces sock_ops TIMEOUT_INIT,
    /// inet_csk_accept the accept syscalls, tcp_v{4,6}_conn_request cgroup_skb.
    private static func functionPrograms(entry: String, exit: String) -> [TierProgram] {
        [
            TierProgram("ss_sock_ops", [.sockOpsListen, .sockOpsRwndInit, .sockOpsPassiveEstablished]),
            TierProgram(entry + "v4_conn_request", [.connRequestEntry]),
            TierProgram(exit + "v4_conn_request", [.connRequestExit]),
            TierProgram(entry + "v6_conn_request", [.connRequestEntry]),
            TierProgram(exit + "v6_conn_request", [.connRequestExit]),
            TierProgram(entry + "reqsk_hash_add", [.requestHashAdd]),
            TierProgram(entry + "check_req", [.checkRequestEntry]),
            TierProgram(exit + "check_req", [.checkRequestExit]),
            TierProgram(entry + "req_err", [.requestError]),
            TierProgram(entry + "cookie_v4_check", [.cookieCheckEntry]),
            TierProgram(exit + "cookie_v4_check", [.cookieCheckExit]),
            TierProgram(entry + "cookie_v6_check", [.cookieCheckEntry]),
            TierProgram(exit + "cookie_v6_check", [.cookieCheckExit]),
            // inet_csk_accept's entry: threads in flight, no record of its own.
            TierProgram(entry + "csk_accept", []),
            TierProgram(exit + "csk_accept", [.acceptExit]),
        ] + sharedPrograms
    }
}

/// One BPF program of a tier (its name in bpf/synshadow.bpf.c) and the
/// hooks whose records it makes there.
public struct TierProgram: Sendable, Hashable {
    public var name: String
    public var hooks: Set<Hook>
    /// A BTF raw tracepoint's stand-in: the classic tracepoint program loaded
    /// instead on kernels that do not offer `tracepoint` as one.
    public var fallback: Fallback?

    public struct Fallback: Sendable, Hashable {
        public var tracepoint: String
        public var program: String
    }

    /// A second program on the same BTF raw tracepoint that takes the runs
    /// the kernel skips for this one (see bpf/cover.bpf.h): a hook fired in
    /// tasks and in softirqs alike would otherwise lose the softirq's event
    /// whenever it interrupted the task's run. Loaded after it, with it.
    public var cover: String?

    /// `hooks` as bits (1 << hook).
    public var hookMask: UInt32 { hooks.reduce(0) { $0 | 1 << UInt32($1.rawValue) } }

    public init(_ name: String, _ hooks: Set<Hook>, fallback: Fallback? = nil, cover: String? = nil) {
        self.name = name
        self.hooks = hooks
        self.fallback = fallback
        self.cover = cover
    }

    /// Every program name the entry may load as.
    public var allNames: [String] {
        [name] + (fallback.map { [$0.program] } ?? []) + (cover.map { [$0] } ?? [])
    }
}
