import ArgumentParser
import Foundation
import SynShadowTracer

/// Filters that would attach and then trace nothing are refused at parse
/// time, before anything loads, with what was wrong: a `--netns` that is no
/// network namespace, a `--pid` with no such process, or one that can own no
/// listener.
enum FilterCheck {
    /// `--netns`: the inode of the network namespace a file or an inode number names.
    static func networkNamespace(_ text: String) throws -> UInt32 {
        if text.allSatisfy(\.isNumber), let inode = UInt32(text) {
            guard inode > 0, NetworkNamespace.all().contains(where: { $0.inode == inode }) else {
                throw ValidationError(
                    "--netns \(text): no network namespace has inode \(text) (none of /proc/*/ns/net and /run/netns/*); "
                        + "give the namespace's file instead")
            }
            return inode
        }
        do {
            return try NetworkNamespace.inode(ofNamespaceFile: text)
        } catch {
            throw ValidationError("--netns \(text.terminalSafe): \(error.cause.terminalSafe)")
        }
    }

    /// `--pid`: a process that exists and can own a listener. Kernel threads
    /// are refused: they hold no file descriptors and no user-space server
    /// runs in one, and in-kernel servers (ksmbd) open their listeners from
    /// short-lived kworkers, so a kernel thread's pid matches no listener
    /// (filter those by --port). A thread id other than its process's is
    /// refused with the process's id: listeners belong to processes.
    static func process(_ pid: Int) throws {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else {
            throw ValidationError("--pid \(pid): no such process")
        }
        let comm = stat[stat.index(after: stat.firstIndex(of: "(") ?? stat.startIndex)..<close]
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // Field 9 of /proc/PID/stat, the 7th after the name: the task's flags.
        let processFlagKernelThread: UInt64 = 0x0020_0000
        if fields.count > 6, let flags = UInt64(fields[6]), flags & processFlagKernelThread != 0 {
            throw ValidationError(
                "--pid \(pid): \(String(comm).terminalSafe) is a kernel thread, which owns no listener a --pid filter can "
                    + "match; give a user-space server's pid (pgrep -o NAME), or use --port for an in-kernel server")
        }
        if let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Tgid:") }),
            let process = Int(line.dropFirst("Tgid:".count).trimmingCharacters(in: .whitespaces)), process != pid
        {
            throw ValidationError("--pid \(pid): a thread of process \(process); give the process id, --pid \(process)")
        }
    }
}
