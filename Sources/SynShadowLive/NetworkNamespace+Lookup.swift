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
