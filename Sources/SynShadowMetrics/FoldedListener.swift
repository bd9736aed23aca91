import SynShadowCore

/// One listener's exported figures, or the sum of several: every listener
/// socket with the same labels, or every listener folded into `other`.
/// Queue and backlog gauges add up too, so `other` shows the load it hides.
public struct FoldedListener: Sendable, Hashable {
    public var labels: ListenerLabels
    /// How many listener sockets were added into this entry.
    public var sockets: Int = 0
    public var syns: UInt64 = 0
    public var handshakes: UInt64 = 0
    public var accepts: UInt64 = 0
    public var findings: [FindingKind: UInt64] = [:]
    public var modelRequestQueue = 0
    public var modelAcceptQueue = 0
    /// nil until an event of one of the added listeners carried the kernel's figure.
    public var kernelRequestQueue: Int?
    public var kernelAcceptQueue: Int?
    public var backlog: UInt64?
    public var handshakeTime = HistogramFigures.empty
    public var acceptWait = HistogramFigures.empty

    public init(labels: ListenerLabels) {
        self.labels = labels
    }

    /// What decides which listeners keep their own labels: SYNs first (every
    /// connection attempt starts with one), then completed work.
    public var activity: (UInt64, UInt64, UInt64) { (syns, handshakes, accepts) }

    /// One listener socket's figures, under `labels`.
    public init(labels: ListenerLabels, activity: ListenerActivity) {
        self.labels = labels
        sockets = 1
        syns = activity.syns
        handshakes = activity.handshakes
        accepts = activity.accepts
        findings = activity.findings
        modelRequestQueue = activity.modelRequestQueue
        modelAcceptQueue = activity.modelAcceptQueue
        kernelRequestQueue = activity.kernelRequestQueue
        kernelAcceptQueue = activity.kernelAcceptQueue
        backlog = activity.backlog.map(UInt64.init)
        handshakeTime = HistogramFigures(activity.handshakeTime)
        acceptWait = HistogramFigures(activity.acceptWait)
    }

    public mutating func add(_ activity: ListenerActivity) {
        add(FoldedListener(labels: labels, activity: activity))
    }

    public mutating func add(_ other: FoldedListener) {
        sockets += other.sockets
        syns &+= other.syns
        handshakes &+= other.handshakes
        accepts &+= other.accepts
        findings.merge(other.findings, uniquingKeysWith: &+)
        modelRequestQueue += other.modelRequestQueue
        modelAcceptQueue += other.modelAcceptQueue
        if let queue = other.kernelRequestQueue { kernelRequestQueue = (kernelRequestQueue ?? 0) + queue }
        if let queue = other.kernelAcceptQueue { kernelAcceptQueue = (kernelAcceptQueue ?? 0) + queue }
        if let backlog = other.backlog { self.backlog = (self.backlog ?? 0) + backlog }
        handshakeTime.add(other.handshakeTime)
        acceptWait.add(other.acceptWait)
    }
}
