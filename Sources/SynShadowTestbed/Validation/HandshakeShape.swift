import SynShadowCore

/// What one clean passive open looks like in each tier: the records it
/// produces and the order the kernel guarantees between them. (In the
/// function tiers accept() can return the child before tcp_check_req has
/// returned: the child is queued inside it.)
public struct HandshakeShape: Sendable {
    public let kinds: [EventKind]
    /// (earlier, later) pairs the kernel orders causally.
    public let orderings: [(EventKind, EventKind)]

    public static func clean(for tier: Tier) -> HandshakeShape {
        switch tier {
        case .tracepoint:
            let kinds: [EventKind] = [.syn, .requestCreated, .requestQueued, .ack, .childCreated, .accept]
            return HandshakeShape(kinds: kinds, orderings: Array(zip(kinds, kinds.dropFirst())))
        case .kprobe, .fentry:
            return HandshakeShape(
                kinds: [
                    .syn, .requestCreated, .requestQueued, .connRequestDone, .ack, .checkRequestDone,
                    .childCreated, .accept,
                ],
                orderings: [
                    (.syn, .requestCreated), (.requestCreated, .requestQueued), (.requestQueued, .connRequestDone),
                    (.connRequestDone, .ack), (.ack, .checkRequestDone), (.checkRequestDone, .childCreated),
                    (.ack, .accept),
                ])
        }
    }

    /// Why `events` (one flow's records, in delivery order) is not this
    /// shape, or nil when it is.
    public func mismatch(_ events: [KernelEvent]) -> String? {
        let seen = events.map(\.kind)
        guard seen.sorted(by: { $0.rawValue < $1.rawValue }) == kinds.sorted(by: { $0.rawValue < $1.rawValue })
        else { return "records \(seen.map(\.name)) instead of \(kinds.map(\.name))" }
        for (earlier, later) in orderings {
            let first = events.firstIndex { $0.kind == earlier }!
            let second = events.firstIndex { $0.kind == later }!
            if first > second || events[first].timestamp > events[second].timestamp {
                return "\(later.name) before \(earlier.name)"
            }
        }
        let listeners = Set(events.map(\.listener).filter { $0 != 0 })
        if listeners.count != 1 { return "listener identity varies: \(listeners.count) values" }
        let children = Set(events.map(\.child).filter { $0 != 0 })
        if children.count != 1 { return "child identity varies or is missing: \(children.count) values" }
        return nil
    }
}

extension HandshakeShape {
    /// Splits events into connections: by 4-tuple, and a new connection at
    /// each SYN on a tuple whose previous connection already started (a
    /// loopback client port is reused once its TIME_WAIT is recycled).
    public static func connections(in events: [KernelEvent]) -> [FlowKey: [[KernelEvent]]] {
        var result: [FlowKey: [[KernelEvent]]] = [:]
        for event in events where !event.kind.describesListener && event.flow.family != .none {
            var groups = result[event.flow, default: []]
            if groups.isEmpty || (event.kind == .syn && groups[groups.count - 1].contains { $0.kind == .accept }) {
                groups.append([event])
            } else {
                groups[groups.count - 1].append(event)
            }
            result[event.flow] = groups
        }
        return result
    }
}
