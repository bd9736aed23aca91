import SynShadowCore
import SynShadowTracer

/// Keeps everything delivered, for scenarios and tests to inspect.
public final class CollectingConsumer: EventConsumer {
    public var events: [KernelEvent] = []
    public private(set) var lost: UInt64 = 0

    public init() {}

    public func consume(_ events: [KernelEvent], rawRecords: [UInt8]) {
        self.events.append(contentsOf: events)
    }

    public func noteLoss(_ count: UInt64, at timestamp: UInt64) { lost += count }
}
