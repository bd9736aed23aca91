import SynShadowCore
import Synchronization

/// Names a listener's owner by its cgroup v2 path — the container or the
/// systemd service it runs in — read from /proc/PID/cgroup once per process
/// and remembered (a bounded cache: cleared when full).
public final class CgroupNames: Sendable {
    private let cache = Mutex<[UInt32: String]>([:])
    private let limit: Int

    public init(limit: Int = 4096) {
        self.limit = limit
    }

    public func path(ofProcess pid: UInt32) -> String? {
        if let known = cache.withLock({ $0[pid] }) { return known.isEmpty ? nil : known }
        let path = OwnerFilter.cgroupPath(ofProcess: pid) ?? ""
        cache.withLock { names in
            if names.count >= limit { names.removeAll(keepingCapacity: true) }
            names[pid] = path
        }
        return path.isEmpty ? nil : path
    }

    /// The findings with their listener's cgroup filled in, where the owner is known.
    public func attribute(_ findings: [Finding]) -> [Finding] {
        findings.map { finding in
            guard let pid = finding.listener?.pid, pid != 0 else { return finding }
            var finding = finding
            finding.listener?.cgroup = path(ofProcess: pid)
            return finding
        }
    }
}
