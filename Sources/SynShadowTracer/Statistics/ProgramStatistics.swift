/// One BPF program's cost as the kernel measures it (`bpftool prog show`
/// prints the same): time spent inside it and how often it ran.
public struct ProgramStatistics: Sendable, Equatable {
    /// The kernel's name for it: at most 15 bytes of the function's name.
    public var name: String
    public var runTimeNanoseconds: UInt64
    public var runCount: UInt64
    /// Runs the kernel skipped because the program was already running on
    /// that CPU.
    public var recursionMisses: UInt64

    public init(name: String, runTimeNanoseconds: UInt64, runCount: UInt64, recursionMisses: UInt64 = 0) {
        self.name = name
        self.runTimeNanoseconds = runTimeNanoseconds
        self.runCount = runCount
        self.recursionMisses = recursionMisses
    }

    /// What ran since `earlier` (the same program read before).
    public func since(_ earlier: ProgramStatistics) -> ProgramStatistics {
        ProgramStatistics(
            name: name, runTimeNanoseconds: runTimeNanoseconds &- earlier.runTimeNanoseconds,
            runCount: runCount &- earlier.runCount, recursionMisses: recursionMisses &- earlier.recursionMisses)
    }

    /// Two readings' worth of the same program added up.
    public func adding(_ other: ProgramStatistics) -> ProgramStatistics {
        ProgramStatistics(
            name: name, runTimeNanoseconds: runTimeNanoseconds &+ other.runTimeNanoseconds,
            runCount: runCount &+ other.runCount, recursionMisses: recursionMisses &+ other.recursionMisses)
    }

    public var nanosecondsPerRun: Double { runCount > 0 ? Double(runTimeNanoseconds) / Double(runCount) : 0 }
}
