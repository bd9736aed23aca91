#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SynShadowCore
import SynShadowTestbed
import SynShadowTracer

/// What `--cgroup` costs inside and outside the chosen cgroup: SynShadow
/// traces a cgroup the bench makes ("traced"), its cgroup programs attached
/// there, while the interleaved load runs first inside it, then in a
/// sibling ("other"). The bench process itself moves into each in turn
/// (its sockets take the cgroup of the thread that creates them) and back
/// where it was at the end; both cgroups are removed.
struct CgroupScopeCost {
    struct Result {
        var chosen: InterleavedOverhead.Result
        var other: InterleavedOverhead.Result
        var attachedAt: String
    }

    func measure(tier: Tier?, pairs: Int, clients: Int) throws -> Result {
        let root = try Preflight.cgroupRoot()
        let base = "\(root)/synshadow-bench-\(getpid())"
        let traced = base + "/traced"
        let other = base + "/other"
        let home = root + (OwnerFilter.cgroupPath(ofProcess: UInt32(getpid())) ?? "/")
        for directory in [base, traced, other] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        }
        defer {
            try? Self.move(into: home)
            for directory in [traced, other, base] { rmdir(directory) }
        }
        var configuration = LiveTracer.Configuration(tier: tier)
        configuration.ownerFilter = OwnerFilter(cgroup: try OwnerFilter.cgroup(named: traced, root: root))
        let tracer = try LiveTracer(configuration: configuration)
        defer { tracer.close() }
        _ = try tracer.start(into: CollectingConsumer())
        try Self.move(into: traced)
        let chosen = try InterleavedOverhead().measure(tracer: tracer, pairs: pairs, clients: clients)
        try Self.move(into: other)
        let outside = try InterleavedOverhead().measure(tracer: tracer, pairs: pairs, clients: clients)
        return Result(chosen: chosen, other: outside, attachedAt: tracer.attachment.attachAt)
    }

    /// Moves this whole process (every thread) into `directory`.
    private static func move(into directory: String) throws {
        do {
            try "0".write(toFile: directory + "/cgroup.procs", atomically: false, encoding: .utf8)
        } catch {
            throw SessionError("bench: cannot move into the cgroup \(directory): \(error)")
        }
    }
}
