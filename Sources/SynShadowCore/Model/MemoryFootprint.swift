#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The model's memory, measured from what it actually allocated (pages,
/// index, timers, listeners), so the bound for a million half-open flows is
/// a measurement, not a promise.
public struct MemoryFootprint: Sendable, Hashable, Codable, CustomStringConvertible {
    public var flowRecordBytes: Int
    public var flowIndexBytes: Int
    /// Deadline queues and the eviction order.
    public var timerBytes: Int
    public var listenerBytes: Int
    public var trackedFlows: Int

    public var totalBytes: Int { flowRecordBytes + flowIndexBytes + timerBytes + listenerBytes }

    /// Total bytes divided by tracked flows (0 when none are tracked).
    public var bytesPerFlow: Double {
        trackedFlows == 0 ? 0 : Double(totalBytes) / Double(trackedFlows)
    }

    /// The size of one flow record.
    public static var flowRecordSize: Int { MemoryLayout<FlowRecord>.stride }

    /// Steady-state bytes per half-open flow: its record, its share of an
    /// index kept at most half full (8-byte buckets), one retransmit timer
    /// (16 bytes) and one eviction-order entry (8 bytes). Growth by doubling
    /// can add up to one more index and timer share.
    public static var estimatedBytesPerHalfOpenFlow: Int { flowRecordSize + 2 * 8 + 16 + 8 }

    public var description: String {
        "\(totalBytes) bytes for \(trackedFlows) flows (records \(flowRecordBytes), index \(flowIndexBytes), "
            + "timers \(timerBytes), listeners \(listenerBytes))"
    }

    /// This process's resident set size from /proc/self/statm, for cross-checks (Linux).
    public static func residentBytes() -> Int? {
        #if os(Linux)
        guard let file = fopen("/proc/self/statm", "r") else { return nil }
        defer { fclose(file) }
        var size = 0
        var resident = 0
        guard readTwoIntegers(from: file, &size, &resident) else { return nil }
        return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
        #else
        return nil
        #endif
    }
}

#if os(Linux)
/// Reads the first two integers of a statm line without Foundation.
private func readTwoIntegers(from file: UnsafeMutablePointer<FILE>, _ first: inout Int, _ second: inout Int) -> Bool {
    var buffer = [CChar](repeating: 0, count: 256)
    guard fgets(&buffer, Int32(buffer.count), file) != nil else { return false }
    let fields = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        .split(separator: " ")
    guard fields.count >= 2, let a = Int(fields[0]), let b = Int(fields[1]) else { return false }
    first = a
    second = b
    return true
}
#endif
