/// The model's own record, for one network namespace, of what the kernel's
/// counters should have done since a cut: the instant `trace --counters`
/// read the kernel's counters as its base.
///
/// The kernel moves a counter within microseconds of the event that shows
/// it, but the model decides some steps later ("nothing followed" waits out
/// the settle window; the consumer drains every 100 ms). A claim decided
/// shortly after the cut may therefore belong to a step the base reading
/// already counted: such claims are kept apart as *ambiguous*, so the
/// comparison can give them either side instead of crying wolf.
public struct CounterLedger: Sendable {
    /// The namespace whose claims are counted (nsfs inode).
    public let netns: UInt32
    /// Event time (CLOCK_MONOTONIC ns) of the base reading.
    public let cut: UInt64
    /// How long after its step the model may decide a finding.
    public let decisionLag: UInt64
    /// How far a child's event may be from its counter increment.
    public let eventSkew: UInt64
    /// Claims decided clearly after the cut: the base cannot hold them.
    public private(set) var settled = CounterClaims()
    /// Claims decided so close to the cut that the base may hold them.
    public private(set) var ambiguous = CounterClaims()
    /// Times since the cut the model could not count something it should
    /// have (lost events, evicted flows, withheld inferences, an
    /// unknowable cookie-or-drop): while non-zero, nothing can be asserted.
    public private(set) var doubts: UInt64 = 0

    public init(netns: UInt32, cut: UInt64, decisionLag: UInt64, eventSkew: UInt64) {
        self.netns = netns
        self.cut = cut
        self.decisionLag = decisionLag
        self.eventSkew = eventSkew
    }

    /// Every claim, certain or not.
    public var total: CounterClaims { settled + ambiguous }

    /// A finding decided at `time` (event time) claims `counters`.
    mutating func claim(_ counters: [KernelCounter], decidedAt time: UInt64) {
        guard time >= cut else { return }
        let ambiguousToo = time < cut &+ decisionLag
        for counter in counters {
            if ambiguousToo { ambiguous.add(counter) } else { settled.add(counter) }
        }
    }

    /// A child the kernel stamped at `time`: TcpPassiveOpens moved just before.
    mutating func countChild(at time: UInt64) {
        guard time >= cut else { return }
        if time < cut &+ eventSkew { ambiguous.add(.passiveOpens) } else { settled.add(.passiveOpens) }
    }

    mutating func doubt() { doubts &+= 1 }
}
