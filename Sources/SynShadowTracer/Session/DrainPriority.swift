#if canImport(Glibc)
import Glibc
#endif
import CSynShadowSystem

/// The drain must get the CPU it needs on a saturated server: a consumer
/// that falls behind loses kernel events, and lost events leave flows
/// unjudged. Linux keeps a nice value per thread, so only the calling
/// (draining) thread is raised; output and metrics threads stay at the
/// default and give way first.
public enum DrainPriority {
    /// The nice value the drain thread asks for (needs CAP_SYS_NICE, which root has).
    public static let nice: Int32 = -10

    /// Raises the calling thread; returns the nice value in force afterwards.
    @discardableResult
    public static func raiseCurrentThread() -> Int32 {
        let thread = id_t(ss_thread_id())
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), thread, nice)
        errno = 0
        let current = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), thread)
        return errno == 0 ? current : 0
    }
}
