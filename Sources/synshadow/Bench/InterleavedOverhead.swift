import Foundation
import SynShadowCore
import SynShadowTestbed
import SynShadowTracer
import Synchronization

/// Traced, idle and untraced windows of one continuous loopback load,
/// switching every half second by detaching and re-attaching SynShadow's
/// hooks, or keeping them attached but idle.
///
/// Why: this VM's connection rate wanders by ±10% over seconds, more than
/// the overhead being measured, so separate untraced and traced runs compare
/// mostly the drift. Side by side in time, each traced (or idle) window is
/// compared with the mean of the untraced windows either side of it. Idle
/// windows (every hook attached, each returning at once) split the cost into
/// the kernel's dispatch of the hooks and SynShadow's own work in them.
struct InterleavedOverhead {
    enum Window {
        case untraced, traced, idle

        /// Untraced windows between the others, which take turns:
        /// U T U I U T U I ... U.
        init(index: Int) {
            if index % 2 == 0 {
                self = .untraced
            } else {
                self = (index / 2) % 2 == 0 ? .traced : .idle
            }
        }
    }

    struct Result {
        var untracedRates: [Double] = []
        var tracedRates: [Double] = []
        var idleRates: [Double] = []
        /// Each traced window over the mean of its two untraced neighbours.
        var ratios: [Double] = []
        /// The same for each idle window.
        var idleRatios: [Double] = []
        /// Traced windows over the idle window that follows each: SynShadow's
        /// own work, the kernel's dispatch of the hooks cancelled out.
        var ownWorkRatios: [Double] = []
        /// BPF run time (the kernel's statistics) and connections in the
        /// measured part of each kind of window.
        var tracedBPFNanoseconds: UInt64 = 0
        var tracedConnections = 0
        /// Connections from each traced window's attach to its detach: what
        /// the events and the drain thread's time are shared among.
        var connectionsWhileAttached = 0
        var idleBPFNanoseconds: UInt64 = 0
        var idleConnections = 0
        /// Per program over the traced windows: where the BPF time goes.
        var tracedPrograms: [ProgramStatistics] = []
        /// CPU time of the thread that drains, decodes and models, all along.
        var drainThreadNanoseconds: UInt64 = 0
        var wakeups: UInt64 = 0
        /// Seconds the hooks were attached and tracing.
        var tracedSeconds: Double = 0
        var events: UInt64 = 0
        var lost: UInt64 = 0
        /// How the loss splits: ring full, runs the kernel skipped (by hook).
        var lossDetail = ""
        /// Runs the kernel skipped whose events a cover program took.
        var coveredRuns: UInt64 = 0
        var rawRecords: [UInt8] = []
    }

    var windowSeconds: Double = 0.5
    /// Left out of each window after a switch: attaching takes milliseconds.
    let settle: Double = 0.1
    /// Never detach: the untraced windows become idle ones too, so traced
    /// windows are compared with idle neighbours directly (and idle ones
    /// with idle: the method's noise floor). For function tiers in a TCG
    /// guest, where repeated attach and detach of fentry trampolines
    /// panicked Debian's 6.12 kernel (a stale int3 at the patched site).
    var keepsAttached = false
    /// Keep the traced windows' raw records (up to 64 MiB) for the
    /// pipeline and formatting figures. Copying them is work `trace` never
    /// does, so the run whose ratios are reported keeps none.
    var keepsRecords = false

    /// `pairs` traced and `pairs` idle windows, each between two untraced
    /// ones. The tracer is started; it is left detached (attached when it
    /// `keepsAttached`), not idle, and drained when this returns.
    func measure(tracer: LiveTracer, pairs: Int, clients: Int) throws -> Result {
        let load = try ConnectionLoad()
        let done = Atomic<Bool>(false)
        let generation = Atomic<Int>(0)
        let drained = DispatchSemaphore(value: 0)
        let drainCPU = Atomic<UInt64>(0)
        let kept = RawRecords(limit: keepsRecords ? 64 << 20 : 0)
        tracer.session.keepsRawRecords = keepsRecords
        let box = UncheckedBox(tracer)
        try tracer.session.setHooksIdle(keepsAttached)
        try tracer.session.setHooksAttached(keepsAttached)
        Thread {
            // The full pipeline (decode, model, findings), a fresh model for
            // each traced window: a detach splits the flows in flight.
            let cpuAtStart = ThreadCPU.nanoseconds()
            var seen = -1
            var keeper: RecordKeeper?
            while !done.load(ordering: .relaxed) {
                let current = generation.load(ordering: .relaxed)
                if current != seen {
                    try? keeper?.driver.finish()
                    keeper = RecordKeeper(driver: Self.driver(for: box.value), into: kept)
                    seen = current
                }
                if let keeper { try? box.value.drainOnce(into: keeper, timeoutMilliseconds: 100) }
            }
            if let keeper { try? box.value.drainOnce(into: keeper, timeoutMilliseconds: 0) }
            try? keeper?.driver.finish()
            // Stored before the signal: the measuring thread reads it right after.
            drainCPU.store(ThreadCPU.nanoseconds() - cpuAtStart, ordering: .relaxed)
            drained.signal()
        }.start()
        let loadEnded = DispatchSemaphore(value: 0)
        Thread {
            _ = load.run(clientThreads: clients)
            loadEnded.signal()
        }.start()

        var result = Result()
        let before = tracer.session.counters()
        var rates: [Double] = []
        for index in 0...(4 * pairs) {
            let window = Window(index: index)
            do {
                // Idle before attaching: an idle window does no work at all.
                try tracer.session.setHooksIdle(window == .idle || (keepsAttached && window == .untraced))
                try tracer.session.setHooksAttached(keepsAttached || window != .untraced)
            } catch {
                load.finish()
                loadEnded.wait()
                done.store(true, ordering: .relaxed)
                drained.wait()
                throw error
            }
            if window == .traced { generation.add(1, ordering: .relaxed) }
            let attached = load.acceptedSoFar
            Thread.sleep(forTimeInterval: settle)
            let start = (Date(), load.acceptedSoFar, tracer.session.programStatistics())
            Thread.sleep(forTimeInterval: windowSeconds - settle)
            let connections = load.acceptedSoFar - start.1
            let seconds = Date().timeIntervalSince(start.0)
            rates.append(Double(connections) / seconds)
            result.tracedSeconds += window == .traced ? windowSeconds : 0
            let programs = zip(tracer.session.programStatistics(), start.2).map { $0.since($1) }
            let bpf = programs.reduce(0) { $0 + $1.runTimeNanoseconds }
            switch window {
            case .traced:
                result.connectionsWhileAttached += load.acceptedSoFar - attached
                result.tracedBPFNanoseconds += bpf
                result.tracedConnections += connections
                result.tracedPrograms = result.tracedPrograms.isEmpty
                    ? programs : zip(result.tracedPrograms, programs).map { $0.adding($1) }
            case .idle:
                result.idleBPFNanoseconds += bpf
                result.idleConnections += connections
            case .untraced:
                break
            }
        }
        if !keepsAttached { try tracer.session.setHooksAttached(false) }
        try tracer.session.setHooksIdle(false)
        load.finish()
        loadEnded.wait()
        done.store(true, ordering: .relaxed)
        drained.wait()
        let after = tracer.session.counters()

        // U T U I: each traced window's ratio over the next idle window's.
        for index in stride(from: 1, to: rates.count - 3, by: 4) {
            let traced = rates[index] / ((rates[index - 1] + rates[index + 1]) / 2)
            let idle = rates[index + 2] / ((rates[index + 1] + rates[index + 3]) / 2)
            if traced.isFinite, idle.isFinite, idle > 0 { result.ownWorkRatios.append(traced / idle) }
        }
        for index in stride(from: 1, to: rates.count - 1, by: 2) {
            let base = (rates[index - 1] + rates[index + 1]) / 2
            let ratio = base > 0 ? [rates[index] / base] : []
            if Window(index: index) == .traced {
                result.tracedRates.append(rates[index])
                result.ratios += ratio
            } else {
                result.idleRates.append(rates[index])
                result.idleRatios += ratio
            }
        }
        result.untracedRates = stride(from: 0, to: rates.count, by: 2).map { rates[$0] }
        result.drainThreadNanoseconds = drainCPU.load(ordering: .relaxed)
        result.wakeups = after.wakeups - before.wakeups
        result.events = after.events - before.events
        result.lost = after.eventsLost - before.eventsLost
        result.lossDetail = after.lossDescription(since: before)
        result.coveredRuns = after.coveredRuns - before.coveredRuns
        result.rawRecords = kept.bytes
        return result
    }

    private static func driver(for tracer: LiveTracer) -> ModelDriver {
        ModelDriver(
            configuration: ModelConfiguration(tier: tracer.tier, kernel: KernelSettingsReader.current()),
            onFindings: { _ in })
    }
}
