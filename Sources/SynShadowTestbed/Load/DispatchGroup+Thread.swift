import Foundation

extension DispatchGroup {
    /// Runs `body` on a thread of its own (1 MiB stack) that the group
    /// waits for: load generators need real threads, not a pool's.
    func spawnThread(_ body: @escaping @Sendable () -> Void) {
        enter()
        let thread = Thread {
            body()
            self.leave()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
}
