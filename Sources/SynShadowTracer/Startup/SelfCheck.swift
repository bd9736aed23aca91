#if canImport(Glibc)
import Glibc
#endif
import CSynShadowLoader
import SynShadowABI
import SynShadowCore

/// Proves, at start-up, that every hook of the chosen tier really fires on
/// this kernel, by running a small loopback handshake of its own that walks
/// each step: listen, SYN, request built and hashed, handshake ACK (held back
/// by TCP_DEFER_ACCEPT so the SYN-ACK is retransmitted), an embryonic reset,
/// a child closed while queued, an ACK no request matches (it reaches the
/// listener itself: the syncookie check), accept(), and the listener closing.
/// A hook that stays silent is a loud failure naming it.
///
/// It runs in a private network namespace of its own: it works wherever
/// SynShadow runs (`ip netns exec` into a namespace whose loopback is down,
/// a container), touches nothing of the user's, and its listener carries
/// SS_SELF_CHECK_PRIORITY so other SynShadows leave its traffic out.
public final class SelfCheck {
    public struct Outcome: Sendable {
        public var hook: Hook
        public var hits: UInt64
        /// Runs the kernel skipped (its BPF recursion guard): the hook fired.
        public var skippedRuns: UInt64
        public var required: Bool
        public var note: String?

        public init(hook: Hook, hits: UInt64, skippedRuns: UInt64, required: Bool, note: String?) {
            self.hook = hook
            self.hits = hits
            self.skippedRuns = skippedRuns
            self.required = required
            self.note = note
        }
    }

    public struct Report: Sendable {
        public var outcomes: [Outcome]
        public var milliseconds: Int

        public init(outcomes: [Outcome], milliseconds: Int) {
            self.outcomes = outcomes
            self.milliseconds = milliseconds
        }

        public var silentHooks: [Hook] {
            outcomes.filter { $0.required && $0.hits == 0 && $0.skippedRuns == 0 }.map(\.hook)
        }
    }

    private var boundListener: TCPSocket?
    private let sandbox: NetworkNamespaceSandbox
    public let port: UInt16
    /// The private network namespace the self-check runs in.
    public var netns: UInt32 { sandbox.inode }

    /// Binds the self-check listener first: its port and namespace must be
    /// known before the programs load, so that it passes the user's filters.
    /// `cgroup`: the directory the listener must belong to, where the cgroup
    /// programs do not attach at the root (see `CgroupAttachment`).
    public init(listenerCgroup cgroup: String? = nil) throws(SessionError) {
        sandbox = try NetworkNamespaceSandbox()
        do {
            let listener = try sandbox.run {
                let socket = try cgroup.map { try TCPSocket(family: AF_INET, inCgroup: $0) } ?? TCPSocket(family: AF_INET)
                try socket.setOption(level: SOL_SOCKET, name: SO_PRIORITY, value: Int32(bitPattern: SS_SELF_CHECK_PRIORITY))
                try socket.bindLoopback()
                return socket
            }
            port = listener.localPort
            boundListener = listener
        } catch {
            throw SessionError("self-check: cannot bind a loopback listener (\(error))")
        }
    }

    /// A socket of the self-check's own namespace.
    private func socket() throws -> TCPSocket {
        try sandbox.run { try TCPSocket(family: AF_INET) }
    }

    /// Runs the handshakes; `drain` must consume the ring buffer (the caller
    /// routes this port's records away from the user's output).
    public func run(session: KernelSession, snapshot: () throws -> Void, drain: () throws -> Void) throws -> Report {
        let started = monotonicNanoseconds()
        let tier = session.options.tier
        guard let listener = boundListener else {
            throw SessionError("self-check: already run")
        }
        do {
            try listener.setOption(level: Int32(IPPROTO_TCP), name: TCP_DEFER_ACCEPT, value: 1)
            try listener.listen(backlog: 16)
            try snapshot()

            // A: handshake whose bare ACK is deferred: its SYN-ACK is retransmitted.
            let deferred = try socket()
            try deferred.connectLoopback(port: port)
            // B: reset while still a request: embryonic reset.
            let reset = try socket()
            try reset.connectLoopback(port: port)
            reset.reset()
            // C: child created by data, then closed by the client while queued.
            let closing = try socket()
            try closing.connectLoopback(port: port)
            try closing.send([0x21])
            closing.close()

            // D: an ACK for no connection at all, through a raw socket.
            try sandbox.run { try self.sendStrayACK() }

            // The SYN-ACK is retransmitted after 1 s, then 3 s and 7 s: a
            // machine busy with other tracers and load may delay the first.
            let deadline = monotonicNanoseconds() + 10_000_000_000
            while !session.counters().fired(.retransmitSynAck), monotonicNanoseconds() < deadline {
                try drain()
            }
            try deferred.send([0x21])
            for _ in 0..<2 where listener.waitReadable(milliseconds: 2000) {
                try listener.accept().close()
            }
            deferred.close()
        } catch let failure as TCPSocket.Failure {
            throw SessionError("self-check: \(failure)")
        }
        listener.close()  // LISTEN -> CLOSE
        boundListener = nil
        let settle = monotonicNanoseconds() + 2_000_000_000
        repeat {
            try drain()
        } while !allFired(session.counters(), tier: tier) && monotonicNanoseconds() < settle
        try drain()

        let counters = session.counters()
        let dropsAttributable = ss_kernel_has_member("trace_event_raw_kfree_skb", "rx_sk") == 1
        let outcomes = tier.hooks.sorted { $0.rawValue < $1.rawValue }.map { hook in
            var outcome = Outcome(
                hook: hook, hits: counters.hits(hook), skippedRuns: counters.skippedRuns(hook), required: true, note: nil)
            if outcome.hits == 0 && outcome.skippedRuns > 0 {
                outcome.note = "fired, but the kernel skipped our program each time (BPF recursion guard)"
            }
            if hook == .kfreeSkb && !dropsAttributable {
                outcome.required = false
                outcome.note = "attached; drops are not attributable to a listener before Linux 6.11 (no rx_sk)"
            }
            if hook == .requestError {
                outcome.required = false
                outcome.note = "attached; fires only when an ICMP error quotes a request's SYN-ACK"
            }
            if !session.isAttached(hook) {
                outcome.note = "not attached"
            }
            return outcome
        }
        return Report(outcomes: outcomes, milliseconds: Int((monotonicNanoseconds() - started) / 1_000_000))
    }

    /// A bare ACK to the listener from a port nobody uses: no request sock
    /// matches it, so it reaches the listener itself (cookie_v4_check, then a
    /// RST back to nobody).
    private func sendStrayACK() throws {
        let loopback = PeerAddress("127.0.0.1")!
        let segment = TCPSegment(
            from: PeerEndpoint(address: loopback, port: port == 65_535 ? 65_534 : port &+ 1),
            to: PeerEndpoint(address: loopback, port: port),
            sequenceNumber: 0x5353_0001, acknowledgmentNumber: 0x5353_0002, flags: .ack)
        let packet = segment.packet
        let raw = Glibc.socket(AF_INET, Int32(SOCK_RAW.rawValue), Int32(IPPROTO_RAW))
        guard raw >= 0 else { throw TCPSocket.Failure(call: "socket(SOCK_RAW) for the stray ACK", code: errno) }
        defer { Glibc.close(raw) }
        var destination = sockaddr_in()
        destination.sin_family = sa_family_t(AF_INET)
        destination.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let sent = withUnsafePointer(to: &destination) { address in
            address.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(raw, packet, packet.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard sent == packet.count else { throw TCPSocket.Failure(call: "sendto (stray ACK)", code: errno) }
    }

    private func allFired(_ counters: KernelCounters, tier: Tier) -> Bool {
        tier.hooks.allSatisfy { $0 == .kfreeSkb || $0 == .requestError || counters.fired($0) }
    }
}
