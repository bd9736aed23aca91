/// What the model has seen and decided, for `--stats` output and metrics:
/// every counter is exact even when findings are rate-limited or withheld.
public struct ModelStatistics: Sendable, Hashable, Codable {
    public var events: UInt64 = 0
    /// Per event kind name.
    public var eventsByKind: [String: UInt64] = [:]
    /// Records from hooks the configured tier does not use (ignored).
    public var eventsFromOtherTiers: UInt64 = 0
    /// Every finding decided, per id, whether reported, withheld or over the limit.
    public var findings: [String: UInt64] = [:]
    public var findingsReported: UInt64 = 0
    /// Withheld because the model was uncertain (loss, resync, gaps in a flow).
    public var findingsSuppressed: UInt64 = 0
    /// Beyond `findingLimitPerListener`.
    public var findingsOverLimit: UInt64 = 0
    public var lostEvents: UInt64 = 0
    public var lossReports: UInt64 = 0
    public var evictedFlows: UInt64 = 0
    public var refusedFlows: UInt64 = 0
    public var refusedListeners: UInt64 = 0
    /// Times a listener became uncertain and had to re-synchronise.
    public var resynchronisations: UInt64 = 0
    /// Times a listener's counts were re-adopted from the kernel's figures.
    public var adoptions: UInt64 = 0
    /// SYN/ACK/RST segments that matched no step (duplicates, strays).
    public var unmatchedSegments: UInt64 = 0
    /// Events whose listener could not be found.
    public var unattributedEvents: UInt64 = 0
    /// Segments the kernel dropped at a listener that belong to no passive
    /// open (a FIN, ACK or RST after the connection's child is gone).
    public var teardownSegments: UInt64 = 0
    /// Requests that left the queue without a trace the tier sees (the
    /// tracepoint tier cannot see tcp_req_err on an ICMP error): unjudged.
    public var vanishedRequests: UInt64 = 0
    /// Flows dropped without a verdict because a function tier never
    /// reported the return that decides them (a missed kretprobe, say).
    public var undecidedFlows: UInt64 = 0
    /// Tracepoint tier: verdicts another CPU's change to the accept queue,
    /// between the probe's reading and the kernel's check, could have
    /// turned either way (no finding; both sides' counters ambiguous).
    public var racedVerdicts: UInt64 = 0
    /// Function tiers: tcp_check_req calls that lost their request to another
    /// CPU completing it first (each made a child, counted in
    /// TcpPassiveOpens, that the kernel freed at once).
    public var stolenRequests: UInt64 = 0
    /// The counters those verdicts may have moved, by /proc name.
    public var racedClaims: [String: UInt64] = [:]
    /// The settle window in force at the end (ns): the configured one, or
    /// longer where this kernel showed slower steps, or the race window where
    /// that is longer (tracepoint tier).
    public var settleWait: UInt64 = 0
    public var trackedFlows: Int = 0
    public var peakFlows: Int = 0
    public var trackedListeners: Int = 0

    public init() {}
}
