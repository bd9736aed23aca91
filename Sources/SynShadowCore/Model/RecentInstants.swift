/// The last few instants something happened on a listener (a child queued,
/// a child accepted) and on which CPU, so the tracepoint tier can ask
/// whether another CPU changed the accept queue between a probe's reading
/// and the kernel's check a few microseconds later. Fixed size: a listener
/// costs the same however busy it is.
struct RecentInstants {
    private var times: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    private var cpus: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16) = (0, 0, 0, 0, 0, 0, 0, 0)
    private var next: UInt8 = 0
    private var recorded: UInt8 = 0
    /// The latest instant pushed out of the ring: a window that starts after
    /// it lost nothing, however many instants it holds.
    private var latestPushedOut: UInt64?

    static let capacity = 8

    mutating func note(_ time: UInt64, cpu: UInt16) {
        let index = Int(next)
        if Int(recorded) == Self.capacity {
            let pushedOut = withUnsafeBytes(of: times) { $0.load(fromByteOffset: index * 8, as: UInt64.self) }
            latestPushedOut = max(latestPushedOut ?? 0, pushedOut)
        }
        withUnsafeMutableBytes(of: &times) { $0.storeBytes(of: time, toByteOffset: index * 8, as: UInt64.self) }
        withUnsafeMutableBytes(of: &cpus) { $0.storeBytes(of: cpu, toByteOffset: index * 2, as: UInt16.self) }
        next = UInt8((index + 1) % Self.capacity)
        recorded = UInt8(min(Int(recorded) + 1, Self.capacity))
    }

    /// Stands for "too many to know": more happened than are kept.
    static let many = Int(Int32.max)

    /// How many happened in `window` (inclusive) on a CPU other than `cpu`.
    /// When an instant pushed out of the ring was at or after the window's
    /// start, pushed-out instants of any CPU may have fallen inside it:
    /// `many` is returned then, to stay on the safe side. A full ring whose
    /// pushed-out instants all came before the window counts it exactly
    /// (eight children of the step's own CPU in it are no race).
    func count(in window: ClosedRange<UInt64>, otherThan cpu: UInt16) -> Int {
        if let latestPushedOut, latestPushedOut >= window.lowerBound { return Self.many }
        return withUnsafeBytes(of: times) { timeBytes in
            withUnsafeBytes(of: cpus) { cpuBytes in
                var inside = 0
                for index in 0..<Int(recorded) {
                    let time = timeBytes.load(fromByteOffset: index * 8, as: UInt64.self)
                    if window.contains(time) && cpuBytes.load(fromByteOffset: index * 2, as: UInt16.self) != cpu {
                        inside += 1
                    }
                }
                return inside
            }
        }
    }
}
