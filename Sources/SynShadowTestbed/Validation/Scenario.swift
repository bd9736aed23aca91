import SynShadowCore
import SynShadowTracer

/// A piece of real traffic with a known expected outcome, run in its own
/// network namespace against the real kernel.
public protocol Scenario: Sendable {
    /// Stable identifier, used on the command line and in JSON.
    var name: String { get }
    /// One line for the verdict table's legend.
    var summary: String { get }
    func run(in context: ScenarioContext) throws -> ScenarioOutcome
}

/// A scenario run once per address family: the IPv6 form's name is the
/// IPv4 form's with "-ipv6" appended.
public protocol FamilyScenario: Scenario {
    var family: AddressFamily { get }
    /// The IPv4 form's name.
    var baseName: String { get }
}

extension FamilyScenario {
    public var name: String { baseName + (family == .ipv6 ? "-ipv6" : "") }
}

/// What a scenario gets: the tracer (already self-checked) and the events it
/// delivered so far.
public final class ScenarioContext {
    public let tracer: LiveTracer
    /// A deliberate error fed to the oracle, to prove a row can FAIL.
    public let oracleFault: OracleFault?
    /// How far apart two CPUs' views of a queue may be (ns): wider under
    /// emulation, where the kernel runs tens of times slower.
    public let raceWindow: UInt64?
    private let collector = CollectingConsumer()
    /// Where each scenario's events are written as a trace file (`validate
    /// --record-dir`): what a bug report about a row needs.
    public var recordDirectory: String?
    /// Where a problem beside the verdicts goes (a recording that could not
    /// be written): the progress lines on stderr, never stdout, which holds
    /// the rows (`--json`).
    public var report: (String) -> Void = { _ in }

    init(tracer: LiveTracer, oracleFault: OracleFault? = nil, raceWindow: UInt64? = nil) {
        self.tracer = tracer
        self.oracleFault = oracleFault
        self.raceWindow = raceWindow
    }

    public var tier: Tier { tracer.tier }

    /// Drains everything the kernel has produced so far.
    public func drain(timeoutMilliseconds: Int32 = 0) throws {
        try tracer.drainOnce(into: collector, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Drains until no new event arrived for `quietMilliseconds`.
    public func settle(quietMilliseconds: Int32 = 100) throws {
        var count = -1
        while count != collector.events.count {
            count = collector.events.count
            try drain(timeoutMilliseconds: quietMilliseconds)
        }
    }

    /// The events of one network namespace, in delivery order, and forgets them.
    public func takeEvents(netns: UInt32) -> [KernelEvent] {
        let mine = collector.events.filter { $0.flow.netns == netns }
        collector.events.removeAll { $0.flow.netns == netns }
        return mine
    }

    public var lostEvents: UInt64 { collector.lost }

    /// Writes a scenario's events, with the sysctls it ran under, to
    /// `recordDirectory/<scenario>-<tier>.sst` (replayable anywhere).
    func keep(_ events: [KernelEvent], of scenario: String, settings: KernelSettings, end: UInt64) {
        guard let recordDirectory else { return }
        let path = "\(recordDirectory)/\(scenario)-\(tier.name).sst"
        let header = TraceHeader(
            kernelRelease: kernelRelease(), tier: tier, hostName: "validate",
            clockOrigin: ClockOrigin(monotonicNanoseconds: events.first?.timestamp ?? 0, wallClockNanoseconds: 0),
            dropReasons: tracer.session.dropReasonTable(), kernelSettings: settings, recorder: "synshadow validate")
        do {
            let writer = try TraceFileWriter(path: path, header: header)
            for event in events { try writer.write(event) }
            try writer.writeClock(end)
            try writer.finish(summary: TraceSummary(events: UInt64(events.count), lostEvents: 0))
        } catch {
            report("could not write \(path): \(error)")
        }
    }

    /// The oracle: runs a fresh shadow model over one scenario's events, as
    /// the live tracer would have, and returns its findings. `settings` are
    /// the scenario namespace's sysctls; `end` is when the scenario stopped
    /// (decisions that need "nothing followed" settle by then).
    public func findings(
        for events: [KernelEvent], settings: KernelSettings, end: UInt64,
        adjust: (inout ModelConfiguration) -> Void = { _ in }
    ) -> [Finding] {
        verdicts(for: events, settings: settings, end: end, adjust: adjust).findings
    }

    /// The oracle's findings, and the counters its undecidable verdicts (a
    /// cross-CPU race at the accept queue's limit) may have moved.
    public func verdicts(
        for events: [KernelEvent], settings: KernelSettings, end: UInt64,
        adjust: (inout ModelConfiguration) -> Void = { _ in }
    ) -> (findings: [Finding], racedClaims: CounterClaims) {
        var configuration = ModelConfiguration(
            tier: tier, kernel: settings, dropReasonNames: tracer.session.dropReasonTable())
        if let raceWindow { configuration.raceWindow = raceWindow }
        adjust(&configuration)
        // Every record is in hand: the scenario's end is a proven watermark.
        let feed = OrderedFeed(configuration: configuration)
        feed.accept(oracleFault.map { $0.apply(to: events) } ?? events)
        feed.advance(to: end)
        feed.finish()
        var raced = CounterClaims()
        for (name, count) in feed.model.statistics.racedClaims {
            if let counter = KernelCounter(rawValue: name) { raced.add(counter, count: Int64(count)) }
        }
        return (feed.takeFindings(), raced)
    }
}

extension [Finding] {
    /// Finding id -> count, as the verdict table shows them.
    public var countsByID: [String: Int] {
        reduce(into: [:]) { $0[$1.id, default: 0] += 1 }
    }
}

/// Wrong facts the oracle can be told on purpose (`validate --oracle-fault`):
/// a verdict table that cannot turn red proves nothing.
public enum OracleFault: String, Sendable, CaseIterable {
    /// The model is told every listener's backlog is four times larger.
    case wrongBacklog = "wrong-backlog"

    func apply(to events: [KernelEvent]) -> [KernelEvent] {
        events.map { event in
            var event = event
            switch self {
            case .wrongBacklog:
                if event.flags.contains(.queuesValid) {
                    event.queues.acceptQueueLimit = event.queues.acceptQueueLimit * 4 + 4
                }
            }
            return event
        }
    }
}
