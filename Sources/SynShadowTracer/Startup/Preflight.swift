import CSynShadowSystem
import Foundation

/// Checks what the kernel and the machine must offer before any BPF loads, so
/// a missing piece is one line naming the cause and the fix, never a
/// verifier dump.
public enum Preflight {
    /// The cgroup v2 mount that sock_ops and cgroup_skb attach to. Found in
    /// this process's mounts, else in init's (`ip netns exec` runs its
    /// command with a fresh /sys in a mount namespace of its own; the
    /// hierarchy is the same, reached through /proc/1/root), else mounted
    /// privately for this run.
    public static func cgroupRoot() throws(SessionError) -> String {
        if let mounted = cgroup2Mount(listedIn: "/proc/self/mounts", prefix: "") { return mounted }
        if let initial = cgroup2Mount(listedIn: "/proc/1/mounts", prefix: "/proc/1/root") { return initial }
        let ownMount = "/run/synshadow/cgroup2"
        try? FileManager.default.createDirectory(atPath: ownMount, withIntermediateDirectories: true)
        if ss_mount_pseudo("cgroup2", ownMount) == 0 || isCgroup2(ownMount) { return ownMount }
        throw SessionError(
            "no cgroup v2 hierarchy is mounted (sock_ops and cgroup_skb attach there), and mounting one failed",
            fix: "mount -t cgroup2 none /sys/fs/cgroup/unified (or boot with systemd.unified_cgroup_hierarchy=1)"
        )
    }

    private static func cgroup2Mount(listedIn table: String, prefix: String) -> String? {
        guard let mounts = try? String(contentsOfFile: table, encoding: .utf8) else { return nil }
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 2, fields[2] == "cgroup2" else { continue }
            let path = prefix + String(fields[1])
            if isCgroup2(path) { return path }
        }
        return nil
    }

    /// Whether `path` is the root of a reachable cgroup v2 hierarchy.
    private static func isCgroup2(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path + "/cgroup.controllers")
    }

    /// Root, BTF and tracefs: needed by every tier.
    public static func checkCommon() throws(SessionError) {
        if geteuid() != 0 && !hasCapabilities([Capability.bpf, Capability.perfmon, Capability.netAdmin]) {
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
            // `ip netns exec` gives its command a /sys without tracefs: mount it
            // (in this run's own mount namespace there, on the host otherwise).
            _ = ss_mount_pseudo("tracefs", "/sys/kernel/tracing")
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

    /// Capability numbers of <linux/capability.h> that loading and attaching BPF takes.
    enum Capability {
        static let netAdmin = 12
        static let perfmon = 38
        static let bpf = 39
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
