/// The shadow passive-open model: feed it the kernel's events in stream
/// order, take out findings. One event costs O(1) time and no allocation
/// unless something is found; time comes only from event timestamps, so a
/// replay of the same events gives the same findings.
///
/// Not thread-safe: drive one model from one task or thread.
public final class ShadowModel {
    /// Unchecked: every access is one call of this class, which is not
    /// thread-safe anyway, and none re-enters another; the runtime check
    /// (begin/end access, thread-local bookkeeping) cost ~5% per event.
    @exclusivity(unchecked) private var core: ModelCore
    /// `takeListenerChanges`'s buffer, kept between calls.
    private var changes: [ListenerChange] = []

    public init(configuration: ModelConfiguration) {
        core = ModelCore(configuration: configuration)
    }

    public var configuration: ModelConfiguration { core.configuration }

    /// Counts a finding made beside the model (`counter-mismatch`, from the
    /// counters cross-check) in `statistics`, as its own findings are.
    public func countFinding(madeBeside kind: FindingKind) {
        core.tallies.findings[Int(kind.rawValue)] &+= 1
    }

    /// Changes the accept() threshold for children accepted from now on
    /// (`synshadow service` applies a reloaded configuration without a new model).
    public func setAcceptLatencyThreshold(_ nanoseconds: UInt64) {
        core.configuration.acceptLatencyThreshold = nanoseconds
    }

    /// Consumes one event.
    public func process(_ event: KernelEvent) {
        core.process(event)
    }

    /// Consumes events in order.
    public func process<Events: Sequence<KernelEvent>>(contentsOf events: Events) {
        for event in events { core.process(event) }
    }

    /// Reports that `count` events were lost (ring buffer full), stamped
    /// between the model's time now and `timestamp`; model time does not
    /// move. Flows with a step in that span are not judged, every listener
    /// becomes uncertain until the stream is past it and its queue figures
    /// agree twice in a row, and findings a lost event could have caused are
    /// withdrawn if still held. `OrderedFeed` calls this at the right place.
    public func noteLoss(count: UInt64, at timestamp: UInt64) {
        core.noteLoss(count: count, at: timestamp)
    }

    /// Moves event time forward while no events arrive (an idle live stream),
    /// so decisions and findings come out on time. Record the same ticks in a
    /// trace (`TraceFileWriter.writeClock`) for an identical replay.
    public func advance(to timestamp: UInt64) {
        core.advance(to: timestamp)
    }

    /// Ends the stream: takes every pending "nothing followed" decision and
    /// releases all findings.
    public func finish() {
        core.finish()
    }

    /// Findings released so far, in decision order; each is returned once.
    public func takeFindings() -> [Finding] {
        core.takeFindings()
    }

    /// Every listener the model holds (closed ones until it forgets them),
    /// with counts since tracing began, queue figures and latencies. Cheap
    /// enough for once a second; not meant per event.
    public func listenerActivity() -> [ListenerActivity] {
        core.listenerActivity()
    }

    /// Whether the model notes which listeners' figures change, for
    /// `takeListenerChanges` (off by default: a live run does not pay for it).
    /// Set it before the first event.
    public var tracksListenerChanges: Bool {
        get { core.activity.tracksChanges }
        set { core.activity.tracksChanges = newValue }
    }

    /// With `tracksListenerChanges`: every listener whose figures changed
    /// since the last call (each once, with its figures now), after the
    /// listeners the model forgot meanwhile. Read it after each event to see
    /// every step of every queue (`Replay.run`'s observer does).
    public func takeListenerChanges(_ body: (ListenerChange) -> Void) {
        // Taken out first: `body` may read the model (findingCount, listenerActivity).
        core.takeListenerChanges(into: &changes)
        guard !changes.isEmpty else { return }
        var index = 0
        while index < changes.count {
            body(changes[index])
            index += 1
        }
        changes.removeAll(keepingCapacity: true)
    }

    /// What the listener in `slot` has been doing (a closed listener the
    /// model freed answers until its slot is reused); nil for a slot that
    /// never held one.
    public func listenerActivity(slot: UInt32) -> ListenerActivity? {
        guard core.listeners.hasHeld(slot) else { return nil }
        return core.activity(of: slot)
    }

    /// Findings of one kind decided for the listener in `slot` (reported,
    /// withheld or over the limit); 0 for a slot that never held one.
    public func findingCount(slot: UInt32, kind: FindingKind) -> UInt64 {
        guard core.listeners.hasHeld(slot) else { return 0 }
        return core.activity.findingCount(slot, kind)
    }

    /// Starts (or restarts) counting, for namespace `netns`, what the kernel's
    /// counters should do from event time `cut` on (`trace --counters`).
    /// `eventSkew` is how far a step's record may be from its counter increment.
    public func startCounterLedger(netns: UInt32, at cut: UInt64, eventSkew: UInt64) {
        core.ledger = CounterLedger(netns: netns, cut: cut, eventSkew: eventSkew)
    }

    /// How long after a step's record the model may still decide it: every
    /// step stamped before `now - decisionDelay` has been decided.
    public var decisionDelay: UInt64 { core.verdictWait &+ core.configuration.raceWindow }

    /// The claims counted since `startCounterLedger`, nil before.
    public var counterLedger: CounterLedger? { core.ledger }

    /// The sysctls of network namespace `netns`, as read from inside it: its
    /// listeners are judged by them from now on (the configured settings
    /// stand for namespaces never named here).
    public func setKernelSettings(_ settings: KernelSettings, forNamespace netns: UInt32) {
        core.namespaceSettings[netns] = settings
    }

    /// The sysctls the model judges namespace `netns` by.
    public func kernelSettings(forNamespace netns: UInt32) -> KernelSettings {
        core.namespaceSettings[netns] ?? core.configuration.kernel
    }

    /// Counters of events, findings, loss and eviction.
    public var statistics: ModelStatistics { core.statistics }

    /// The memory the model holds now.
    public var memoryFootprint: MemoryFootprint { core.memoryFootprint }

    /// Event time as the model sees it (latest timestamp).
    public var now: UInt64 { core.now }
}
