import Synchronization

/// OTLP export failures, told to the operator and counted: the first one
/// at once, then at most one warning per `warningInterval` saying how many
/// followed; counted in `synshadow_otlp_export_failures_total{signal}` and,
/// for findings lost with a failed batch or a full queue,
/// `synshadow_otlp_log_records_dropped_total`.
final class ExportFailureReport: Sendable {
    private struct State {
        var failures: [OTLPEndpoint.Signal: UInt64] = [.metrics: 0, .logs: 0]
        var droppedRecords: UInt64 = 0
        var lastWarning: UInt64?
        var sinceWarning = 0
        var failing = false
    }

    static let failuresMetric = "synshadow_otlp_export_failures_total"
    static let droppedMetric = "synshadow_otlp_log_records_dropped_total"

    private let endpoint: String
    private let warningInterval: UInt64
    private let warn: @Sendable (String) -> Void
    private let state = Mutex(State())

    init(endpoint: String, warningInterval: UInt64 = 60_000_000_000, warn: @escaping @Sendable (String) -> Void) {
        self.endpoint = endpoint
        self.warningInterval = warningInterval
        self.warn = warn
    }

    func failed(_ signal: OTLPEndpoint.Signal, _ failure: OTLPPostFailure, now: UInt64) {
        let message: String? = state.withLock { state in
            state.failures[signal, default: 0] += 1
            state.failing = true
            state.sinceWarning += 1
            if let last = state.lastWarning, now - last < warningInterval { return nil }
            defer {
                state.lastWarning = now
                state.sinceWarning = 0
            }
            if state.lastWarning == nil {
                return "warning: OTLP export of \(signal.rawValue) to \(endpoint) failed: \(failure.reason);"
                    + " tracing goes on, metrics are sent again on the next export (failures are counted in"
                    + " \(Self.failuresMetric); this warning repeats at most once a minute)"
            }
            return "warning: OTLP export to \(endpoint) still failing: \(state.sinceWarning) failures since the last"
                + " warning, the latest (\(signal.rawValue)): \(failure.reason)"
        }
        if let message { warn(message) }
    }

    func succeeded(now: UInt64) {
        let recovered = state.withLock { state in
            defer { state.failing = false }
            return state.failing && state.lastWarning != nil
        }
        if recovered { warn("OTLP export to \(endpoint) works again") }
    }

    func dropped(records count: Int) {
        state.withLock { $0.droppedRecords += UInt64(count) }
    }

    var samples: [MetricSample] {
        let state = state.withLock { $0 }
        return [OTLPEndpoint.Signal.metrics, .logs].map { signal in
            MetricSample(
                name: Self.failuresMetric, help: "OTLP exports that failed (refused, timed out, not a 2xx answer), by signal.",
                labels: [MetricLabel("signal", signal.rawValue)], value: .counter(state.failures[signal] ?? 0))
        } + [
            MetricSample(
                name: Self.droppedMetric, help: "Findings not delivered as OTLP log records: their export failed, or the queue was full.",
                value: .counter(state.droppedRecords))
        ]
    }
}
