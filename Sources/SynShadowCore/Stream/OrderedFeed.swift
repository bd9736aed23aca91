/// Hands the model the kernel's records in time order, and only as far as
/// the stream has been proven read.
///
/// The ring buffer holds records in the order CPUs reserved them, and a
/// drain may end with records still unread (another CPU was writing one).
/// The model decides "nothing followed" by event time, so it must never be
/// told a time before which some record is still unread. The live reader
/// proves a *watermark* with each drain that caught up (no record stamped
/// before it remains unread); this feed holds records back until the
/// watermark passes them, then gives them to the model sorted by timestamp
/// (ties keep ring order), then moves the model's time to the watermark.
///
/// Replay feeds the same calls from the trace file (records, loss, clock
/// ticks: the ticks are the watermarks), so a replay decides exactly as the
/// live run did. Not thread-safe: one feed per consumer thread.
public final class OrderedFeed {
    public let model: ShadowModel
    /// Records read but not yet released (their timestamps are at or past the watermark).
    private var pending: [KernelEvent] = []
    private var releasing: [KernelEvent] = []
    /// Loss reported since the last watermark: the lost records were stamped
    /// after it, up to the time the loss was counted.
    private var pendingLoss: (count: UInt64, until: UInt64)?
    /// The latest proven watermark (0 before the first).
    public private(set) var watermark: UInt64 = 0
    public private(set) var statistics = Statistics()
    /// Records held back at most; beyond it the oldest are released unproven
    /// (counted). A live reader never gets near it: each drain that catches
    /// up releases what it read.
    public let pendingLimit: Int
    /// Called right after the model processed each record, in the order it
    /// did (time order): the model can be read at that instant.
    public var onProcessed: ((KernelEvent) -> Void)?

    public struct Statistics: Sendable, Hashable, Codable {
        /// Records that arrived stamped before the watermark already passed
        /// (a stream whose watermarks are not proofs, e.g. an old trace file):
        /// processed at once, in arrival order.
        public var lateEvents: UInt64 = 0
        /// Records released before any watermark proved them (pending limit).
        public var forcedReleases: UInt64 = 0
        /// Releases whose records were not already in time order.
        public var reorderedBatches: UInt64 = 0
        public var peakPending: Int = 0

        public init() {}
    }

    public init(model: ShadowModel, pendingLimit: Int = 1 << 20) {
        self.model = model
        self.pendingLimit = max(pendingLimit, 1)
        pending.reserveCapacity(4096)
        releasing.reserveCapacity(4096)
    }

    public convenience init(configuration: ModelConfiguration) {
        self.init(model: ShadowModel(configuration: configuration))
    }

    /// Records as the ring held them (not necessarily in time order).
    public func accept<Events: Sequence<KernelEvent>>(_ events: Events) {
        for event in events {
            if event.timestamp < watermark {
                statistics.lateEvents &+= 1
                process(event)
            } else {
                pending.append(event)
                if pending.count > statistics.peakPending { statistics.peakPending = pending.count }
                if pending.count > pendingLimit { forceRelease() }
            }
        }
    }

    /// `count` records were lost since the last watermark, the last of them
    /// stamped no later than `time` (when the loss was counted).
    public func noteLoss(count: UInt64, at time: UInt64) {
        guard count > 0 else { return }
        if let previous = pendingLoss {
            pendingLoss = (previous.count &+ count, max(previous.until, time))
        } else {
            pendingLoss = (count, time)
        }
    }

    /// Every record stamped before `time` has been accepted: release them in
    /// time order, then let the model's time reach `time`.
    public func advance(to time: UInt64) {
        guard time > watermark else { return }
        if let loss = pendingLoss {
            // The lost records were all stamped after the previous watermark,
            // where the model's time stands now: it learns of them before
            // judging anything that happened after it.
            pendingLoss = nil
            model.noteLoss(count: loss.count, at: max(loss.until, watermark))
        }
        release(before: time)
        watermark = time
        model.advance(to: time)
    }

    /// The stream is over: everything left is released in time order and
    /// every pending decision is taken.
    public func finish() {
        if let loss = pendingLoss {
            pendingLoss = nil
            model.noteLoss(count: loss.count, at: max(loss.until, watermark))
        }
        release(before: .max)
        model.finish()
    }

    public func takeFindings() -> [Finding] { model.takeFindings() }

    /// Moves the records stamped before `time` out of `pending` (keeping the
    /// rest in arrival order) and processes them sorted by time.
    private func release(before time: UInt64) {
        releasing.removeAll(keepingCapacity: true)
        var kept = 0
        for index in pending.indices {
            let event = pending[index]
            if event.timestamp < time {
                releasing.append(event)
            } else {
                pending[kept] = event
                kept += 1
            }
        }
        pending.removeLast(pending.count - kept)
        processInTimeOrder()
    }

    private func processInTimeOrder() {
        var sorted = true
        var previous: UInt64 = 0
        for event in releasing {
            if event.timestamp < previous {
                sorted = false
                break
            }
            previous = event.timestamp
        }
        if sorted {
            for event in releasing { process(event) }
            return
        }
        statistics.reorderedBatches &+= 1
        // Stable: records stamped alike keep the ring's order.
        let order = releasing.indices.sorted {
            (releasing[$0].timestamp, $0) < (releasing[$1].timestamp, $1)
        }
        for index in order { process(releasing[index]) }
    }

    @inline(__always)
    private func process(_ event: KernelEvent) {
        model.process(event)
        onProcessed?(event)
    }

    /// The pending limit was reached without a watermark: release the older
    /// half unproven, so memory stays bounded whatever the input.
    private func forceRelease() {
        let timestamps = pending.map(\.timestamp).sorted()
        let cut = max(timestamps[timestamps.count / 2], timestamps[0] &+ 1)
        let before = pending.count
        release(before: cut)
        statistics.forcedReleases &+= UInt64(before - pending.count)
    }
}
