#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// CPU time (user and system) of the calling thread, or of another
/// process's threads: what a benchmark charges to SynShadow's user space.
enum ThreadCPU {
    /// The calling thread's CPU time so far.
    static func nanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// Every thread of process `pid` so far, from the scheduler's own
    /// accounting in nanoseconds (/proc/PID/task/*/schedstat, first field;
    /// /proc's tick counts are 10 ms coarse). Threads that exited meanwhile
    /// are missed: the bench reads only processes whose threads all live
    /// as long as they do.
    static func nanoseconds(ofProcess pid: Int32) -> UInt64 {
        var total: UInt64 = 0
        guard let tasks = opendir("/proc/\(pid)/task") else { return 0 }
        defer { closedir(tasks) }
        while let entry = readdir(tasks) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name.first?.isNumber == true,
                let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(name)/schedstat", encoding: .utf8),
                let first = text.split(separator: " ").first, let value = UInt64(first)
            else { continue }
            total += value
        }
        return total
    }
}
