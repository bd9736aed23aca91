import SynShadowTracer
import Testing

/// A listening socket held by several processes (nginx's master and the
/// workers it forked) passes an owner filter when any holder does. Seen
/// here: `trace --pid <nginx master>` traced nothing once, because /proc
/// listed a worker first (pids wrap at 32,768 on this machine, so a worker
/// can have a lower pid than its master) and only the first holder found
/// was asked.
@Suite struct ListenerOwnershipTests {
    private let inode: UInt64 = 4242
    private let master = ListenerOwnership.Owner(pid: 30_001, comm: "nginx")
    private let worker = ListenerOwnership.Owner(pid: 120, comm: "nginx")

    @Test func aListenerPassesThePidFilterWhenItsMasterHoldsItAfterAWorker() throws {
        let ownership = ListenerOwnership(holders: [inode: [worker, master]])
        let verdict = try #require(ownership.owner(ofSocketInode: inode, filter: OwnerFilter(pid: master.pid)))
        #expect(verdict.wanted)
        #expect(verdict.owner == master)
    }

    @Test func aListenerNoHolderOfIsTurnedAwayAndNamedByItsLowestPid() throws {
        let ownership = ListenerOwnership(holders: [inode: [master, worker]])
        let verdict = try #require(ownership.owner(ofSocketInode: inode, filter: OwnerFilter(comm: "haproxy")))
        #expect(!verdict.wanted)
        #expect(verdict.owner == worker)
        #expect(ownership.owner(ofSocketInode: inode + 1, filter: OwnerFilter()) == nil)
    }
}
