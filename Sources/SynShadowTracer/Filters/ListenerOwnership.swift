import Foundation

/// Finds which process owns a socket inode by walking /proc/*/fd: listeners
/// that existed before tracing began have no listen() event to tell us.
public struct ListenerOwnership {
    public struct Owner: Sendable, Equatable {
        public var pid: UInt32
        public var comm: String
    }

    private var owners: [UInt64: Owner] = [:]

    /// Scans every process once; cost is proportional to open descriptors.
    public init() {
        let fileManager = FileManager.default
        guard let entries = try? fileManager.contentsOfDirectory(atPath: "/proc") else { return }
        for entry in entries {
            guard let pid = UInt32(entry) else { continue }
            let fdDirectory = "/proc/\(entry)/fd"
            guard let fds = try? fileManager.contentsOfDirectory(atPath: fdDirectory) else { continue }
            var comm: String?
            for fd in fds {
                guard let target = try? fileManager.destinationOfSymbolicLink(atPath: "\(fdDirectory)/\(fd)"),
                    target.hasPrefix("socket:["), target.hasSuffix("]"),
                    let inode = UInt64(target.dropFirst(8).dropLast())
                else { continue }
                if owners[inode] != nil { continue }
                if comm == nil {
                    comm = (try? String(contentsOfFile: "/proc/\(entry)/comm", encoding: .utf8))?
                        .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
                }
                owners[inode] = Owner(pid: pid, comm: comm ?? "?")
            }
        }
    }

    public func owner(ofSocketInode inode: UInt64) -> Owner? { owners[inode] }
}
