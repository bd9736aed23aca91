import SynShadowCore

/// The metrics SynShadow exports, by name, and how a snapshot becomes
/// samples. Names and labels are an interface (dashboards and alerts key
/// on them): add, never rename. README "Metrics and OpenTelemetry" lists them.
public enum MetricsCatalogue {
    public static let syns = "synshadow_syns_total"
    public static let handshakes = "synshadow_handshakes_total"
    public static let accepts = "synshadow_accepts_total"
    public static let findings = "synshadow_findings_total"
    public static let acceptQueue = "synshadow_accept_queue_length"
    public static let requestQueue = "synshadow_request_queue_length"
    public static let backlog = "synshadow_accept_queue_backlog"
    public static let handshakeTime = "synshadow_handshake_duration_seconds"
    public static let acceptWait = "synshadow_accept_wait_seconds"
    public static let events = "synshadow_events_total"
    public static let lostEvents = "synshadow_lost_events_total"
    public static let modelFindings = "synshadow_model_findings_total"
    public static let flowsTracked = "synshadow_flows_tracked"
    public static let listenersFolded = "synshadow_listeners_folded"
    public static let racedVerdicts = "synshadow_raced_verdicts_total"
    public static let info = "synshadow_info"

    public static func samples(from snapshot: MetricsSnapshot, maxListeners: Int) -> [MetricSample] {
        let statistics = snapshot.statistics
        var samples: [MetricSample] = [
            MetricSample(
                name: info, help: "Always 1: the attach tier and kernel release of this run.",
                labels: [MetricLabel("tier", snapshot.tier), MetricLabel("kernel", snapshot.kernelRelease)],
                value: .gauge(1)),
            MetricSample(name: events, help: "Kernel events the model consumed.", value: .counter(statistics.events)),
            MetricSample(
                name: lostEvents, help: "Events the model never read: no room in the ring buffer, a run the kernel skipped, or a step it could not correlate.",
                value: .counter(statistics.lostEvents)),
            MetricSample(
                name: racedVerdicts,
                help: "Tracepoint tier: verdicts left undecided because another CPU changed the accept queue"
                    + " between the probe's reading and the kernel's check.",
                value: .counter(statistics.racedVerdicts)),
            MetricSample(
                name: flowsTracked, help: "Flows (handshakes in progress, queued children) the model tracks now.",
                value: .gauge(Double(statistics.trackedFlows))),
        ]
        for (id, count) in statistics.findings.sorted(by: { $0.key < $1.key }) {
            samples.append(
                MetricSample(
                    name: modelFindings, help: "Findings the model decided, by id, over all listeners and none.",
                    labels: [MetricLabel("id", id)], value: .counter(count)))
        }
        let folded = ListenerFolding.fold(snapshot.listeners, limit: maxListeners)
        let foldedSockets = folded.last.flatMap { $0.labels == .other ? $0.sockets : nil } ?? 0
        samples.append(
            MetricSample(
                name: listenersFolded,
                help: "Listener sockets counted under listener=\"other\" (past --metrics-max-listeners).",
                value: .gauge(Double(foldedSockets))))
        for listener in folded { samples += self.samples(for: listener) }
        return samples
    }

    private static func samples(for listener: FoldedListener) -> [MetricSample] {
        let labels = listener.labels.pairs
        var samples = [
            MetricSample(name: syns, help: "SYNs that reached the listener.", labels: labels, value: .counter(listener.syns)),
            MetricSample(
                name: handshakes, help: "Handshakes completed: children created.", labels: labels,
                value: .counter(listener.handshakes)),
            MetricSample(
                name: accepts, help: "Children handed to the application by accept().", labels: labels,
                value: .counter(listener.accepts)),
        ]
        for (kind, count) in listener.findings.sorted(by: { $0.key.identifier < $1.key.identifier }) {
            samples.append(
                MetricSample(
                    name: findings, help: "Findings about the listener, by id (reported, withheld or over the limit).",
                    labels: labels + [MetricLabel("id", kind.identifier)], value: .counter(count)))
        }
        let queueHelp = (
            accept: "Children waiting for accept(): source=\"model\" (shadow model) or \"kernel\" (sk_ack_backlog).",
            request: "Request socks awaiting the handshake ACK: source=\"model\" or \"kernel\" (icsk_accept_queue.qlen).")
        samples.append(queue(acceptQueue, queueHelp.accept, labels, "model", listener.modelAcceptQueue))
        samples.append(queue(requestQueue, queueHelp.request, labels, "model", listener.modelRequestQueue))
        if let kernel = listener.kernelAcceptQueue { samples.append(queue(acceptQueue, queueHelp.accept, labels, "kernel", kernel)) }
        if let kernel = listener.kernelRequestQueue { samples.append(queue(requestQueue, queueHelp.request, labels, "kernel", kernel)) }
        if let backlog = listener.backlog {
            samples.append(
                MetricSample(
                    name: self.backlog, help: "The accept queue's limit (sk_max_ack_backlog, the listen() backlog).",
                    labels: labels, value: .gauge(Double(backlog))))
        }
        samples.append(
            MetricSample(
                name: handshakeTime, help: "SYN seen to child created, per handshake.", labels: labels,
                value: .histogram(listener.handshakeTime)))
        samples.append(
            MetricSample(
                name: acceptWait, help: "Child created to accept() returning it.", labels: labels,
                value: .histogram(listener.acceptWait)))
        return samples
    }

    private static func queue(_ name: String, _ help: String, _ labels: [MetricLabel], _ source: String, _ length: Int)
        -> MetricSample
    {
        MetricSample(name: name, help: help, labels: labels + [MetricLabel("source", source)], value: .gauge(Double(length)))
    }
}
