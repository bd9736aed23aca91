import SynShadowCore

/// Bounds label cardinality: at most `limit` listeners get series of their
/// own (the most active: most SYNs, then handshakes, then accepts), and the
/// rest are summed into `listener="other"`. A scrape of a host with
/// thousands of ports thus stays at `limit + 1` series per metric.
///
/// The choice is made afresh on every snapshot from cumulative counts, so
/// it is stable once traffic has settled; when a listener moves in or out
/// of `other`, `other`'s counters can go down, which Prometheus reads as a
/// counter reset.
public enum ListenerFolding {
    public static let defaultLimit = 50

    /// Sockets with equal labels merged, the `limit` most active kept, the
    /// rest folded into `other` (present only when something was folded).
    /// Ordered by labels, `other` last.
    public static func fold(_ activities: [ListenerActivity], limit: Int) -> [FoldedListener] {
        var byLabels: [ListenerLabels: FoldedListener] = [:]
        for activity in activities {
            let labels = ListenerLabels(activity.listener)
            byLabels[labels, default: FoldedListener(labels: labels)].add(activity)
        }
        let ranked = byLabels.values.sorted { lhs, rhs in
            lhs.activity != rhs.activity ? lhs.activity > rhs.activity : lhs.labels < rhs.labels
        }
        let keep = max(limit, 0)
        var kept = Array(ranked.prefix(keep)).sorted { $0.labels < $1.labels }
        if ranked.count > keep {
            var other = FoldedListener(labels: .other)
            for listener in ranked.dropFirst(keep) { other.add(listener) }
            kept.append(other)
        }
        return kept
    }
}
