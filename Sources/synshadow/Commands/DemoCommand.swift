import ArgumentParser
import Foundation
import SynShadowCore
import SynShadowTracer
import Synchronization

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "A self-contained live demo: opens loopback listeners, connects to them, and traces it all.",
        discussion: """
            Everything happens on loopback (127.0.0.1 and ::1), on a port the demo picks itself, so \
            it is safe to run anywhere. Needs root like every live command.

            EXAMPLE:
              sudo synshadow demo --connections 10
            """
    )

    @Option(help: "Tier to attach with: auto, fentry, kprobe or tracepoint.")
    var tier: TierChoice = .auto

    @Option(parsing: .unconditional, help: "Connections to make (alternating IPv4 and IPv6).")
    var connections: Int = 6

    @Flag(help: "One JSON object per line instead of aligned text.")
    var json = false

    @Flag(help: "On failure, also print libbpf's and the verifier's messages.")
    var verbose = false

    func validate() throws {
        try OptionRange("--connections", 1...10_000).check(connections)
    }

    func run() throws {
        SignalTrap.install()
        let (v4, v6) = try CommandFailure.reported(context: "demo") {
            let v4 = try TCPSocket(family: AF_INET)
            try v4.bindLoopback()
            let v6 = try TCPSocket(family: AF_INET6)
            try v6.setOption(level: Int32(IPPROTO_IPV6), name: IPV6_V6ONLY, value: 1)
            try v6.bindLoopback(port: v4.localPort)
            return (v4, v6)
        }
        let port = v4.localPort
        let tracer = try CommandFailure.reported(verbose: verbose) {
            try LiveTracer(configuration: .init(tier: tier.tier, port: port))
        }
        defer { tracer.close() }
        Terminal.note(tracer.selection.summary)
        let formatter = EventFormatter(origin: tracer.origin, dropReasons: tracer.session.dropReasonTable())
        let findingFormatter = FindingFormatter(origin: tracer.origin)
        let json = self.json
        let showEvents = Atomic<Bool>(true)
        var eventCount = 0
        let driver = ModelDriver(
            configuration: ModelConfiguration(tier: tracer.tier, kernel: KernelSettingsReader.current()),
            onEvents: { batch in
                guard showEvents.load(ordering: .relaxed) else { return }
                for event in batch where event.flow.localPort == port {
                    Terminal.output(json ? formatter.jsonLine(event) : formatter.humanLine(event))
                    eventCount += 1
                }
                Terminal.flush()
            },
            onFindings: { batch in
                for finding in batch where finding.listener?.port == port {
                    Terminal.output(json ? findingFormatter.jsonLine(finding) : findingFormatter.humanLine(finding))
                }
                Terminal.flush()
            })
        let report = try CommandFailure.reported(verbose: verbose) { try tracer.start(into: driver) }
        Terminal.note("self-check passed: every hook of the \(tracer.tier.name) tier fired (\(report.milliseconds) ms)")

        // Part 1: clean handshakes, every step shown.
        Terminal.note("part 1: \(connections) clean connections to 127.0.0.1:\(port) and [::1]:\(port), every step shown")
        try CommandFailure.reported(context: "demo") {
            try v4.listen(backlog: 16)
            try v6.listen(backlog: 16)
        }
        let clients = DemoClients(count: connections, port: port)
        clients.start()
        var accepted = 0
        let deadline = monotonicNanoseconds() + 20_000_000_000
        while accepted < connections, SignalTrap.stopSignal == nil, monotonicNanoseconds() < deadline {
            accepted += acceptReady(v4) + acceptReady(v6)
            try tracer.drainOnce(into: driver, timeoutMilliseconds: 20)
        }
        try tracer.drainOnce(into: driver, timeoutMilliseconds: 100)
        v4.close()
        v6.close()
        try tracer.drainOnce(into: driver, timeoutMilliseconds: 100)

        // Part 2: an application that accepts too slowly; only findings shown.
        showEvents.store(false, ordering: .relaxed)
        Terminal.note("part 2: a listener with backlog 1 that accepts late; the model's findings:")
        try CommandFailure.reported(context: "demo") {
            try SlowServer.run(port: port) { try tracer.drainOnce(into: driver, timeoutMilliseconds: $0) }
        }
        try driver.finish()
        let counters = tracer.session.counters()
        Terminal.note(
            "demo: \(accepted) of \(connections) clean connections accepted, \(eventCount) events shown, "
                + "\(driver.findingCount) findings, \(counters.eventsLost) events lost. "
                + "Next: `synshadow trace --port PORT` on a real server.")
    }
}

/// Part 2 of the demo: the classic "clients connected, my server never saw
/// them": a backlog of 1, clients that keep coming, an accept() that comes late.
enum SlowServer {
    static func run(port: UInt16, drain: (Int32) throws -> Void) throws {
        let listener = try TCPSocket(family: AF_INET)
        try listener.bindLoopback(port: port)
        try listener.listen(backlog: 1)
        var clients: [TCPSocket] = []
        for _ in 0..<4 {
            let client = try TCPSocket(family: AF_INET)
            _ = fcntl(client.descriptor, F_SETFL, O_NONBLOCK)
            try? client.connectLoopback(port: port)
            clients.append(client)
            try drain(50)
        }
        try drain(300)
        try listener.accept().close()  // late: it waited in the accept queue
        clients[1].close()  // a client gives up while its connection is still queued
        try drain(300)
        listener.close()  // closed with a connection still queued
        try drain(300)
        clients.forEach { $0.close() }
    }
}

/// Accepts one pending connection, if any, and closes it.
private func acceptReady(_ listener: TCPSocket) -> Int {
    guard listener.waitReadable(milliseconds: 0), let child = try? listener.accept() else { return 0 }
    child.close()
    return 1
}

/// Client connections made from their own thread, as a real peer would.
final class DemoClients: Sendable {
    let count: Int
    let port: UInt16
    let finished = Atomic<Int>(0)

    init(count: Int, port: UInt16) {
        self.count = count
        self.port = port
    }

    func start() {
        let thread = Thread { [self] in
            for index in 0..<count {
                guard let client = try? TCPSocket(family: index % 2 == 0 ? AF_INET : AF_INET6) else { continue }
                try? client.connectLoopback(port: port)
                try? client.send(Array("hello".utf8))
                client.awaitClose()  // the server accepts and closes first: a clean handshake
                client.close()
                finished.add(1, ordering: .relaxed)
                usleep(20_000)
            }
        }
        thread.start()
    }
}
