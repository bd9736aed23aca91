import Foundation

/// Finds which processes hold a socket inode by walking /proc/*/fd: listeners
/// that existed before tracing began have no listen() event to tell us.
///
/// A listening socket is often held by several processes at once (a master
/// and the workers it forked, a supervisor that passed it on), and the order
/// /proc lists them in says nothing about which is "the" owner: pids wrap
/// around, so a worker may list before its master. Every holder is kept.
public struct ListenerOwnership {
    public struct Owner: Sendable, Equatable {
        public var pid: UInt32
        public var comm: String

        public init(pid: UInt32, comm: String) {
            self.pid = pid
            self.comm = comm
        }
    }

    private var holders: [UInt64: [Owner]] = [:]

    /// Scans every process once; cost is proportional to open descriptors.
    public init() {
        let fileManager = FileManager.default
        guard let entries = try? fileManager.contentsOfDirectory(atPath: "/proc") else { return }
        for entry in entries {
            guard let pid = UInt32(entry) else { continue }
            let fdDirectory = "/proc/\(entry)/fd"
            guard let fds = try? fileManager.contentsOfDirectory(atPath: fdDirectory) else { continue }
            var comm: String?
            var seen: Set<UInt64> = []
            for fd in fds {
                guard let target = try? fileManager.destinationOfSymbolicLink(atPath: "\(fdDirectory)/\(fd)"),
                    target.hasPrefix("socket:["), target.hasSuffix("]"),
                    let inode = UInt64(target.dropFirst(8).dropLast()),
                    seen.insert(inode).inserted
                else { continue }
                if comm == nil {
                    comm = (try? String(contentsOfFile: "/proc/\(entry)/comm", encoding: .utf8))?
                        .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
                }
                holders[inode, default: []].append(Owner(pid: pid, comm: comm ?? "?"))
            }
        }
    }

    /// Holders given directly (tests).
    public init(holders: [UInt64: [Owner]]) {
        self.holders = holders
    }

    /// Every process holding the socket, lowest pid first.
    public func holders(ofSocketInode inode: UInt64) -> [Owner] {
        (holders[inode] ?? []).sorted { $0.pid < $1.pid }
    }

    /// The owner to name for the socket and whether the owner filter admits
    /// it: the first holder the filter admits (a listener passes when any
    /// process holding it does), else the lowest pid. nil when no process
    /// holds it.
    public func owner(ofSocketInode inode: UInt64, filter: OwnerFilter) -> (owner: Owner, wanted: Bool)? {
        let all = holders(ofSocketInode: inode)
        guard let first = all.first else { return nil }
        if let admitted = all.first(where: { filter.admits(pid: $0.pid, comm: $0.comm) }) {
            return (admitted, true)
        }
        return (first, false)
    }
}
