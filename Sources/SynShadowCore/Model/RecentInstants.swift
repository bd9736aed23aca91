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
    /// The latest instant pushed out of the ring, and its CPU; and the
    /// latest pushed out on any other CPU than that one. Together they give
    /// the latest pushed-out instant of any CPU but a given one: a window
    /// that starts after it lost nothing of those CPUs, however many
    /// instants the ring holds.
    private var latestPushedOut: (time: UInt64, cpu: UInt16)?
    private var latestPushedOutElsewhere: UInt64?

    static let capacity = 8

    mutating func note(_ time: UInt64, cpu: UInt16) {
        let index = Int(next)
        if Int(recorded) == Self.capacity {
            let pushedOut = withUnsafeBytes(of: times) { $0.load(fromByteOffset: index * 8, as: UInt64.self) }
            let pushedOutCPU = withUnsafeBytes(of: cpus) { $0.load(fromByteOffset: index * 2, as: UInt16.self) }
            notePushedOut(pushedOut, cpu: pushedOutCPU)
        }
        withUnsafeMutableBytes(of: &times) { $0.storeBytes(of: time, toByteOffset: index * 8, as: UInt64.self) }
        withUnsafeMutableBytes(of: &cpus) { $0.storeBytes(of: cpu, toByteOffset: index * 2, as: UInt16.self) }
        next = UInt8((index + 1) % Self.capacity)
        recorded = UInt8(min(Int(recorded) + 1, Self.capacity))
    }

    private mutating func notePushedOut(_ time: UInt64, cpu: UInt16) {
        guard let latest = latestPushedOut else {
            latestPushedOut = (time, cpu)
            return
        }
        if time >= latest.time {
            // The old latest was of another CPU: it is the latest elsewhere now.
            if cpu != latest.cpu { latestPushedOutElsewhere = latest.time }
            latestPushedOut = (time, cpu)
        } else if cpu != latest.cpu {
            latestPushedOutElsewhere = max(latestPushedOutElsewhere ?? 0, time)
        }
    }

    /// The latest instant pushed out of the ring on a CPU other than `cpu`.
    private func latestPushedOut(otherThan cpu: UInt16) -> UInt64? {
        guard let latest = latestPushedOut else { return nil }
        return latest.cpu != cpu ? latest.time : latestPushedOutElsewhere
    }

    /// Stands for "too many to know": more happened than are kept.
    static let many = Int(Int32.max)

    /// How many happened in `window` (inclusive) on a CPU other than `cpu`.
    /// When an instant of another CPU pushed out of the ring was at or after
    /// the window's start, it may have fallen inside: `many` is returned
    /// then, to stay on the safe side. Pushed-out instants of `cpu` itself
    /// are no race, however many (eight children of the step's own CPU).
    func count(in window: ClosedRange<UInt64>, otherThan cpu: UInt16) -> Int {
        if let pushedOut = latestPushedOut(otherThan: cpu), pushedOut >= window.lowerBound { return Self.many }
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
