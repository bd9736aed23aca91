/// Compares, reading after reading, the kernel's counters of one namespace
/// with the model's ledger for it, and says when they disagree for longer
/// than any delay explains. Pure: the caller reads /proc and the model.
///
/// Fairness, so it never cries wolf:
/// - every count is cumulative since a base reading taken right after a drain;
/// - skew: the kernel counts first, the model a drain and a settle window
///   later, so each side gets a whole interval to catch up — the model is
///   short only if it still lacks, now, what the kernel had counted at the
///   previous reading; it is over only if what it had claimed at the
///   previous reading is still more than the kernel counts now;
/// - claims decided right after the base may belong to it (ambiguous): they
///   excuse a shortfall but never count as an excess;
/// - any doubt in the ledger (loss, eviction, a withheld inference) withholds
///   the comparison and takes a new base;
/// - with a filter (`--port`, `--comm`, ...) the counters cover more than
///   the model sees: only an excess can be asserted.
public struct CounterCrossCheck: Sendable {
    public let counters: [KernelCounter]
    public let scope: CounterScope
    /// Counters the tier cannot account for completely even in an exact
    /// scope: only model <= kernel is asserted for them.
    public let oneSided: [KernelCounter: String]
    private var fault: CounterFault?
    private var base: NetstatSnapshot?
    private var baseTime: UInt64 = 0
    private var previous: (time: UInt64, kernel: [KernelCounter: Int64], settled: CounterClaims)?

    public init(
        counters: [KernelCounter], scope: CounterScope, oneSided: [KernelCounter: String] = [:],
        fault: CounterFault? = nil
    ) {
        self.counters = counters
        self.scope = scope
        self.oneSided = oneSided
        self.fault = fault
    }

    /// What the tier cannot see of a counter, by counter. The tracepoint tier
    /// has no hook on tcp_req_err: a request dropped on an ICMP error moves
    /// TcpExtListenDrops unseen.
    public static func oneSidedCounters(for tier: Tier) -> [KernelCounter: String] {
        tier == .tracepoint
            ? [.listenDrops: "a request dropped on an ICMP error (tcp_req_err) reaches no hook of the tracepoint tier"]
            : [:]
    }

    /// The counters a tier can account for one by one: the same in every
    /// tier (the function tiers see failed syncookie ACKs at
    /// cookie_v{4,6}_check).
    public static func comparableCounters(for tier: Tier) -> [KernelCounter] {
        [
            .passiveOpens, .listenOverflows, .listenDrops, .requestQueueFullDrop, .syncookiesSent,
            .syncookiesReceived, .embryonicResets, .syncookiesFailed,
        ]
    }

    /// Takes `kernel` (read at event time `time`, right after a drain) and
    /// the model's ledger, which must have been restarted at the base time
    /// whenever a reading asked for it (`nil`: none yet).
    public mutating func compare(kernel: NetstatSnapshot, ledger: CounterLedger?, at time: UInt64) -> CounterReading {
        guard let base, let ledger, ledger.cut == baseTime else {
            return rebase(kernel, at: time, status: .baseline, reason: nil, rows: [])
        }
        var total = ledger.total
        var settled = ledger.settled
        if let skew = fault?.skew {
            total = total + skew
            settled = settled + skew
        }
        let kernelDeltas = Dictionary(uniqueKeysWithValues: counters.map { ($0, kernel[$0.rawValue] - base[$0.rawValue]) })
        let rows = counters.map {
            CounterReading.Row(
                counter: $0, kernelDelta: kernelDeltas[$0] ?? 0, modelCount: total[$0], ambiguous: ledger.ambiguous[$0])
        }
        guard ledger.doubts == 0 else {
            return rebase(
                kernel, at: time, status: .withheld,
                reason: "the model was uncertain \(ledger.doubts) time(s) since the base (lost events,"
                    + " evicted flows or a withheld inference)", rows: rows)
        }
        var disagreements: [CounterDisagreement] = []
        if let previous {
            let interval = time &- previous.time
            for counter in counters {
                let kernelNow = kernelDeltas[counter] ?? 0
                let kernelBefore = previous.kernel[counter] ?? 0
                if scope.isExact, oneSided[counter] == nil, kernelBefore > total[counter] {
                    disagreements.append(
                        CounterDisagreement(
                            counter: counter, direction: .modelMissed, kernelDelta: kernelNow,
                            modelCount: total[counter], interval: interval))
                } else if previous.settled[counter] > kernelNow {
                    disagreements.append(
                        CounterDisagreement(
                            counter: counter, direction: .modelExceeded, kernelDelta: kernelNow,
                            modelCount: total[counter], interval: interval))
                }
            }
        }
        if !disagreements.isEmpty {
            // One fault, one finding: the next interval starts afresh.
            fault = nil
            var reading = rebase(kernel, at: time, status: .mismatch, reason: nil, rows: rows)
            reading.disagreements = disagreements
            return reading
        }
        let reading = CounterReading(
            status: .agree, time: time, since: baseTime, interval: previous.map { time &- $0.time } ?? 0,
            scope: scope, rows: rows, disagreements: [], reason: nil, restartsLedger: false)
        previous = (time, kernelDeltas, settled)
        return reading
    }

    /// The last reading: the stream is over and the model has decided every
    /// step, so no delay is left to excuse anything. In an exact scope every
    /// compared counter must equal the model's total since the base (but the
    /// one-sided ones); in a filtered scope the model must not exceed it.
    public func finalCompare(kernel: NetstatSnapshot, ledger: CounterLedger?, at time: UInt64) -> CounterReading? {
        guard let base, let ledger, ledger.cut == baseTime else { return nil }
        var rows: [CounterReading.Row] = []
        var disagreements: [CounterDisagreement] = []
        let total = ledger.total + (fault?.skew ?? CounterClaims())
        for counter in counters {
            let kernelDelta = kernel[counter.rawValue] - base[counter.rawValue]
            let model = total[counter]
            let ambiguous = ledger.ambiguous[counter]
            rows.append(CounterReading.Row(counter: counter, kernelDelta: kernelDelta, modelCount: model, ambiguous: ambiguous))
            guard ledger.doubts == 0 else { continue }
            // Claims so close to the base that it may hold them go either way.
            if model - ambiguous > kernelDelta {
                disagreements.append(
                    CounterDisagreement(
                        counter: counter, direction: .modelExceeded, kernelDelta: kernelDelta, modelCount: model,
                        interval: time &- baseTime))
            } else if scope.isExact, oneSided[counter] == nil, model < kernelDelta {
                disagreements.append(
                    CounterDisagreement(
                        counter: counter, direction: .modelMissed, kernelDelta: kernelDelta, modelCount: model,
                        interval: time &- baseTime))
            }
        }
        return CounterReading(
            status: .final, time: time, since: baseTime, interval: time &- (previous?.time ?? baseTime), scope: scope,
            rows: rows, disagreements: disagreements,
            reason: ledger.doubts == 0 ? nil : "the model was uncertain \(ledger.doubts) time(s) since the base",
            restartsLedger: false)
    }

    private mutating func rebase(
        _ kernel: NetstatSnapshot, at time: UInt64, status: CounterReading.Status, reason: String?,
        rows: [CounterReading.Row]
    ) -> CounterReading {
        let interval = previous.map { time &- $0.time } ?? 0
        let since = baseTime
        base = kernel
        baseTime = time
        previous = (time, [:], CounterClaims())
        return CounterReading(
            status: status, time: time, since: status == .baseline ? time : since, interval: interval, scope: scope,
            rows: rows, disagreements: [], reason: reason, restartsLedger: true)
    }
}
