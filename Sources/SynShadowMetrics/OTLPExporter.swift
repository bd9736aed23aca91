import Dispatch
import Foundation
import SynShadowCore
import Synchronization

/// OTLP/HTTP (protobuf) export on a thread of its own: the exact samples
/// every `interval` to `/v1/metrics`, and every finding as a log record to
/// `/v1/logs` (batched, at most a second late). Each POST has a timeout; a
/// failure is reported (`ExportFailureReport`) and never reaches the
/// tracing thread, which only ever hands over a snapshot or queues findings.
final class OTLPExporter: Sendable {
    struct Settings: Sendable {
        var intervalNanoseconds: UInt64
        var timeoutNanoseconds: UInt64
        /// Findings waiting to be sent; past it new ones are dropped and counted.
        var queueLimit = 8192
        var batchSize = 512
        var logDelayNanoseconds: UInt64 = 1_000_000_000
    }

    private struct State {
        var queue: [FindingLogRecord] = []
        /// Set by `shutdown`: the monotonic time by which the last export must be done.
        var finalDeadline: UInt64?
    }

    private let endpoint: OTLPEndpoint
    private let settings: Settings
    private let headers: [(String, String)]
    private let mirror: MetricsMirror
    let report: ExportFailureReport
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    init(endpoint: OTLPEndpoint, settings: Settings, mirror: MetricsMirror, report: ExportFailureReport) {
        self.endpoint = endpoint
        self.settings = settings
        self.headers = OTLPHeaders.fromEnvironment()
        self.mirror = mirror
        self.report = report
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.name = "synshadow-otlp"
        thread.start()
    }

    /// From the tracing thread: queues the findings, never waits on the network.
    func log(_ findings: [Finding]) {
        guard !findings.isEmpty else { return }
        let now = SocketIO.wallNanoseconds()
        let (dropped, full) = state.withLock { state in
            let room = max(settings.queueLimit - state.queue.count, 0)
            state.queue += findings.prefix(room).map { FindingLogRecord($0, observedNanoseconds: now) }
            return (findings.count - min(room, findings.count), state.queue.count >= settings.batchSize)
        }
        if dropped > 0 { report.dropped(records: dropped) }
        if full { wake.signal() }
    }

    /// Exports the figures once more and sends the queued findings, within
    /// `seconds`; once (a second call returns at once).
    func shutdown(seconds: Double) {
        let deadline = SocketIO.monotonicNanoseconds() + UInt64(max(seconds, 0) * 1e9)
        let first = state.withLock { state in
            defer { state.finalDeadline = state.finalDeadline ?? deadline }
            return state.finalDeadline == nil
        }
        guard first else { return }
        wake.signal()
        _ = finished.wait(timeout: .now() + max(seconds, 0) + 0.5)
    }

    private func run() {
        var starts = CumulativeStarts(origin: SocketIO.wallNanoseconds())
        var nextMetrics = SocketIO.monotonicNanoseconds() + settings.intervalNanoseconds
        var nextLogs = UInt64.max
        while true {
            let (queued, finalDeadline) = state.withLock { ($0.queue.count, $0.finalDeadline) }
            if let finalDeadline {
                exportMetrics(&starts, deadline: finalDeadline)
                while SocketIO.monotonicNanoseconds() < finalDeadline, exportLogs(deadline: finalDeadline) {}
                report.dropped(records: state.withLock { $0.queue.count })
                return
            }
            var now = SocketIO.monotonicNanoseconds()
            if now >= nextMetrics {
                exportMetrics(&starts, deadline: now + settings.timeoutNanoseconds)
                now = SocketIO.monotonicNanoseconds()
                nextMetrics = now + settings.intervalNanoseconds
            }
            if queued > 0, nextLogs == .max { nextLogs = now + settings.logDelayNanoseconds }
            if queued >= settings.batchSize || (queued > 0 && now >= nextLogs) {
                _ = exportLogs(deadline: now + settings.timeoutNanoseconds)
                now = SocketIO.monotonicNanoseconds()
                nextLogs = .max
                continue
            }
            let next = min(nextMetrics, nextLogs)
            _ = wake.wait(timeout: .now() + .nanoseconds(Int(clamping: next > now ? next - now : 0)))
        }
    }

    private func exportMetrics(_ starts: inout CumulativeStarts, deadline: UInt64) {
        let samples = mirror.samples()
        let time = SocketIO.wallNanoseconds()
        let startTimes = starts.starts(for: samples, time: time)
        let body = OTLPMetricsRequest.encode(samples, time: time) { startTimes[$0.key] ?? time }
        post(.metrics, body, deadline: deadline)
    }

    /// Sends one batch of queued findings; false when none were left.
    private func exportLogs(deadline: UInt64) -> Bool {
        let batch = state.withLock { state in
            let batch = Array(state.queue.prefix(settings.batchSize))
            state.queue.removeFirst(batch.count)
            return batch
        }
        guard !batch.isEmpty else { return false }
        if !post(.logs, OTLPLogsRequest.encode(batch), deadline: deadline) { report.dropped(records: batch.count) }
        return true
    }

    @discardableResult
    private func post(_ signal: OTLPEndpoint.Signal, _ body: [UInt8], deadline: UInt64) -> Bool {
        do throws(OTLPPostFailure) {
            if endpoint.isSecure {
                guard let url = endpoint.url(for: signal) else { throw OTLPPostFailure(reason: "not a URL") }
                let now = SocketIO.monotonicNanoseconds()
                try TLSPost.post(to: url, body: body, headers: headers, seconds: Double(deadline > now ? deadline - now : 0) / 1e9)
            } else {
                try PlainHTTPPost.post(
                    to: endpoint, path: endpoint.path(for: signal), body: body, headers: headers.map { "\($0.0): \($0.1)" },
                    deadline: deadline)
            }
            report.succeeded(now: SocketIO.monotonicNanoseconds())
            return true
        } catch {
            report.failed(signal, error, now: SocketIO.monotonicNanoseconds())
            return false
        }
    }
}
