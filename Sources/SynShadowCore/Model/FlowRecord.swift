/// One tracked flow, kept to 96 bytes so that a million half-open flows fit
/// in well under 200 bytes each with the index and timers. Plain data only:
/// records live in manually allocated pages and are never retained.
struct FlowRecord {
    var localHigh: UInt64
    var localLow: UInt64
    var remoteHigh: UInt64
    var remoteLow: UInt64
    /// The request sock id (function tiers) while half-open, the child id
    /// once created; the next free slot while the record is free.
    var identity: UInt64
    /// When the flow's first event arrived (its SYN, usually).
    var firstTime: UInt64
    /// When the current state began (for a child: its creation time).
    var stepTime: UInt64
    var netns: UInt32
    /// The listener's slot in the listener table.
    var listener: UInt32
    /// The model epoch the flow was created in; older than its listener's
    /// `freshSince` means the flow's history may have gaps (loss, resync).
    var epoch: UInt32
    /// Bumped on every rescheduling: older deadlines for it are stale.
    var generation: UInt32
    /// Queue figures of the step being decided (SYN or ACK): accept queue...
    var figureAccept: UInt32
    /// ...and request queue (UInt32.max when the probe read none).
    var figureRequest: UInt32
    var localPort: UInt16
    var remotePort: UInt16
    var flags: FlowFlags
    var family: UInt8
    var state: FlowState
    /// SYN-ACK retransmits seen (or timer fires assumed).
    var retransmits: UInt8
    /// The event kind and hook that began the current state (evidence).
    var stepKind: UInt8
    var stepHook: UInt8
    /// The child's TCP state (TCPState raw value) while queued.
    var childState: UInt8
    /// The CPU that ran the current step (see ModelCore+Race).
    var stepCPU: UInt16
    /// An undecidable verdict awaiting the flow's next segment (`Race`).
    var race: UInt8
    /// What other CPUs did in the current step's race window, counted when
    /// it closed (`WindowCounts`; 0 until then).
    var windowCounts: UInt8

    static let noFigure = UInt32.max

    init(key: FlowKey, listener: UInt32, epoch: UInt32, time: UInt64) {
        localHigh = key.localAddress.high
        localLow = key.localAddress.low
        remoteHigh = key.remoteAddress.high
        remoteLow = key.remoteAddress.low
        identity = 0
        firstTime = time
        stepTime = time
        netns = key.netns
        self.listener = listener
        self.epoch = epoch
        generation = 0
        figureAccept = FlowRecord.noFigure
        figureRequest = FlowRecord.noFigure
        localPort = key.localPort
        remotePort = key.remotePort
        flags = []
        family = key.family.rawValue
        state = .free
        retransmits = 0
        stepKind = 0
        stepHook = 0
        childState = 0
        stepCPU = 0
        race = 0
        windowCounts = 0
    }

    var key: FlowKey {
        FlowKey(
            netns: netns, family: AddressFamily(rawValue: family) ?? .none,
            localAddress: IPAddress(high: localHigh, low: localLow), localPort: localPort,
            remoteAddress: IPAddress(high: remoteHigh, low: remoteLow), remotePort: remotePort
        )
    }

    @inline(__always)
    func matches(_ key: FlowKey) -> Bool {
        localLow == key.localAddress.low && remoteLow == key.remoteAddress.low
            && localHigh == key.localAddress.high && remoteHigh == key.remoteAddress.high
            && localPort == key.localPort && remotePort == key.remotePort && netns == key.netns
            && family == key.family.rawValue
    }
}
