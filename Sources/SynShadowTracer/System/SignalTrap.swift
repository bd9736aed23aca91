#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// SIGINT, SIGTERM, SIGHUP and SIGQUIT ask the trace loop to stop; the loop
/// then closes the session, which detaches every program, and prints its
/// summary. A second signal exits at once (the BPF links are file
/// descriptors, so the kernel detaches them anyway). SIGPIPE is ignored: a
/// closed output shows up as EPIPE where it is written, and stops the run
/// the same orderly way.
public enum SignalTrap {
    private static let requested = Atomic<Int32>(0)
    private static let hangUps = Atomic<Int32>(0)

    /// `reloadingOnHangUp` (`synshadow service`): SIGHUP asks for a reload
    /// (`takeHangUp()`) instead of a stop.
    public static func install(reloadingOnHangUp: Bool = false) {
        let handler: @convention(c) (Int32) -> Void = { signal in
            if SignalTrap.requested.exchange(signal, ordering: .relaxed) != 0 {
                _exit(128 + signal)
            }
        }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = handler
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0  // no SA_RESTART: a blocking poll returns EINTR at once
        for signal in stopSignals { sigaction(signal, &action, nil) }
        if reloadingOnHangUp {
            action.__sigaction_handler.sa_handler = { _ in SignalTrap.hangUps.add(1, ordering: .relaxed) }
            sigaction(SIGHUP, &action, nil)
        }
        signal(SIGPIPE, SIG_IGN)
        // A parent may hand us these signals blocked (some process launchers do).
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signal in stopSignals { sigaddset(&unblock, signal) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }

    /// For the time before `install()`, and for commands that never install
    /// it (validate, bench, replay): SIGQUIT and SIGHUP end the process as
    /// SIGTERM does, at once. SIGQUIT's default would otherwise run the
    /// Swift runtime's crash backtracer for seconds ("Program crashed") with
    /// every probe still attached.
    public static func endOnQuitAndHangUp() {
        let handler: @convention(c) (Int32) -> Void = { signal in _exit(128 + signal) }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = handler
        sigemptyset(&action.sa_mask)
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signal in [SIGQUIT, SIGHUP] {
            sigaction(signal, &action, nil)
            sigaddset(&unblock, signal)
        }
        // A launcher may hand them over blocked: see `install()`.
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }

    private static let childGroup = Atomic<Int32>(0)

    /// For a run that starts a child's process group on our behalf (a qemu
    /// guest's run.sh, its timeout and qemu): a stop signal ends the group
    /// named by `endWithUs` before it ends us. Orphaned, a guest would run on
    /// for its whole timeout. Call before starting the child, which then
    /// inherits the stop signals unblocked (a launcher may hand them over
    /// blocked, and a guest that ignores SIGTERM outlives us all the same).
    public static func installEndingChildGroup() {
        let handler: @convention(c) (Int32) -> Void = { signal in
            let group = SignalTrap.childGroup.load(ordering: .relaxed)
            if group > 0 { kill(-group, SIGTERM) }
            _exit(128 + signal)
        }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = handler
        sigemptyset(&action.sa_mask)
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signal in stopSignals {
            sigaction(signal, &action, nil)
            sigaddset(&unblock, signal)
        }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }

    /// The process group a stop signal ends with us (see
    /// `installEndingChildGroup`); nil once it has ended by itself.
    public static func endWithUs(processGroup group: Int32?) {
        childGroup.store(group ?? 0, ordering: .relaxed)
    }

    /// Signals that end a run in order (SIGQUIT too: its default, a core
    /// dump and a backtrace, would leave probes attached for seconds).
    public static let stopSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]

    /// Whether SIGHUP arrived since the last call (with `reloadingOnHangUp`).
    public static func takeHangUp() -> Bool {
        hangUps.exchange(0, ordering: .relaxed) != 0
    }

    /// The signal that asked to stop, or nil.
    public static var stopSignal: Int32? {
        let value = requested.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }
}
