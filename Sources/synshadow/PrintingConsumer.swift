import SynShadowCore
import SynShadowLive

/// Prints every event as it is drained, human or JSON.
final class PrintingConsumer: EventConsumer {
    private let formatter: EventFormatter
    private let json: Bool
    private let wanted: (KernelEvent) -> Bool
    private(set) var printed = 0
    private(set) var lost: UInt64 = 0

    init(formatter: EventFormatter, json: Bool, wanted: @escaping (KernelEvent) -> Bool = { _ in true }) {
        self.formatter = formatter
        self.json = json
        self.wanted = wanted
    }

    func consume(_ events: [KernelEvent], rawRecords: [UInt8]) {
        for event in events where wanted(event) {
            Terminal.output(json ? formatter.jsonLine(event) : formatter.humanLine(event))
            printed += 1
        }
        Terminal.flush()
    }

    func noteLoss(_ count: UInt64, at timestamp: UInt64) {
        lost += count
        if json {
            var object = JSONObjectWriter()
            object.add("type", "loss")
            object.add("ts_ns", timestamp)
            object.add("lost", count)
            Terminal.output(object.finish())
        } else {
            Terminal.output("LOST \(count) events: the ring buffer was full (raise --ring-mb, or filter with --port)")
        }
        Terminal.flush()
    }
}
