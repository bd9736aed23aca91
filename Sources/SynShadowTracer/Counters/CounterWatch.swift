import SynShadowCore

/// `trace --counters`: every interval, right after a drain, reads the
/// traced namespace's counters and holds them against the model's ledger —
/// but only once the model has decided every step stamped before the
/// previous reading (its time follows the stream's proven watermark, which
/// may lag the clock on a busy machine). Between readings it costs one
/// comparison of two integers per drain.
public final class CounterWatch {
    public let source: NamespaceCounters
    public private(set) var check: CounterCrossCheck
    private let model: ShadowModel
    private let interval: UInt64
    private let eventSkew: UInt64
    private var nextDue: UInt64 = 0
    private var lastReading: UInt64?

    public init(
        source: NamespaceCounters, model: ShadowModel, scope: CounterScope, interval: UInt64,
        fault: CounterFault? = nil
    ) {
        self.source = source
        self.model = model
        self.interval = interval
        let configuration = model.configuration
        check = CounterCrossCheck(
            counters: CounterCrossCheck.comparableCounters(for: configuration.tier), scope: scope,
            oneSided: CounterCrossCheck.oneSidedCounters(for: configuration.tier), fault: fault)
        eventSkew = configuration.raceWindow
    }

    /// The closing reading, once the stream has ended and the model has
    /// decided everything (nil before any base).
    public func finalReading() throws(SessionError) -> CounterReading? {
        let time = monotonicNanoseconds()
        return check.finalCompare(kernel: try source.read(), ledger: model.counterLedger, at: time)
    }

    /// Reads and compares when a reading is due; call right after a drain.
    public func poll() throws(SessionError) -> CounterReading? {
        let time = monotonicNanoseconds()
        guard time >= nextDue else { return nil }
        // What the kernel had counted at the previous reading must be decided
        // in the model before "the model missed it" can be said.
        if let lastReading, model.now < lastReading &+ model.decisionDelay { return nil }
        let kernel = try source.read()
        let reading = check.compare(kernel: kernel, ledger: model.counterLedger, at: time)
        if reading.restartsLedger {
            model.startCounterLedger(netns: source.inode, at: time, eventSkew: eventSkew)
        }
        nextDue = time + interval
        lastReading = time
        return reading
    }
}
