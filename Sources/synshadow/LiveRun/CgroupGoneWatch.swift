#if canImport(Glibc)
import Glibc
#endif
import SynShadowTracer

/// Notices when the cgroup `--cgroup` attached at goes away: a systemd
/// service restarted gets a new directory (a new inode) under the same
/// name, and the programs attached at the old one see nothing of it. Said
/// once, loudly, instead of tracing nothing in silence.
struct CgroupGoneWatch {
    let directory: String
    let id: UInt64
    private var nextCheck: UInt64 = 0
    private(set) var reported = false

    init(directory: String, id: UInt64) {
        self.directory = directory
        self.id = id
    }

    /// At most once a second: whether the directory is gone or another now
    /// (true once, the first time).
    mutating func justWentAway(now: UInt64 = monotonicNanoseconds()) -> Bool {
        guard !reported, now >= nextCheck else { return false }
        nextCheck = now + 1_000_000_000
        var info = stat()
        if stat(directory, &info) == 0, UInt64(info.st_ino) == id { return false }
        reported = true
        return true
    }
}
