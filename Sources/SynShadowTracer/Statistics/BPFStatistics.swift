#if canImport(Glibc)
import Glibc
#endif
import CSynShadowLoader

/// The kernel's BPF run-time statistics, on while this lives: every program
/// then counts its runs and the nanoseconds spent in them. They cost two
/// clock reads per run, so only a measurement (`synshadow bench`) turns
/// them on, never tracing itself.
public final class BPFStatistics {
    private var descriptor: Int32

    public init() throws(SessionError) {
        let status = ss_enable_bpf_stats()
        guard status >= 0 else {
            throw SessionError(
                "cannot turn on the kernel's BPF statistics: \(String(cString: strerror(-status)))",
                fix: "run as root (CAP_SYS_ADMIN); the kernel needs BPF_ENABLE_STATS (Linux 5.8 or later)")
        }
        descriptor = status
    }

    deinit { close() }

    public func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }

    /// SynShadow's programs loaded by any process since `bootNanoseconds`
    /// (CLOCK_BOOTTIME), summed: another process's session, seen from
    /// outside. Names start with "ss_" (bpf/synshadow.bpf.c).
    public static func synShadowPrograms(loadedSince bootNanoseconds: UInt64) -> ProgramStatistics {
        var runTime: UInt64 = 0
        var runs: UInt64 = 0
        _ = ss_bpf_programs_run_time("ss_", bootNanoseconds, &runTime, &runs)
        return ProgramStatistics(name: "ss_*", runTimeNanoseconds: runTime, runCount: runs)
    }

    /// Now on CLOCK_BOOTTIME, the clock of a program's load time.
    public static func bootNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_BOOTTIME, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
