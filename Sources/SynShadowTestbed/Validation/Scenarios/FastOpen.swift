#if canImport(Glibc)
import Glibc
#endif
import SynShadowCore
import SynShadowTracer

/// The TCP Fast Open server path: clients put data in their SYN
/// (sendto with MSG_FASTOPEN; net.ipv4.tcp_fastopen=0x207 lets both sides
/// go without a cookie), so the kernel creates each child at SYN time,
/// without a request sock in the request queue. Nothing is wrong here: the
/// model must follow that path silently, and the tier must see the children.
/// The server accepts each child tens of milliseconds late: the kernel
/// creates a Fast Open child before it queues it, and the model must not take
/// that order, or the wait, for a queue mismatch.
public struct FastOpen: Scenario {
    public let name = "fast-open"
    public var connectionsPerFamily: Int

    public init(connectionsPerFamily: Int = 3) {
        self.connectionsPerFamily = connectionsPerFamily
    }

    public var summary: String {
        "\(connectionsPerFamily) IPv4 + \(connectionsPerFamily) IPv6 Fast Open connections, data in the SYN,"
            + " each accepted 30 ms late"
    }

    /// Client and server, on (TFO_CLIENT_ENABLE | TFO_SERVER_ENABLE), without
    /// cookies on either side (TFO_CLIENT_NO_COOKIE | TFO_SERVER_COOKIE_NOT_REQD).
    private static let fastOpenFlags = "519"
    private static let greeting = Array("fast open".utf8)
    /// How late the server accepts each child (µs): well past the 5 ms race window.
    private static let acceptDelay: UInt32 = 30_000

    private struct Traffic {
        var clientPorts: [UInt16] = []
        var dataInFirstRead = 0
    }

    public func run(in context: ScenarioContext) throws -> ScenarioOutcome {
        let harness = try ScenarioHarness(
            scenario: name, context: context, sysctls: [("net/ipv4/tcp_fastopen", Self.fastOpenFlags)])
        let count = connectionsPerFamily
        let traffic = try harness.run { () throws -> Traffic in
            var traffic = Traffic()
            for (family, address) in [(AF_INET, "127.0.0.1"), (AF_INET6, "::1")] {
                let listener = try TCPSocket.loopbackListener(family: family, backlog: 16)
                try listener.setOption(level: Int32(IPPROTO_TCP), name: TCP_FASTOPEN, value: 16)
                let server = PeerEndpoint(address: PeerAddress(address)!, port: listener.localPort)
                for _ in 0..<count {
                    let client = try TCPSocket(family: family)
                    try FastOpen.sendInSYN(Self.greeting, from: client, to: server)
                    usleep(Self.acceptDelay)
                    guard listener.waitReadable(milliseconds: 1000) else { continue }
                    let child = try listener.accept()
                    var buffer = [UInt8](repeating: 0, count: 64)
                    let received = recv(child.descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                    if received == Self.greeting.count { traffic.dataInFirstRead += 1 }
                    traffic.clientPorts.append(client.localPort)
                }
            }
            return traffic
        }
        let connections = 2 * count
        var expectation = ScenarioExpectation()
        expectation.counters = [
            "TcpExtTCPFastOpenPassive": Int64(connections), "TcpPassiveOpens": Int64(connections),
            "TcpExtListenDrops": 0,
        ]
        expectation.comparedCounters = [.listenDrops, .listenOverflows, .syncookiesSent]
        let observation = try harness.conclude(expecting: expectation, connections: traffic.clientPorts.count)
        harness.outcome.require(
            traffic.clientPorts.count == connections, "accepted \(traffic.clientPorts.count) of \(connections)")
        harness.outcome.require(
            traffic.dataInFirstRead == connections,
            "\(traffic.dataInFirstRead) of \(connections) children had the SYN's data at accept()")
        // The tier's view: a child for every flow, and no request sock queued for any.
        let ports = Set(traffic.clientPorts)
        let flows = observation.events.filter { ports.contains($0.flow.remotePort) }
        let children = Set(flows.filter { $0.kind == .childCreated }.map(\.flow.remotePort))
        let queued = Set(flows.filter { $0.kind == .requestQueued }.map(\.flow.remotePort))
        harness.outcome.require(
            children == ports,
            "the \(context.tier.name) tier saw \(children.count) of \(ports.count) Fast Open children")
        harness.outcome.require(queued.isEmpty, "\(queued.count) Fast Open flows had a request sock queued")
        return harness.finish()
    }

    /// sendto(MSG_FASTOPEN): connect and send in one call, the data riding on the SYN.
    private static func sendInSYN(_ data: [UInt8], from client: TCPSocket, to server: PeerEndpoint) throws {
        var (storage, length) = server.socketAddress
        let sent = withUnsafePointer(to: &storage) { address in
            address.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                data.withUnsafeBytes {
                    sendto(client.descriptor, $0.baseAddress, $0.count, Int32(MSG_FASTOPEN), socketAddress, length)
                }
            }
        }
        guard sent == data.count else { throw TCPSocket.Failure(call: "sendto(MSG_FASTOPEN)", code: errno) }
    }
}
