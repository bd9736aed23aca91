import Foundation
import Glibc
import Testing

@testable import synshadow

/// A `--cgroup` directory removed and made again under the same name (a
/// restarted service) is noticed once.
@Suite struct CgroupGoneWatchTests {
    @Test func aDirectoryMadeAnewIsNoticedOnce() throws {
        let directory = NSTemporaryDirectory() + "synshadow-gone-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { rmdir(directory) }
        var info = stat()
        #expect(stat(directory, &info) == 0)
        var watch = CgroupGoneWatch(directory: directory, id: UInt64(info.st_ino))
        var wentAway = watch.justWentAway(now: 1)
        #expect(!wentAway)

        rmdir(directory)
        // Something else takes the old inode number first, so the new
        // directory cannot get it back by chance.
        let placeholder = directory + "-placeholder"
        try FileManager.default.createDirectory(atPath: placeholder, withIntermediateDirectories: false)
        defer { rmdir(placeholder) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        wentAway = watch.justWentAway(now: 2)
        #expect(!wentAway, "checked again before a second passed")
        wentAway = watch.justWentAway(now: 2_000_000_001)
        #expect(wentAway)
        wentAway = watch.justWentAway(now: 4_000_000_001)
        #expect(!wentAway, "said once only")
    }
}
