import SynShadowCore

/// One fault injected into a legal stream, and the divergence a correct
/// model must report for it.
struct InjectedFault: CustomStringConvertible {
    enum Operation {
        case drop(Int)
        case duplicate(Int)
        case swap(Int)
        case corrupt(Int)
    }

    let operation: Operation
    /// The divergence kinds allowed; empty means the stream must stay clean.
    let expected: Set<FindingKind>
    let note: String
    /// Whether finding nothing is also right (a reorder the figures may not betray).
    var mayStayClean = false

    init(operation: Operation, expected: Set<FindingKind>, note: String, mayStayClean: Bool = false) {
        self.operation = operation
        self.expected = expected
        self.note = note
        self.mayStayClean = mayStayClean
    }

    var description: String { "\(operation) \(note) expecting \(expected.map(\.identifier).sorted())" }

    func apply(to events: [KernelEvent]) -> [KernelEvent] {
        var events = events
        switch operation {
        case .drop(let index):
            events.remove(at: index)
        case .duplicate(let index):
            events.insert(events[index], at: index + 1)
        case .swap(let index):
            events.swapAt(index, index + 1)
        case .corrupt(let index):
            if events[index].timestamp % 2 == 0 {
                events[index].queues.acceptQueue += 50
            } else {
                events[index].queues.requestQueue += 50
            }
        }
        return events
    }
}

/// Finds the places in a legal stream where each kind of fault has one
/// well-defined consequence (see docs/divergences.md, "Fault classes").
struct FaultInjector {
    let events: [KernelEvent]
    let tier: Tier

    private var functionTier: Bool { tier != .tracepoint }

    private func sameFlow(_ a: KernelEvent, _ b: KernelEvent) -> Bool {
        a.flow == b.flow && a.flow.family != .none
    }

    private func later(_ index: Int, _ kinds: Set<EventKind>) -> Bool {
        events[(index + 1)...].contains { sameFlow($0, events[index]) && kinds.contains($0.kind) }
    }

    private func isChildResult(_ event: KernelEvent) -> Bool { event.kind == .checkRequestDone && event.child != 0 }

    /// The next event of the same flow after `index`.
    private func nextOfFlow(_ index: Int) -> KernelEvent? {
        events[(index + 1)...].first { sameFlow($0, events[index]) }
    }

    /// Whether the listener of this event was closed before it.
    private func listenerClosed(before index: Int) -> Bool {
        let event = events[index]
        return events[..<index].contains { $0.kind == .listenStop && $0.listener == event.listener }
    }

    /// Every fault this stream offers, each with its expectation. Reorders
    /// are taken only between events less than a millisecond apart: the ring
    /// buffer can deliver steps out of timestamp order by microseconds, not
    /// seconds.
    func candidates() -> [InjectedFault] {
        var faults: [InjectedFault] = []
        for (index, event) in events.enumerated() {
            let kind = event.kind
            let next = nextOfFlow(index)
            // Corrupt a queue figure the model compares.
            if event.flags.contains(.queuesValid) && !kind.isSnapshot && kind != .listenStart {
                faults.append(InjectedFault(operation: .corrupt(index), expected: [.queueMismatch], note: kind.name))
            }
            // Duplicate a step that happens once.
            switch kind {
            case .childCreated, .requestQueued, .requestCreated, .listenStart, .listenStop:
                faults.append(InjectedFault(operation: .duplicate(index), expected: [.illegalTransition], note: kind.name))
            case .childState where !listenerClosed(before: index):
                faults.append(InjectedFault(operation: .duplicate(index), expected: [.illegalTransition], note: kind.name))
            case .accept:
                faults.append(InjectedFault(operation: .duplicate(index), expected: [.doubleAccept], note: kind.name))
            case .checkRequestDone where isChildResult(event):
                faults.append(InjectedFault(operation: .duplicate(index), expected: [.illegalTransition], note: kind.name))
            default:
                break
            }
            // Drop a step the model cannot do without.
            switch kind {
            case .syn where event.hook != .checkRequestEntry
                && (next?.kind == .requestCreated || next?.kind == .connRequestDone):
                faults.append(InjectedFault(operation: .drop(index), expected: [.orphanEvent], note: "syn"))
            case .requestCreated where next?.kind == .requestQueued:
                faults.append(InjectedFault(operation: .drop(index), expected: [.illegalTransition], note: kind.name))
            case .ack where !functionTier && next?.kind == .childCreated && hadRequest(before: index):
                faults.append(InjectedFault(operation: .drop(index), expected: [.illegalTransition], note: "ack"))
            case .ack where functionTier && next.map(isChildResult) == true:
                faults.append(InjectedFault(operation: .drop(index), expected: [.illegalTransition], note: "ack"))
            case .accept:
                faults.append(InjectedFault(operation: .drop(index), expected: [.queueMismatch], note: kind.name))
            case .requestQueued:
                // Visible only in the request-queue figures, which the model
                // reads with tolerance for RSTs and expiries in flight.
                faults.append(
                    InjectedFault(
                        operation: .drop(index), expected: [.queueMismatch, .illegalTransition], note: kind.name,
                        mayStayClean: true))
            case .childCreated where !functionTier && hadRequest(before: index):
                faults.append(
                    InjectedFault(
                        operation: .drop(index), expected: [.queueMismatch, .orphanEvent, .illegalTransition],
                        note: kind.name))
            default:
                break
            }
            // Swap with the next event.
            guard index + 1 < events.count else { continue }
            let following = events[index + 1]
            let gap = max(event.timestamp, following.timestamp) - min(event.timestamp, following.timestamp)
            let listenerStep: Set<EventKind> = [.listenStart, .listenStop, .snapshotListener]
            guard gap < 1_000_000, !listenerStep.contains(kind), !listenerStep.contains(following.kind) else { continue }
            if !sameFlow(event, following) {
                // Independent steps: only the figures they carry can give the
                // new order away.
                faults.append(
                    InjectedFault(operation: .swap(index), expected: [.queueMismatch], note: "\(kind.name)/\(following.kind.name) of two flows",
                        mayStayClean: true))
                continue
            }
            switch (kind, following.kind) {
            case (.syn, .requestCreated):
                faults.append(InjectedFault(operation: .swap(index), expected: [.orphanEvent], note: "syn/request_created"))
            case (.requestCreated, .requestQueued):
                faults.append(InjectedFault(operation: .swap(index), expected: [.illegalTransition], note: "request_created/request_queued"))
            case (.childCreated, .accept):
                // accept() may come first, but then the creation callback's
                // figures no longer hold the child: these still do.
                faults.append(InjectedFault(operation: .swap(index), expected: [.queueMismatch], note: "child_created/accept"))
            case (.ack, .childCreated) where !functionTier && hadRequest(before: index):
                faults.append(InjectedFault(operation: .swap(index), expected: [.illegalTransition], note: "ack/child_created"))
            case (.ack, .checkRequestDone) where isChildResult(following):
                faults.append(InjectedFault(operation: .swap(index), expected: [.illegalTransition], note: "ack/check_req_done"))
            case (.checkRequestDone, .childCreated) where isChildResult(event):
                faults.append(InjectedFault(operation: .swap(index), expected: [.illegalTransition], note: "check_req_done/child_created"))
            default:
                break
            }
        }
        return faults
    }

    /// Whether the flow of the event at `index` had a request hashed (not a cookie).
    private func hadRequest(before index: Int) -> Bool {
        events[..<index].contains { sameFlow($0, events[index]) && ($0.kind == .requestQueued || $0.kind == .snapshotRequest) }
    }
}
