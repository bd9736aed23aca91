import CSynShadowSystem
import Foundation

extension NetworkNamespace {
    /// A namespace file for the namespace with this inode: some task's
    /// /proc/PID/task/TID/ns/net (a namespace named only by its number has
    /// no file of its own). nil when no task is in it.
    public static func path(ofInode inode: UInt32) -> String? {
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for pid in processes where pid.first?.isNumber == true {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
            for tid in tasks {
                let path = "/proc/\(pid)/task/\(tid)/ns/net"
                if NetworkNamespace.inode(ofPath: path) == inode { return path }
            }
        }
        return nil
    }
}

extension NetworkNamespace {
    /// Every network namespace on the machine, once each, with a file that
    /// names it: those of processes (containers included: their processes
    /// are in /proc), of this process's own threads (the self-check's), and
    /// the named ones under /run/netns that may have no process at all.
    public static func all() -> [(inode: UInt32, path: String)] {
        allWithPaths().map { ($0.inode, $0.paths[0]) }
    }

    /// The same, with every file found for each namespace, the lasting ones
    /// first: a name under /run/netns, then other processes', then this
    /// process's own threads. A thread or a process may be gone by the time
    /// its file is opened (SynShadow's own counter reader enters a namespace
    /// on a thread that exits at once), so a caller tries them in turn.
    public static func allWithPaths() -> [(inode: UInt32, paths: [String])] {
        var order: [UInt32] = []
        var paths: [UInt32: [String]] = [:]
        func add(_ path: String) {
            guard let inode = NetworkNamespace.inode(ofPath: path) else { return }
            if paths[inode] == nil { order.append(inode) }
            paths[inode, default: []].append(path)
        }
        let fileManager = FileManager.default
        for name in (try? fileManager.contentsOfDirectory(atPath: "/run/netns")) ?? [] {
            add("/run/netns/\(name)")
        }
        let own = String(getpid())
        for pid in (try? fileManager.contentsOfDirectory(atPath: "/proc")) ?? [] where pid.first?.isNumber == true && pid != own {
            add("/proc/\(pid)/ns/net")
        }
        add("/proc/thread-self/ns/net")
        for tid in (try? fileManager.contentsOfDirectory(atPath: "/proc/self/task")) ?? [] {
            add("/proc/self/task/\(tid)/ns/net")
        }
        return order.map { ($0, paths[$0] ?? []) }
    }

    /// Runs `body` with the calling thread inside the namespace at `path`,
    /// then puts the thread back where it was. False when it cannot enter.
    public static func inside(_ path: String, _ body: () throws -> Void) rethrows -> Bool {
        let home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        let target = open(path, O_RDONLY | O_CLOEXEC)
        defer {
            if home >= 0 { close(home) }
            if target >= 0 { close(target) }
        }
        guard home >= 0, target >= 0, ss_enter_network_namespace(target) == 0 else { return false }
        defer { _ = ss_enter_network_namespace(home) }
        try body()
        return true
    }
}

extension NetworkNamespace {
    /// The inode of the network namespace that the file at `path` names
    /// (/var/run/netns/NAME, /proc/PID/ns/net), or why it names none: a
    /// `--netns` filter that is not a network namespace would attach and
    /// trace nothing.
    public static func inode(ofNamespaceFile path: String) throws(SessionError) -> UInt32 {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw SessionError(String(cString: strerror(errno)))
        }
        // Namespace files are empty regular files of nsfs; nothing else is
        // opened (opening a device or a FIFO can act or block).
        guard info.st_mode & S_IFMT == S_IFREG else {
            let kind = info.st_mode & S_IFMT == S_IFDIR ? "a directory" : "not a regular file"
            throw SessionError("\(kind), not a network namespace file")
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw SessionError(String(cString: strerror(errno))) }
        defer { close(descriptor) }
        // Ask the kernel what the file is: /proc/PID/ns/net and the bind
        // mounts `ip netns` makes under /run/netns are both nsfs files.
        let type = ss_namespace_type(descriptor)
        guard UInt32(bitPattern: type) == SS_NAMESPACE_NET.rawValue else {
            guard type > 0 else { throw SessionError("a regular file, not a network namespace file") }
            throw SessionError("a \(namespaceName(type)) namespace, not a network namespace")
        }
        return UInt32(truncatingIfNeeded: info.st_ino)
    }

    /// The name /proc/PID/ns/ gives a namespace type.
    private static func namespaceName(_ type: Int32) -> String {
        let names: [UInt32: String] = [
            SS_NAMESPACE_MNT.rawValue: "mnt", SS_NAMESPACE_PID.rawValue: "pid", SS_NAMESPACE_UTS.rawValue: "uts",
            SS_NAMESPACE_IPC.rawValue: "ipc", SS_NAMESPACE_USER.rawValue: "user",
            SS_NAMESPACE_CGROUP.rawValue: "cgroup", SS_NAMESPACE_TIME.rawValue: "time",
        ]
        return names[UInt32(bitPattern: type)] ?? "non-network"
    }
}
