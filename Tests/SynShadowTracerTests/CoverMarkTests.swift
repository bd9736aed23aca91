import CoverMark
import SynShadowTestbed
import Testing

/// How the cover of a primary/cover pair (bpf/cover.bpf.h) knows the kernel
/// skipped the primary: the same C the BPF programs run, driven through the
/// nestings one CPU goes through. A softirq may interrupt a task's call of
/// the hook anywhere, in either program or between them; the kernel skips a
/// program nested in itself and runs the other. Whatever the nesting, no
/// event may be taken twice (a listener closed twice, a drop counted twice:
/// false findings), and every event taken by neither program must be in the
/// loss the loader reports, the primary's skipped runs less the covered ones.
@Suite struct CoverMarkTests {
    /// Where, in one call of the hook, nested calls interrupt it. "Outside"
    /// is the kernel's own entry and exit around the program.
    enum Point: CaseIterable {
        case inPrimaryOutsideItsMark, inPrimary, inPrimaryAfterItsMark, betweenPrograms
        case inCoverOutside, inCover, inCoverAfterItsLastStep
    }

    /// One call of the hook (its arguments), and what interrupts it where.
    final class Call {
        let key: UInt64
        let detail: UInt64
        var interruptions: [Point: [Call]] = [:]
        init(key: UInt64 = UInt64.random(in: 1...UInt64.max), detail: UInt64 = 7) {
            self.key = key
            self.detail = detail
        }
    }

    /// One CPU: its mark, which program runs, and what the kernel counted.
    /// A call interrupting another runs one context level higher (a task's
    /// call interrupted by a softirq's); `knowsLevels` false is a kernel
    /// where the programs cannot read the level.
    struct CPU {
        var knowsLevels = true
        var level: Int32 = 0
        var mark = cover_mark()
        var primaryRunning = false
        var coverRunning = false
        var taken: [ObjectIdentifier: Int] = [:]
        var calls = 0
        /// bpf_prog_info.recursion_misses of the primary.
        var primarySkips = 0
        /// The cover's `covered_runs`.
        var covered = 0
        /// Calls nested in the primary and in the cover at once.
        var bothSkipped = 0

        mutating func execute(_ call: Call) {
            calls += 1
            if primaryRunning && coverRunning { bothSkipped += 1 }
            if primaryRunning {
                primarySkips += 1
            } else {
                primaryRunning = true
                interrupt(call, at: .inPrimaryOutsideItsMark)
                cover_mark_primary_start(&mark)
                interrupt(call, at: .inPrimary)
                taken[ObjectIdentifier(call), default: 0] += 1
                cover_mark_primary_end(&mark, seenLevel, call.key, call.detail)
                interrupt(call, at: .inPrimaryAfterItsMark)
                primaryRunning = false
            }
            interrupt(call, at: .betweenPrograms)
            if !coverRunning {
                coverRunning = true
                interrupt(call, at: .inCoverOutside)
                cover_mark_cover_start(&mark)
                if cover_mark_primary_skipped(&mark, seenLevel, call.key, call.detail) {
                    covered += 1
                    taken[ObjectIdentifier(call), default: 0] += 1
                }
                interrupt(call, at: .inCover)
                cover_mark_cover_end(&mark, seenLevel)
                interrupt(call, at: .inCoverAfterItsLastStep)
                coverRunning = false
            }
        }

        private var seenLevel: Int32 { knowsLevels ? level : SS_COVER_LEVEL_UNKNOWN }

        private mutating func interrupt(_ call: Call, at point: Point) {
            level += 1
            for nested in call.interruptions[point] ?? [] { execute(nested) }
            level -= 1
        }

        /// Calls taken by neither program (`taken` reset with `calls`).
        var untaken: Int { calls - taken.count }
        var takenTwice: Int { taken.values.filter { $0 > 1 }.count }
    }

    /// A task closing a listener, and between its two programs a softirq
    /// changing the state of four sockets (loopback FINs, say). The cover
    /// used to look for a receipt the primary left, in four slots handed out
    /// in turn: the four nested receipts wrote over the task's, and the
    /// cover took the listener's close a second time (seen in the 6.12
    /// guest as "listener closed twice").
    @Test(arguments: [true, false])
    func aSoftirqOfManyStateChangesBetweenTheProgramsDoesNotDuplicateTheTasksEvent(knowsLevels: Bool) {
        let close = Call()
        close.interruptions[.betweenPrograms] = (1...4).map { _ in Call() }
        var cpu = CPU()
        cpu.knowsLevels = knowsLevels
        cpu.execute(close)
        #expect(cpu.takenTwice == 0)
        #expect(cpu.untaken == 0)
        #expect(cpu.taken.count == 5)
    }

    /// A softirq interrupting the primary's work: the kernel skips the
    /// primary for it, and the cover takes it.
    @Test func aCallInsideThePrimaryIsTheCovers() {
        let task = Call()
        task.interruptions[.inPrimary] = [Call(), Call()]
        var cpu = CPU()
        cpu.execute(task)
        #expect(cpu.primarySkips == 2)
        #expect(cpu.covered == 2)
        #expect(cpu.untaken == 0 && cpu.takenTwice == 0)
    }

    /// A call in the kernel's own entry to or exit from the primary, outside
    /// its mark: the receipt of its level says the primary did not take it,
    /// and the cover does.
    @Test func aCallAtThePrimarysEdgeIsTheCovers() {
        let task = Call()
        task.interruptions[.inPrimaryOutsideItsMark] = [Call()]
        task.interruptions[.inPrimaryAfterItsMark] = [Call()]
        var cpu = CPU()
        cpu.execute(task)
        #expect(cpu.untaken == 0 && cpu.takenTwice == 0)
        #expect(cpu.covered == 2)
    }

    /// Where the level cannot be read, the book of receipts does the same.
    @Test func withoutLevelsTheBookCoversThePrimarysEdgeToo() {
        let task = Call()
        task.interruptions[.inPrimaryOutsideItsMark] = [Call()]
        task.interruptions[.inPrimaryAfterItsMark] = [Call()]
        task.interruptions[.betweenPrograms] = (1...6).map { _ in Call() }
        var cpu = CPU()
        cpu.knowsLevels = false
        cpu.execute(task)
        #expect(cpu.untaken == 0 && cpu.takenTwice == 0)
        #expect(cpu.covered == 2)
    }

    /// The book's limit, stated: more calls than it holds, all nested in
    /// the few instructions before a cover's first step, overrun it. The
    /// loader's duplicated-events count (covered beyond skipped) shows it.
    @Test func withoutLevelsAnOverrunBookIsSeenAsDuplicates() {
        let task = Call()
        task.interruptions[.inCoverOutside] = (0..<Int(SS_COVER_BOOK)).map { _ in Call() }
        var cpu = CPU()
        cpu.knowsLevels = false
        cpu.execute(task)
        #expect(cpu.takenTwice == 1)
        #expect(cpu.covered > cpu.primarySkips)
    }

    /// Random nestings, four levels deep (the hooks fire in tasks and
    /// softirqs; hardirqs and NMIs for good measure): never an event taken twice, and the loader's
    /// loss (skipped less covered) is exactly the events nobody took.
    /// Reading levels, with arguments that never recur, those are only the
    /// calls the kernel skipped both programs for (nested in the primary
    /// and in the cover at once). With arguments that recur from round to
    /// round (the same socket and transition again), a receipt whose cover
    /// the kernel skipped may pass for a later call's: a counted loss,
    /// never a duplicate.
    /// Without levels (the book), the nestings are a real CPU's: a task and
    /// the softirqs interrupting it.
    @Test(arguments: [(0, true, false), (1, true, false), (2, true, true), (3, true, true), (4, false, true), (5, false, false)]
        as [(UInt64, Bool, Bool)])
    func noEventIsTakenTwiceAndEveryUntakenOneIsCounted(seed: UInt64, knowsLevels: Bool, argumentsRecur: Bool) {
        var random = SplitMix64(seed: seed)
        var cpu = CPU()
        cpu.knowsLevels = knowsLevels
        var fresh: UInt64 = 1
        for round in 0..<2_000 {
            // One round's calls are alive together, so their identities are distinct.
            var keys: [UInt64]
            if argumentsRecur {
                keys = Array(1...64 as ClosedRange<UInt64>).shuffled(using: &random)
            } else {
                keys = Array(fresh..<fresh + 4_096)
                fresh += 4_096
            }
            let top = randomCall(depth: 0, deepest: knowsLevels ? 3 : 1, keys: &keys, using: &random)
            let before = cpu
            cpu.taken = [:]
            cpu.bothSkipped = 0
            cpu.execute(top)
            let untaken = (cpu.calls - before.calls) - cpu.taken.count
            let reported = (cpu.primarySkips - before.primarySkips) - (cpu.covered - before.covered)
            let exact = knowsLevels && !argumentsRecur
            if cpu.takenTwice > 0 || untaken != reported || (exact && untaken != cpu.bothSkipped) {
                Issue.record(
                    Comment(rawValue: "seed \(seed), round \(round): \(cpu.takenTwice) taken twice; \(untaken) untaken, the loader would say \(reported), \(cpu.bothSkipped) skipped by both"))
                return
            }
        }
        #expect(cpu.calls > 10_000)
        #expect(cpu.covered > 0)
    }

    /// Keys are distinct within a call's nesting (two calls nested on one
    /// CPU never share a socket and transition) and recur from round to round.
    private func randomCall(depth: Int, deepest: Int, keys: inout [UInt64], using random: inout SplitMix64) -> Call {
        let call = Call(key: keys.popLast() ?? 1_000 + random.next() % 1_000_000, detail: random.next() % 4)
        // At most four levels, as a CPU has: task, softirq, hardirq, NMI.
        guard depth < deepest else { return call }
        for point in Point.allCases where random.next() % (depth == 0 ? 3 : 6) == 0 {
            call.interruptions[point] = (0..<(1 + random.next() % 5)).map { _ in
                randomCall(depth: depth + 1, deepest: deepest, keys: &keys, using: &random)
            }
        }
        return call
    }
}
