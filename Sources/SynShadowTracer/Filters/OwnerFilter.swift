import Foundation
import SynShadowCore

/// Which listeners to trace by who owns them: a process id, a process name,
/// or a cgroup (a container, a systemd service) and everything below it.
/// The kernel decides at listen() time, in the owner's own context; listeners
/// older than the session are decided here, from /proc.
public struct OwnerFilter: Sendable, Equatable {
    public var pid: UInt32?
    /// Up to 15 bytes: the kernel's `comm`.
    public var comm: String?
    public var cgroup: Cgroup?

    /// A cgroup v2 directory: its id is its inode, its level its depth below the root.
    public struct Cgroup: Sendable, Equatable {
        /// Relative to the cgroup v2 root, with a leading "/" ("/" is the root itself).
        public var path: String
        public var id: UInt64
        public var level: UInt8
    }

    public init(pid: UInt32? = nil, comm: String? = nil, cgroup: Cgroup? = nil) {
        self.pid = pid
        self.comm = comm
        self.cgroup = cgroup
    }

    public var isActive: Bool { pid != nil || comm != nil || cgroup != nil }

    /// Resolves `--cgroup`: a path under the cgroup v2 mount, or one relative
    /// to its root as /proc/PID/cgroup prints it ("/system.slice/nginx.service").
    public static func cgroup(named text: String, root: String) throws(SessionError) -> Cgroup {
        let rootPath = (root as NSString).standardizingPath
        var absolute = (text as NSString).standardizingPath
        if !absolute.hasPrefix(rootPath + "/") && absolute != rootPath {
            absolute = (rootPath + "/" + text).replacingOccurrences(of: "//", with: "/")
            absolute = (absolute as NSString).standardizingPath
        }
        var info = stat()
        guard stat(absolute, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw SessionError(
                "no cgroup '\(text)' under the cgroup v2 mount \(rootPath)",
                fix: "give a directory under \(rootPath), or a path as /proc/PID/cgroup prints it (after \"0::\")")
        }
        let relative = absolute == rootPath ? "/" : String(absolute.dropFirst(rootPath.count))
        let level = relative == "/" ? 0 : relative.split(separator: "/").count
        return Cgroup(path: relative, id: UInt64(info.st_ino), level: UInt8(clamping: level))
    }

    /// The verdict for a process seen in /proc (a listener older than the session).
    public func admits(pid: UInt32, comm: String) -> Bool {
        if let wanted = self.pid, wanted != pid { return false }
        if let wanted = self.comm, wanted != comm { return false }
        if let cgroup {
            guard let path = Self.cgroupPath(ofProcess: pid) else { return false }
            return cgroup.path == "/" || path == cgroup.path || path.hasPrefix(cgroup.path + "/")
        }
        return true
    }

    /// The process's cgroup v2 path ("0::/path" in /proc/PID/cgroup): how a
    /// listener's owner is shown as a container or service.
    public static func cgroupPath(ofProcess pid: UInt32) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("0::") {
            return String(line.dropFirst(3))
        }
        return nil
    }
}

/// Which flows to trace by address: the address family and the local address
/// they arrive on. Checked in the kernel for every flow; a wildcard listener
/// passes the address filter itself, its flows are filtered one by one.
public struct AddressFilter: Sendable, Equatable {
    public var family: AddressFamily?
    public var localAddress: IPAddress?

    public init(family: AddressFamily? = nil, localAddress: IPAddress? = nil) {
        self.family = family
        self.localAddress = localAddress
    }
}
