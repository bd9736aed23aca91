import SynShadowCore
import SynShadowTestbed

/// Makes a sequential stream look like several CPUs produced it: a probe's
/// queue figures are sometimes read a little late (they already hold steps
/// reported just after them) or just before another CPU's request insertion
/// became visible. The ring-buffer order of the steps is unchanged.
enum ConcurrencyJitter {
    static func apply(to events: [KernelEvent], seed: UInt64, window: UInt64) -> [KernelEvent] {
        var rng = SplitMix64(seed: seed)
        var jittered = events
        for index in events.indices where events[index].flags.contains(.queuesValid) {
            let event = events[index]
            guard !event.kind.isSnapshot, event.kind != .listenStart, event.kind != .listenStop else { continue }
            // A request hashed (or reset) after its probe ran cannot show in
            // that probe's own figures, however late they are read.
            let ownEffectFollows = event.kind == .requestQueued || event.kind == .rst
            if rng.chance(0.2) && !ownEffectFollows {
                // Read late: take the figures of a later probe of the same
                // listener within the window (they include the steps between).
                let ahead = Int(rng.between(1, 3))
                if index + ahead < events.count {
                    let later = events[index + ahead]
                    if later.listener == event.listener, later.flags.contains(.queuesValid),
                        later.timestamp - event.timestamp < window, later.kind != .listenStop
                    {
                        jittered[index].queues = later.queues
                    }
                }
            } else if rng.chance(0.2), index > 0 {
                // Read early: another CPU's request insertion is not visible yet.
                let previous = events[index - 1]
                if previous.kind == .requestQueued, previous.listener == event.listener,
                    previous.flow != event.flow, event.timestamp - previous.timestamp < window
                {
                    jittered[index].queues.requestQueue = previous.queues.requestQueue
                }
            }
        }
        return jittered
    }
}
