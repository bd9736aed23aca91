import SynShadowCore

/// Feeds the shadow model from the live stream (through an `OrderedFeed`:
/// time order, up to proven watermarks), and records that same stream when
/// asked. The order of calls — events, loss reports, clock ticks — is
/// exactly what `Replay` reproduces from the file, so a replay gives the
/// live run's findings.
public final class ModelDriver: EventConsumer {
    public let feed: OrderedFeed
    public var model: ShadowModel { feed.model }
    private let recorder: TraceFileWriter?
    private let onEvents: ([KernelEvent]) -> Void
    private let onFindings: ([Finding]) -> Void
    private let onLoss: (_ count: UInt64, _ total: UInt64, _ time: UInt64) -> Void
    /// Reads a network namespace's sysctls (nil: unknown); asked once per
    /// namespace, the first time one of its events arrives.
    private let namespaceSettings: ((_ netns: UInt32, _ ownerPid: UInt32) -> KernelSettings?)?
    private var namespacesSeen: Set<UInt32> = []
    public private(set) var findingCount = 0
    public private(set) var lost: UInt64 = 0
    private var recordError: (any Error)?

    public init(
        configuration: ModelConfiguration, recorder: TraceFileWriter? = nil,
        onEvents: @escaping ([KernelEvent]) -> Void = { _ in },
        onFindings: @escaping ([Finding]) -> Void,
        onLoss: @escaping (_ count: UInt64, _ total: UInt64, _ time: UInt64) -> Void = { _, _, _ in },
        namespaceSettings: ((_ netns: UInt32, _ ownerPid: UInt32) -> KernelSettings?)? = nil
    ) {
        feed = OrderedFeed(configuration: configuration)
        self.recorder = recorder
        self.onEvents = onEvents
        self.onFindings = onFindings
        self.onLoss = onLoss
        self.namespaceSettings = namespaceSettings
    }

    public func consume(_ events: [KernelEvent], rawRecords: [UInt8]) {
        // Each namespace is judged with its own sysctls, learnt before any
        // of its events is (the feed holds events; settings apply at once).
        if let namespaceSettings {
            // By index, reading only the namespace, and skipping the set
            // while the namespace repeats: a profile of `trace` at full rate
            // found each 172-byte event copied out here, and a hash per event.
            var previous: UInt32 = 0
            for index in events.indices {
                let netns = events[index].flow.netns
                guard netns != 0, netns != previous else { continue }
                previous = netns
                guard namespacesSeen.insert(netns).inserted else { continue }
                let event = events[index]
                guard let settings = namespaceSettings(netns, event.flags.contains(.ownerKnown) ? event.pid : 0)
                else { continue }
                model.setKernelSettings(settings, forNamespace: netns)
                if let recorder {
                    record { try recorder.writeNamespaceSettings(netns: netns, settings: settings) }
                }
            }
        }
        if let recorder {
            rawRecords.withUnsafeBytes { raw in
                var offset = 0
                while offset + EventCodec.recordSize <= raw.count {
                    record { try recorder.write(record: UnsafeRawBufferPointer(rebasing: raw[offset..<offset + EventCodec.recordSize])) }
                    offset += EventCodec.recordSize
                }
            }
        }
        onEvents(events)
        feed.accept(events)
    }

    public func noteLoss(_ count: UInt64, at timestamp: UInt64) {
        lost += count
        if let recorder { record { try recorder.writeLoss(count: count, at: timestamp) } }
        feed.noteLoss(count: count, at: timestamp)
        onLoss(count, lost, timestamp)
    }

    public func tick(at timestamp: UInt64) {
        if let recorder { record { try recorder.writeClock(timestamp) } }
        feed.advance(to: timestamp)
        publish()
    }

    /// Settles what is still open, publishes the last findings and closes the recording.
    public func finish(summary: TraceSummary? = nil) throws {
        feed.finish()
        publish()
        if let recorder, let summary {
            record { try recorder.finish(summary: summary) }
        }
        if let recordError { throw recordError }
    }

    /// Publishes findings made beside the model (`counter-mismatch`), in
    /// the same stream and count as the model's own.
    public func publish(_ findings: [Finding]) {
        guard !findings.isEmpty else { return }
        for finding in findings { model.countFinding(madeBeside: finding.kind) }
        findingCount += findings.count
        onFindings(findings)
    }

    private func publish() {
        let findings = model.takeFindings()
        guard !findings.isEmpty else { return }
        findingCount += findings.count
        onFindings(findings)
    }

    /// A recording error stops recording (once), never tracing.
    private func record(_ write: () throws -> Void) {
        guard recordError == nil else { return }
        do { try write() } catch { recordError = error }
    }
}
