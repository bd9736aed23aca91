/// The shadow model's state and per-event logic. A ~Copyable value owned by
/// `ShadowModel`: one exclusive access per event, then plain memory work with
/// no reference counting, no allocation and no dynamic exclusivity checks.
///
/// Its rules are documented where they are implemented:
/// - flow steps: ModelCore+Handshake (SYN to request), ModelCore+Completion
///   (ACK, RST, child), ModelCore+AcceptQueue (accept, queued children);
/// - queue comparison and re-synchronisation: ModelCore+Queues;
/// - loss and eviction: ModelCore+Uncertainty; timers: ModelCore+Deadlines.
///
/// Speed: a call from a mutating method to a non-mutating one that is not
/// inlined passes `self` by value, and the compiler copies the whole core
/// (some 850 bytes) to the stack for it. The small helpers every handshake
/// step reads are therefore `@inline(__always)`.
struct ModelCore: ~Copyable {
    var configuration: ModelConfiguration
    let observesFunctions: Bool
    private let hookMask: UInt32
    let maximumRequestLifetime: UInt64
    /// The last handshakes that ended by inference (hash of the flow, time):
    /// a drop of the segment that ended one still concerns the passive open.
    var recentlyEnded = [(hash: UInt64, time: UInt64)](repeating: (0, 0), count: 64)
    var recentlyEndedNext = 0
    /// Sysctls per network namespace, where they differ from the configured ones.
    var namespaceSettings: [UInt32: KernelSettings] = [:]
    var flows: FlowTable
    var listeners: ListenerTable
    var deadlines = DeadlineQueues()
    /// Event time: the latest timestamp seen (or given to `advance`).
    var now: UInt64 = 0
    var firstEventTime: UInt64 = 0
    var hasEvents = false
    /// Bumped whenever some listener becomes unsure of its history; flows
    /// remember the epoch they were created in.
    var epoch: UInt32 = 1
    /// Events processed, to order queue checks against later steps.
    var sequence: UInt64 = 0
    var pendingChecks: [UInt32] = []
    /// Queued children that went to CLOSE (reset, or disposed of), by child
    /// id: from then on the kernel reports them with local port 0 (see
    /// `findChild`). Entries are checked against the flow on use.
    var closedChildren: [UInt64: UInt32] = [:]
    var nextCheckDue: UInt64 = .max
    /// The stream is over (`finish`): decisions are final, nothing waits.
    var finishing = false
    /// The slowest step seen so far between two records one softirq writes
    /// in a row (SYN -> request built -> request hashed; ACK -> child): the
    /// settle window follows it (see `settleWait`).
    var slowestSoftirqStep: UInt64 = 0
    /// The latest race-window close scheduled (its lane stays in time order).
    var lastRaceWindowDue: UInt64 = 0
    /// The CPU of the event being processed.
    var eventCPU: UInt16 = 0
    /// Flows dropped without a verdict: a function tier never reported the
    /// return of the call that decides them (see `abandon`).
    var undecidedFlows: UInt64 = 0
    /// Events were lost up to this time (see `noteLoss`): a flow with a step
    /// stamped at or before it may be missing steps.
    var lossHorizon: UInt64 = 0
    /// Findings waiting out `findingDelay` (a loss report may still withdraw them).
    var held: [Finding] = []
    var released: [Finding] = []
    var tallies = Tallies()
    /// Findings reported per listener slot and kind (for the per-listener limit).
    var findingCounts: [UInt32] = []
    var globalFindingCounts = [UInt32](repeating: 0, count: FindingKind.allCases.count)
    /// What each listener slot has been doing (for `top` and metrics).
    var activity = ListenerActivityTable()
    /// The counter claims of one namespace, when `trace --counters` asks (see CounterLedger).
    var ledger: CounterLedger?
    /// Listeners forgotten (their slots reused) since `takeListenerChanges`,
    /// while changes are tracked.
    var forgottenListeners: [(ListenerFigures, ListenerActivity)] = []

    init(configuration: ModelConfiguration) {
        self.configuration = configuration
        observesFunctions = configuration.tier != .tracepoint
        hookMask = configuration.tier.hookMask
        maximumRequestLifetime = configuration.maximumRequestLifetime
        var generator = SystemRandomNumberGenerator()
        flows = FlowTable(limit: configuration.maximumFlows, seed: configuration.hashSeed ?? generator.next())
        listeners = ListenerTable(limit: configuration.maximumListeners)
    }

    mutating func process(_ event: KernelEvent) {
        sequence &+= 1
        tallies.events &+= 1
        tallies.eventsByKind[Int(event.kind.rawValue) & 31] &+= 1
        guard hookMask & (1 &<< UInt32(event.hook.rawValue & 31)) != 0 else {
            tallies.eventsFromOtherTiers &+= 1
            return
        }
        if !hasEvents {
            hasEvents = true
            firstEventTime = event.timestamp
            now = event.timestamp
        }
        if event.timestamp > now { now = event.timestamp }
        if deadlines.nextDue <= now || nextCheckDue <= now { runDeadlines(until: now) }
        eventCPU = UInt16(truncatingIfNeeded: event.cpu)
        switch event.kind {
        case .listenStart: onListenStart(event)
        case .listenStop: onListenStop(event)
        case .snapshotListener: onSnapshotListener(event)
        case .snapshotRequest: onSnapshotRequest(event)
        case .snapshotChild: onSnapshotChild(event)
        case .requestDropped: onRequestDropped(event)
        case .syn: onSYN(event)
        case .connRequestDone: onConnRequestDone(event)
        case .requestCreated: onRequestCreated(event)
        case .requestQueued: onRequestQueued(event)
        case .synAckRetransmit: onRetransmit(event)
        case .ack: onACK(event)
        case .rst: onRST(event)
        case .checkRequestDone: onCheckRequestDone(event)
        case .cookieCheckDone: onCookieCheckDone(event)
        case .childCreated:
            if ledger?.netns == event.flow.netns { ledger?.countChild(at: event.timestamp) }
            onChildCreated(event)
        case .childState: onChildState(event)
        case .accept: onAccept(event)
        case .drop: onDrop(event)
        }
        if let first = held.first, first.timestamp &+ configuration.findingDelay <= now { releaseHeld() }
    }

    /// Moves event time forward without an event (an idle live stream).
    mutating func advance(to time: UInt64) {
        if time > now { now = time }
        runDeadlines(until: now)
        releaseHeld()
    }

    /// The stream is over: every "nothing followed" decision is taken now,
    /// children still queued past the latency threshold are reported, and all
    /// findings are released.
    mutating func finish() {
        finishing = true
        runDeadlines(until: now)
        while let deadline = deadlines.popFirst(.settle) { fire(.settle, deadline) }
        while let deadline = deadlines.popFirst(.accepted) { fire(.accepted, deadline) }
        settleChecks(until: .max)
        for slot in flows.liveSlots() {
            let record = flows.record(slot)
            guard record.pointee.state == .childQueued, listener(record.pointee.listener).pointee.isOpen else { continue }
            reportSlowAcceptIfDue(slot, acceptedAt: nil)
        }
        for finding in held { released.append(finding) }
        held.removeAll()
    }

    mutating func takeFindings() -> [Finding] {
        let taken = released
        released.removeAll(keepingCapacity: true)
        return taken
    }

    mutating func releaseHeld() {
        var count = 0
        for finding in held {
            guard finding.timestamp &+ configuration.findingDelay <= now else { break }
            released.append(finding)
            count += 1
        }
        if count > 0 { held.removeFirst(count) }
    }

    /// Every listener the model holds, with what it has been doing.
    func listenerActivity() -> [ListenerActivity] {
        listeners.liveSlots.map { activity(of: $0) }
    }

    /// What the listener in `slot` has been doing.
    func activity(of slot: UInt32) -> ListenerActivity {
        let record = listener(slot)
        var value = activity.snapshot(
            slot, listener: summary(of: slot), isOpen: record.pointee.isOpen,
            backlog: record.pointee.limitKnown ? record.pointee.limit : nil)
        value.modelRequestQueue = Int(record.pointee.requests)
        value.modelAcceptQueue = Int(record.pointee.children)
        return value
    }

    /// The plain figures of the listener in `slot` (no allocation).
    func figures(of slot: UInt32) -> ListenerFigures {
        let record = listener(slot)
        var figures = activity.figures(slot)
        figures.id = record.pointee.id
        figures.pid = record.pointee.ownerKnown ? record.pointee.pid : 0
        figures.isOpen = record.pointee.isOpen
        figures.backlog = record.pointee.limitKnown ? record.pointee.limit : nil
        figures.modelRequestQueue = Int(record.pointee.requests)
        figures.modelAcceptQueue = Int(record.pointee.children)
        return figures
    }

    /// Hands over what changed among the listeners since the last call:
    /// forgotten listeners first, then the figures of each changed one.
    mutating func takeListenerChanges(into changes: inout [ListenerChange]) {
        if !forgottenListeners.isEmpty {
            for (figures, activity) in forgottenListeners { changes.append(.forgotten(figures, activity)) }
            forgottenListeners.removeAll()
        }
        activity.takeChanges { slot in changes.append(.changed(figures(of: slot))) }
    }

    var statistics: ModelStatistics {
        var statistics = ModelStatistics()
        statistics.events = tallies.events
        for kind in EventKind.allCases where tallies.eventsByKind[Int(kind.rawValue)] > 0 {
            statistics.eventsByKind[kind.name] = tallies.eventsByKind[Int(kind.rawValue)]
        }
        statistics.eventsFromOtherTiers = tallies.eventsFromOtherTiers
        for kind in FindingKind.allCases where tallies.findings[Int(kind.rawValue)] > 0 {
            statistics.findings[kind.identifier] = tallies.findings[Int(kind.rawValue)]
        }
        statistics.findingsReported = tallies.reported
        statistics.findingsSuppressed = tallies.suppressed
        statistics.findingsOverLimit = tallies.overLimit
        statistics.lostEvents = tallies.lostEvents
        statistics.lossReports = tallies.lossReports
        statistics.evictedFlows = tallies.evictedFlows
        statistics.refusedFlows = tallies.refusedFlows
        statistics.refusedListeners = tallies.refusedListeners
        statistics.resynchronisations = tallies.resynchronisations
        statistics.adoptions = tallies.adoptions
        statistics.unmatchedSegments = tallies.unmatchedSegments
        statistics.unattributedEvents = tallies.unattributedEvents
        statistics.teardownSegments = tallies.teardownSegments
        statistics.vanishedRequests = tallies.vanishedRequests
        statistics.racedVerdicts = tallies.racedVerdicts
        statistics.stolenRequests = tallies.stolenRequests
        statistics.racedClaims = Dictionary(uniqueKeysWithValues: tallies.racedClaims.map { ($0.key.rawValue, $0.value) })
        statistics.undecidedFlows = undecidedFlows
        statistics.settleWait = verdictWait
        statistics.trackedFlows = flows.count
        statistics.peakFlows = flows.peakCount
        statistics.trackedListeners = listeners.count
        return statistics
    }

    /// How long "nothing followed" waits in this run: the configured settle
    /// window, or four times the slowest same-softirq step this kernel has
    /// shown, whichever is longer (a qemu guest runs 10-50 times slower than
    /// the host; a constant chosen on one would decide too early on the
    /// other). Capped at `maximumSettleWait`. Decided from events only, so a
    /// replay waits exactly as the live run did.
    @inline(__always)
    var settleWait: UInt64 {
        let observed = slowestSoftirqStep > configuration.maximumSettleWait / 4
            ? configuration.maximumSettleWait : slowestSoftirqStep &* 4
        return max(configuration.settleWindow, observed)
    }

    /// How long "nothing followed" waits before it decides a step: the
    /// settle wait, and in the tracepoint tier never less than the step's
    /// race window, whose verdicts count what other CPUs recorded within it:
    /// deciding sooner would pass records the stream has not delivered yet
    /// (a guest's race window, 100 ms, is longer than its 50 ms settle window).
    @inline(__always)
    var verdictWait: UInt64 {
        observesFunctions ? settleWait : max(settleWait, raceSpan)
    }

    /// Two records one softirq writes in a row for a flow were `latency` apart.
    mutating func noteSoftirqStep(from start: UInt64, to end: UInt64) {
        guard end > start else { return }
        let latency = end - start
        if latency > slowestSoftirqStep { slowestSoftirqStep = latency }
    }

    var memoryFootprint: MemoryFootprint {
        MemoryFootprint(
            flowRecordBytes: flows.recordBytes, flowIndexBytes: flows.indexBytes,
            timerBytes: deadlines.allocatedBytes + flows.orderBytes,
            listenerBytes: listeners.allocatedBytes + activity.allocatedBytes,
            trackedFlows: flows.count)
    }
}
