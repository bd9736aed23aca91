import SynShadowCore
import SynShadowTracer

/// `top`'s side of a live run: keeps the latest findings, and every interval
/// reads the model's listener activity and the kernel's counters into a
/// snapshot and draws a frame from it and the one before.
final class TopView: LiveRunObserver {
    private let interval: UInt64
    private let terminal: TopTerminal
    private let keptFindings = 20
    private var findings: [Finding] = []
    private var previous: TopSnapshot?
    private var nextFrame: UInt64 = 0

    init(intervalSeconds: Double, terminal: TopTerminal) {
        interval = UInt64(intervalSeconds * 1e9)
        self.terminal = terminal
    }

    func noteFindings(_ batch: [Finding]) {
        findings += batch
        if findings.count > keptFindings { findings.removeFirst(findings.count - keptFindings) }
    }

    func drained(tracer: LiveTracer, driver: ModelDriver) -> Bool {
        if terminal.quitRequested() { return false }
        let now = monotonicNanoseconds()
        guard now >= nextFrame else { return true }
        nextFrame = (nextFrame == 0 ? now : nextFrame) + interval
        if nextFrame <= now { nextFrame = now + interval }  // fell behind: skip, don't burst
        let counters = tracer.session.counters()
        let snapshot = TopSnapshot(
            time: now, tier: tracer.tier.name, events: counters.events, lost: counters.eventsLost,
            uptime: Double(now &- tracer.origin) / 1e9, listeners: driver.model.listenerActivity())
        let size = terminal.size
        let screen = TopScreen(
            width: size.columns, height: terminal.isInteractive ? size.lines : nil, origin: tracer.origin)
        terminal.draw(screen.lines(snapshot, previous: previous, findings: findings))
        previous = snapshot
        return true
    }

    func stopped() {
        terminal.leave()
    }
}
