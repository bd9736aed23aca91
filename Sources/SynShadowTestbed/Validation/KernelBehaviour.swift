import SynShadowCore

/// Kernel behaviours a scenario's findings measure, named in words, so that
/// two kernels' runs of the same scripted traffic can be told apart by what
/// the kernel did ("first SYN dropped: accept queue 2/2") rather than by a
/// finding count alone.
enum KernelBehaviour {
    /// Where each kind of drop first happened: the queues the probe read at
    /// the first finding of each drop family (the SYN, the final ACK, the
    /// first syncookie). A kernel whose limit moved drops at another length.
    static func firstDrops(in findings: [Finding]) -> [String: String] {
        var observed: [String: String] = [:]
        for finding in findings.sorted(by: { $0.timestamp < $1.timestamp }) {
            guard let behaviour = behaviour(of: finding.kind), observed[behaviour] == nil,
                let queues = finding.evidence.lazy.compactMap(\.queues).first
            else { continue }
            observed[behaviour] =
                "accept queue \(queues.acceptQueue)/\(queues.acceptQueueLimit), request queue \(queues.requestQueue)"
        }
        return observed
    }

    private static func behaviour(of kind: FindingKind) -> String? {
        switch kind {
        case .synDroppedAcceptQueueFull, .synDroppedRequestQueueFull, .synDropped: "first SYN dropped"
        case .syncookieSent: "first syncookie sent"
        case .ackDroppedAcceptQueueFull, .ackResetAcceptQueueFull: "first final ACK dropped"
        default: nil
        }
    }
}
