import Foundation

/// Checks what the kernel and the machine must offer before any BPF loads, so
/// a missing piece is one line naming the cause and the fix, never a
/// verifier dump.
public enum Preflight {
    /// The cgroup v2 mount that sock_ops and cgroup_skb attach to.
    public static func cgroupRoot() throws(SessionError) -> String {
        let mounts = (try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)) ?? ""
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count > 2, fields[2] == "cgroup2" { return String(fields[1]) }
        }
        throw SessionError(
            "no cgroup v2 hierarchy is mounted (sock_ops and cgroup_skb attach there)",
            fix: "mount -t cgroup2 none /sys/fs/cgroup/unified (or boot with systemd.unified_cgroup_hierarchy=1)"
        )
    }

    /// Root, BTF and tracefs: needed by every tier.
    public static func checkCommon() throws(SessionError) {
        if geteuid() != 0 && !hasCapabilities([39, 38, 12]) {
            throw SessionError(
                "synshadow needs root: loading BPF takes CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN",
                fix: "run it with sudo"
            )
        }
        if !FileManager.default.fileExists(atPath: "/sys/kernel/btf/vmlinux") {
            throw SessionError(
                "this kernel exposes no BTF (/sys/kernel/btf/vmlinux is missing): the CO-RE probes need it",
                fix: "use a kernel built with CONFIG_DEBUG_INFO_BTF=y (every major distribution's is)"
            )
        }
        if tracefsEvents() == nil {
            throw SessionError(
                "tracefs is not mounted, so tracepoints cannot attach",
                fix: "mount -t tracefs tracefs /sys/kernel/tracing"
            )
        }
    }

    /// The tracefs `events` directory, if tracefs is mounted somewhere libbpf looks.
    public static func tracefsEvents() -> String? {
        for path in ["/sys/kernel/tracing/events", "/sys/kernel/debug/tracing/events"]
        where FileManager.default.fileExists(atPath: path + "/sock/inet_sock_set_state") {
            return path
        }
        return nil
    }

    /// Whether the kernel can run kprobes at all (CONFIG_KPROBES and the perf PMU).
    public static var kprobesAvailable: Bool {
        FileManager.default.fileExists(atPath: "/sys/bus/event_source/devices/kprobe/type")
    }

    /// Effective capabilities of this process, from /proc/self/status.
    static func hasCapabilities(_ bits: [Int]) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
            let mask = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return false }
        return bits.allSatisfy { mask & (1 << UInt64($0)) != 0 }
    }
}
