/// The model's running counters, in fixed arrays indexed by raw values so
/// that counting an event is an increment, never a dictionary update.
struct Tallies {
    var events: UInt64 = 0
    /// Inline, not an Array: counted for every event, and an Array's
    /// increment first checks that its buffer is not shared.
    var eventsByKind = InlineArray<32, UInt64>(repeating: 0)
    var eventsFromOtherTiers: UInt64 = 0
    var findings = [UInt64](repeating: 0, count: FindingKind.allCases.count)
    var reported: UInt64 = 0
    var suppressed: UInt64 = 0
    var overLimit: UInt64 = 0
    var lostEvents: UInt64 = 0
    var lossReports: UInt64 = 0
    var evictedFlows: UInt64 = 0
    var refusedFlows: UInt64 = 0
    var refusedListeners: UInt64 = 0
    var resynchronisations: UInt64 = 0
    var adoptions: UInt64 = 0
    var unmatchedSegments: UInt64 = 0
    var unattributedEvents: UInt64 = 0
    var teardownSegments: UInt64 = 0
    var vanishedRequests: UInt64 = 0
    var racedVerdicts: UInt64 = 0
    var stolenRequests: UInt64 = 0
    var racedClaims: [KernelCounter: UInt64] = [:]
}
