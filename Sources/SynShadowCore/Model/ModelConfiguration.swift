/// Everything that shapes the model's verdicts. Live runs and replays built
/// from the same configuration give the same findings: all durations are in
/// event time (CLOCK_MONOTONIC nanoseconds), never the wall clock.
public struct ModelConfiguration: Sendable {
    /// The attach tier: what the event stream can and cannot show.
    public var tier: Tier
    /// How long after a step the model waits for the next one before deciding
    /// that nothing followed (a SYN with no request built was dropped...).
    public var settleWindow: UInt64
    /// The longest the settle window may grow to on a slow kernel (see
    /// `ModelCore.settleWait`).
    public var maximumSettleWait: UInt64
    /// Function tiers: how long a step waits for the return of the call
    /// that decides it (conn_request, tcp_check_req) before the flow is
    /// dropped without a verdict. The return, never a window, decides.
    public var exitWaitLimit: UInt64
    /// How far apart (in event time) two steps on different CPUs may be and
    /// still race with a probe's queue read: within it a queue figure may or
    /// may not include them, so neither is a mismatch.
    public var raceWindow: UInt64
    /// A child waiting longer than this for accept() is reported.
    public var acceptLatencyThreshold: UInt64
    /// How long a syncookie flow is remembered waiting for its ACK.
    public var cookieLinger: UInt64
    /// How long after the last cookie a child without a request sock is still
    /// explained by a syncookie (the kernel accepts cookies for ~2-3 minutes).
    public var cookieMaximumAge: UInt64
    /// How long a finding that a lost event could invalidate is held before
    /// it is released: the live side must report loss (`noteLoss`) within it.
    public var findingDelay: UInt64
    /// Flows tracked at once (half-open, queued, lingering).
    public var maximumFlows: Int
    /// Listeners tracked at once.
    public var maximumListeners: Int
    public var evictionPolicy: EvictionPolicy
    /// Findings of one kind per listener before further ones are only counted.
    public var findingLimitPerListener: Int
    /// Known sysctls of the traced kernel.
    public var kernel: KernelSettings
    /// skb_drop_reason names of the traced kernel.
    public var dropReasonNames: [UInt32: String]
    /// Seed of the flow hash; nil draws one at random (flood resistance).
    /// Findings never depend on it.
    public var hashSeed: UInt64?

    public init(
        tier: Tier,
        settleWindow: UInt64 = 50_000_000,
        maximumSettleWait: UInt64 = 5_000_000_000,
        exitWaitLimit: UInt64 = 10_000_000_000,
        raceWindow: UInt64 = 5_000_000,
        acceptLatencyThreshold: UInt64 = 100_000_000,
        cookieLinger: UInt64 = 1_000_000_000,
        cookieMaximumAge: UInt64 = 200_000_000_000,
        findingDelay: UInt64 = 200_000_000,
        maximumFlows: Int = 1 << 20,
        maximumListeners: Int = 65_536,
        evictionPolicy: EvictionPolicy = .evictOldest,
        findingLimitPerListener: Int = 1_000,
        kernel: KernelSettings = KernelSettings(),
        dropReasonNames: [UInt32: String] = [:],
        hashSeed: UInt64? = nil
    ) {
        self.tier = tier
        self.settleWindow = settleWindow
        self.maximumSettleWait = maximumSettleWait
        self.exitWaitLimit = exitWaitLimit
        self.raceWindow = raceWindow
        self.acceptLatencyThreshold = acceptLatencyThreshold
        self.cookieLinger = cookieLinger
        self.cookieMaximumAge = cookieMaximumAge
        self.findingDelay = findingDelay
        self.maximumFlows = maximumFlows
        self.maximumListeners = maximumListeners
        self.evictionPolicy = evictionPolicy
        self.findingLimitPerListener = findingLimitPerListener
        self.kernel = kernel
        self.dropReasonNames = dropReasonNames
        self.hashSeed = hashSeed
    }

    /// Retransmits after which a request may expire at its next timer: the
    /// kernel prunes old requests early under pressure, but never below
    /// min(2, tcp_synack_retries) (reqsk_timer_handler).
    var minimumRetransmitsBeforeExpiry: Int { min(2, max(0, kernel.synAckRetries)) }

    /// The gap after the k-th SYN-ACK retransmit before the next timer fires
    /// (initial timeout doubled k times, capped at TCP_RTO_MAX).
    func synAckInterval(afterRetransmits count: Int) -> UInt64 {
        let cap: UInt64 = 120_000_000_000
        let shift = min(count, 40)
        let initial = max(kernel.initialSynAckTimeout, 1)
        if initial > cap >> UInt64(shift) { return cap }
        return min(initial << UInt64(shift), cap)
    }

    /// How late after its nominal time the model still waits for a request
    /// timer: the timer wheel fires a timeout up to an eighth of it late
    /// (coarser levels for longer timeouts), plus the settle window.
    func timerSlack(afterRetransmits count: Int) -> UInt64 {
        synAckInterval(afterRetransmits: count) / 8 &+ settleWindow
    }

    /// The longest a request can live before the kernel has certainly dropped
    /// it: every timer interval up to tcp_synack_retries, plus the settle window.
    var maximumRequestLifetime: UInt64 {
        var total: UInt64 = 0
        for count in 0...max(0, min(kernel.synAckRetries, 40)) {
            total &+= synAckInterval(afterRetransmits: count)
        }
        return total &+ total / 8 &+ settleWindow
    }
}
