import SynShadowCore

/// `trace --counters`: every interval, right after a drain (so everything
/// the kernel produced until then is in the model), reads the traced
/// namespace's counters and holds them against the model's ledger.
/// Between readings it costs one comparison of two integers per drain.
public final class CounterWatch {
    public let source: NamespaceCounters
    public private(set) var check: CounterCrossCheck
    private let model: ShadowModel
    private let interval: UInt64
    private let decisionLag: UInt64
    private let eventSkew: UInt64
    private var nextDue: UInt64 = 0

    /// `drainInterval`: the consumer's drain period (ns), part of how late the model decides.
    public init(
        source: NamespaceCounters, model: ShadowModel, scope: CounterScope, interval: UInt64, drainInterval: UInt64,
        fault: CounterFault? = nil
    ) {
        self.source = source
        self.model = model
        self.interval = interval
        let configuration = model.configuration
        check = CounterCrossCheck(
            counters: CounterCrossCheck.comparableCounters(for: configuration.tier), scope: scope, fault: fault)
        // Settle window, then up to five drains late, then a CPU's race: generous, as
        // it only widens the ambiguity right after a base.
        decisionLag = configuration.settleWindow + 5 * drainInterval + configuration.raceWindow
        eventSkew = configuration.raceWindow
    }

    /// Reads and compares when a reading is due; call right after a drain.
    public func poll() throws(SessionError) -> CounterReading? {
        let time = monotonicNanoseconds()
        guard time >= nextDue else { return nil }
        let kernel = try source.read()
        let reading = check.compare(kernel: kernel, ledger: model.counterLedger, at: time)
        if reading.restartsLedger {
            model.startCounterLedger(netns: source.inode, at: time, decisionLag: decisionLag, eventSkew: eventSkew)
        }
        nextDue = time + interval
        return reading
    }
}
