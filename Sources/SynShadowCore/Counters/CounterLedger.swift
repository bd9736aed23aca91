/// The model's own record, for one network namespace, of what the kernel's
/// counters should have done since a cut: the instant `trace --counters`
/// read the kernel's counters as its base.
///
/// The kernel moves a counter within microseconds of the step that shows
/// it, while the model decides later ("nothing followed" waits out the
/// settle window; the stream is read in drains). So every claim is placed by
/// the time of the step it is about, not by when it was decided: a step
/// before the cut belongs to the base whenever it is decided, and one so
/// close to the cut that the base may or may not hold it is kept apart as
/// *ambiguous*, so the comparison can give it either side.
public struct CounterLedger: Sendable {
    /// The namespace whose claims are counted (nsfs inode).
    public let netns: UInt32
    /// Event time (CLOCK_MONOTONIC ns) of the base reading.
    public let cut: UInt64
    /// How far a step's record may be from its counter increment.
    public let eventSkew: UInt64
    /// Claims decided clearly after the cut: the base cannot hold them.
    public private(set) var settled = CounterClaims()
    /// Claims decided so close to the cut that the base may hold them.
    public private(set) var ambiguous = CounterClaims()
    /// Times since the cut the model could not count something it should
    /// have (lost events, evicted flows, withheld inferences, an
    /// unknowable cookie-or-drop): while non-zero, nothing can be asserted.
    public private(set) var doubts: UInt64 = 0

    public init(netns: UInt32, cut: UInt64, eventSkew: UInt64) {
        self.netns = netns
        self.cut = cut
        self.eventSkew = eventSkew
    }

    /// Every claim, certain or not.
    public var total: CounterClaims { settled + ambiguous }

    /// A finding about the step stamped at `time` claims `counters`.
    mutating func claim(_ counters: [KernelCounter], at time: UInt64) {
        guard time &+ eventSkew >= cut else { return }  // the base holds it
        let ambiguousToo = time < cut &+ eventSkew
        for counter in counters {
            if ambiguousToo { ambiguous.add(counter) } else { settled.add(counter) }
        }
    }

    /// A child the kernel stamped at `time`: TcpPassiveOpens moved just before.
    mutating func countChild(at time: UInt64) {
        claim([.passiveOpens], at: time)
    }

    /// A verdict that may or may not have moved `counters` (a cross-CPU race
    /// the stream cannot resolve): they excuse a shortfall, never an excess.
    mutating func claimPossibly(_ counters: [KernelCounter], at time: UInt64) {
        guard time &+ eventSkew >= cut else { return }
        for counter in counters { ambiguous.add(counter) }
    }

    /// The race was decided after all: its possible claims go (the
    /// decided side is claimed as usual).
    mutating func withdrawPossibly(_ counters: [KernelCounter], at time: UInt64) {
        guard time &+ eventSkew >= cut else { return }
        for counter in counters { ambiguous.add(counter, count: -1) }
    }

    mutating func doubt() { doubts &+= 1 }
}
