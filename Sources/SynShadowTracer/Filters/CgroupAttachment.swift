#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Where the sock_ops and cgroup_skb programs attach, decided from
/// `--cgroup`.
///
/// Unfiltered, they attach at the cgroup v2 root and every socket runs them.
/// With `--cgroup PATH` they attach at PATH itself, so sockets of every other
/// cgroup never run them at all: the kernel's dispatch alone cost their
/// connections 5-10% (issue 6), now paid only where the user looks.
///
/// The start-up self-check must still see its own listener. SynShadow may
/// run anywhere (often in the root cgroup, an ancestor of PATH), and a second
/// attach at an ancestor would run each program twice for PATH's sockets. So
/// the self-check's listener is created in a cgroup of its own, a direct
/// child of the root named after SynShadow's process id, attached only while
/// the self-check runs: it neither contains nor lies inside PATH.
public struct CgroupAttachment: Sendable, Equatable {
    /// The directory the programs attach at for the whole session.
    public var attachAt: String
    /// The self-check's own cgroup directory, when `attachAt` is not the root.
    public var selfCheckCgroup: String?

    /// The plan for a hierarchy mounted at `root` and a `--cgroup` path
    /// relative to it ("/" or nil: no filter).
    public init(root: String, filter: OwnerFilter.Cgroup?, processID: Int32 = getpid()) {
        guard let filter, filter.path != "/" else {
            attachAt = root
            selfCheckCgroup = nil
            return
        }
        attachAt = root + filter.path
        selfCheckCgroup = root + "/" + Self.selfCheckPrefix + String(processID)
    }

    /// Attaches at the root after all: what to fall back on when the
    /// self-check's cgroup cannot be made (a read-only cgroup mount in a
    /// container). The in-kernel filter still keeps the rest out.
    public static func atRoot(_ root: String) -> CgroupAttachment {
        CgroupAttachment(root: root, filter: nil)
    }

    static let selfCheckPrefix = "synshadow-self-check-"

    /// Makes the self-check's cgroup, first removing those an earlier
    /// SynShadow left behind when it died before removing its own.
    public func makeSelfCheckCgroup() throws(SessionError) {
        guard let selfCheckCgroup else { return }
        let root = (selfCheckCgroup as NSString).deletingLastPathComponent
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        where name.hasPrefix(Self.selfCheckPrefix) {
            if let pid = Int32(name.dropFirst(Self.selfCheckPrefix.count)), kill(pid, 0) != 0, errno == ESRCH {
                rmdir(root + "/" + name)
            }
        }
        if mkdir(selfCheckCgroup, 0o755) != 0 && errno != EEXIST {
            throw SessionError("cannot make the self-check's cgroup \(selfCheckCgroup): \(String(cString: strerror(errno)))")
        }
    }

    /// Removes the self-check's cgroup (empty: its one process has exited).
    public func removeSelfCheckCgroup() {
        if let selfCheckCgroup { rmdir(selfCheckCgroup) }
    }
}
