import Dispatch

/// Runs async work from the synchronous command line and waits for it,
/// bounded: start-up and shutdown of the exporters are the only places the
/// (non-async) tracing command waits on them, never the drain loop.
enum BlockingWait {
    /// False when `seconds` passed first (the work carries on detached).
    @discardableResult
    static func run(seconds: Double, _ work: @escaping @Sendable () async -> Void) -> Bool {
        let done = DispatchSemaphore(value: 0)
        Task {
            await work()
            done.signal()
        }
        return done.wait(timeout: .now() + seconds) == .success
    }
}
