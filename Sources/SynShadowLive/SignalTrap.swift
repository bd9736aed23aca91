#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// SIGINT and SIGTERM ask the trace loop to stop; the loop then closes the
/// session, which detaches every program. A second signal exits at once
/// (the BPF links are file descriptors, so the kernel detaches them anyway).
public enum SignalTrap {
    private static let requested = Atomic<Int32>(0)

    public static func install() {
        let handler: @convention(c) (Int32) -> Void = { signal in
            if SignalTrap.requested.exchange(signal, ordering: .relaxed) != 0 {
                _exit(128 + signal)
            }
        }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = handler
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0  // no SA_RESTART: a blocking poll returns EINTR at once
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
        // A parent may hand us these signals blocked (some process launchers do).
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGINT)
        sigaddset(&unblock, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }

    /// The signal that asked to stop, or nil.
    public static var stopSignal: Int32? {
        let value = requested.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }
}
