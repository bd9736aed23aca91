import SynShadowCore

/// Collects the records of one ring-buffer drain, decoded in place. The
/// arrays keep their capacity between drains, so steady-state decoding
/// allocates nothing per event.
final class EventBatch {
    private(set) var events: [KernelEvent] = []
    /// Raw records exactly as the kernel wrote them, kept only when recording.
    private(set) var rawRecords: [UInt8] = []
    var keepsRawRecords = false
    private(set) var undecodable = 0
    private(set) var lastDecodingError: EventDecodingError?

    init(capacity: Int = 4096) {
        events.reserveCapacity(capacity)
    }

    func reset() {
        events.removeAll(keepingCapacity: true)
        rawRecords.removeAll(keepingCapacity: true)
    }

    func append(_ record: UnsafeRawBufferPointer) {
        do {
            events.append(try EventCodec.decode(record))
            if keepsRawRecords {
                rawRecords.append(contentsOf: record.prefix(EventCodec.recordSize))
            }
        } catch {
            undecodable += 1
            lastDecodingError = error
        }
    }
}

/// The ring buffer's sample callback: `context` is the session's EventBatch.
let recordCallback: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, Int) -> Int32 = {
    context, data, size in
    guard let context, let data else { return 0 }
    let batch = Unmanaged<EventBatch>.fromOpaque(context).takeUnretainedValue()
    batch.append(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
