import SynShadowCore
import Testing
import SynShadowTestbed

/// The event lines are a published interface (README "JSON output", and
/// people's scripts over the text): the fast formatter must print what the
/// old one printed, byte for byte, for every field and every hostile name.
@Suite struct EventFormatEquivalenceTests {
    private static let dropReasons: [UInt32: String] = [
        2: "NOT_SPECIFIED", 5: "NO_SOCKET", 76: "TCP_LISTEN_OVERFLOW", 77: "TCP_REQQFULLDROP",
        9: "odd \"name\"\\\u{1b}[2J\n\u{7f}",
    ]

    /// Names another user chose: controls, escape sequences, quotes,
    /// backslashes, DEL, C1 controls, valid and broken UTF-8, no NUL at all.
    private static let hostileNames: [[UInt8]] = [
        Array("nginx".utf8), Array("".utf8), Array("a\"b\\c".utf8), [0x1b, 0x5b, 0x32, 0x4a, 0x07],
        [0x09, 0x0a, 0x0d, 0x7f, 0x41], Array("é漢字🙂".utf8), [0xc2, 0x85, 0x41, 0xc2, 0x9f],
        [0xff, 0xfe, 0x41], [0xe6, 0xbc, 0x41], [0xc0, 0xaf], [0xed, 0xa0, 0x80],
        Array("0123456789abcdef".utf8), [0xf0, 0x9f, 0x99], Array("\u{2028}x\u{200b}".utf8),
        [0x41, 0x00, 0x42], [0x5c, 0x75, 0x30, 0x30, 0x30, 0x30],
    ]

    private static let cgroups: [String?] = [
        nil, "/system.slice/nginx.service", "/kubepods/pod\u{1b}]0;pwned\u{07}/x", "/a\"b\\c\nd", "/é/漢/🙂",
        "/\u{85}\u{9f}\u{7f}",
    ]

    private func name(_ bytes: [UInt8]) -> ProcessName {
        var padded = Array(bytes.prefix(16))
        padded += [UInt8](repeating: 0, count: 16 - padded.count)
        var first: UInt64 = 0
        var second: UInt64 = 0
        for index in 0..<8 {
            first |= UInt64(padded[index]) << (8 * index)
            second |= UInt64(padded[index + 8]) << (8 * index)
        }
        return ProcessName(first: first, second: second)
    }

    private func address(_ random: inout SplitMix64, family: AddressFamily) -> IPAddress {
        switch random.next() % 6 {
        case 0: return IPAddress(high: 0, low: 0)
        case 1: return IPAddress(high: 0x0100_007f, low: 0)  // 127.0.0.1 as the kernel lays it out
        case 2 where family == .ipv6:
            // Runs of zero groups of every length and place (RFC 5952 "::").
            var high: UInt64 = 0
            var low: UInt64 = 0
            for group in 0..<8 where random.chance(0.4) {
                let value = UInt64(random.next() & (random.chance(0.5) ? 0xff : 0xffff))
                if group < 4 { high |= value << (16 * UInt64(group)) } else { low |= value << (16 * UInt64(group - 4)) }
            }
            return IPAddress(high: high, low: low)
        case 3: return IPAddress(high: 0xffff_0000_0000_0000, low: 0x0100_0000_0000_0000)
        default: return IPAddress(high: random.next(), low: random.next())
        }
    }

    private func event(_ random: inout SplitMix64, origin: UInt64) -> KernelEvent {
        let kinds = EventKind.allCases
        let hooks = Hook.allCases
        let families: [AddressFamily] = [.ipv4, .ipv4, .ipv6, .none]
        let family = families[Int(random.next() % 4)]
        let ports: [UInt16] = [0, 1, 80, 8080, 65535]
        func port() -> UInt16 { random.chance(0.5) ? ports[Int(random.next() % 5)] : UInt16(truncatingIfNeeded: random.next()) }
        func number() -> UInt32 {
            switch random.next() % 4 {
            case 0: 0
            case 1: UInt32(random.next() % 10)
            case 2: UInt32(random.next() % 100_000)
            default: UInt32(truncatingIfNeeded: random.next())
            }
        }
        func kernelAddress() -> UInt64 {
            switch random.next() % 3 {
            case 0: 0
            case 1: 0xffff_8880_0000_0000 | (random.next() & 0xffff_fff8)
            default: random.next() >> (random.next() % 64)
            }
        }
        let timestamps: [UInt64] = [
            origin, origin &+ 1, origin &+ 499, origin &+ 500, origin &+ 999_999_999, origin &- 1, origin &- 500,
            origin &- 501, origin &- 3_000_000_000, 0, .max, origin &+ random.next() % 100_000_000_000_000,
        ]
        let flagBits: [UInt16] = [0, 1, 2, 3, 0x1f, random.chance(0.1) ? UInt16.max : 3]
        let states: [UInt8] = [0, 1, 3, 7, 10, 12, 13, 99, 255]
        let results: [Int64] = [0, -1, -104, 1, Int64.min, Int64.max, Int64(bitPattern: random.next())]
        let detail: UInt32 = random.chance(0.3) ? [2, 5, 9, 76, 77, 1000][Int(random.next() % 6)] : number()
        return KernelEvent(
            kind: kinds[Int(random.next() % UInt64(kinds.count))],
            hook: hooks[Int(random.next() % UInt64(hooks.count))],
            timestamp: timestamps[Int(random.next() % UInt64(timestamps.count))],
            cpu: number(),
            flow: FlowKey(
                netns: random.chance(0.5) ? 4_026_531_840 : number(), family: family,
                localAddress: address(&random, family: family), localPort: port(),
                remoteAddress: address(&random, family: family), remotePort: port()),
            pid: random.chance(0.2) ? 0 : number(),
            tid: number(),
            comm: random.chance(0.1)
                ? ProcessName(first: random.next(), second: random.next())
                : name(Self.hostileNames[Int(random.next() % UInt64(Self.hostileNames.count))]),
            tcpFlags: UInt16(truncatingIfNeeded: random.next() >> 48),
            flags: EventFlags(rawValue: flagBits[Int(random.next() % UInt64(flagBits.count))]),
            oldState: states[Int(random.next() % UInt64(states.count))],
            newState: states[Int(random.next() % UInt64(states.count))],
            listener: kernelAddress(), request: kernelAddress(), child: kernelAddress(),
            queues: QueueFigures(
                acceptQueue: number(), acceptQueueLimit: number(), requestQueue: number(), requestYoung: number(),
                acceptsInFlight: random.chance(0.5) ? 0 : number()),
            result: results[Int(random.next() % UInt64(results.count))],
            detail: detail)
    }

    private func formatters(origin: UInt64) -> (EventFormatter, ReferenceEventFormatter) {
        let cgroupOf: @Sendable (UInt32) -> String? = { pid in Self.cgroups[Int(pid % UInt32(Self.cgroups.count))] }
        return (
            EventFormatter(origin: origin, dropReasons: Self.dropReasons, cgroupOfProcess: cgroupOf),
            ReferenceEventFormatter(origin: origin, dropReasons: Self.dropReasons, cgroupOfProcess: cgroupOf)
        )
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func linesMatchTheReferenceFormatter(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        let origin: UInt64 = seed == 3 ? 0 : 5_000_000_000_000
        let (fast, reference) = formatters(origin: origin)
        var mismatches = 0
        for _ in 0..<2_000 {
            let event = event(&random, origin: origin)
            let human = fast.humanLine(event)
            let json = fast.jsonLine(event)
            if human != reference.humanLine(event) || json != reference.jsonLine(event) {
                mismatches += 1
                if mismatches <= 3 {
                    #expect(human == reference.humanLine(event))
                    #expect(json == reference.jsonLine(event))
                }
            }
        }
        #expect(mismatches == 0)
    }

    /// Lines appended one after another into one buffer (as `trace` does):
    /// the columns are measured from each line's start, not the buffer's.
    @Test func batchedLinesMatchTheReferenceFormatter() {
        var random = SplitMix64(seed: 99)
        let origin: UInt64 = 1_000_000_000
        let (fast, reference) = formatters(origin: origin)
        var buffer = LineBuffer()
        var expected = ReferenceLineBuffer()
        for index in 0..<1_000 {
            let event = event(&random, origin: origin)
            if index % 2 == 0 {
                fast.appendHumanLine(event, to: &buffer)
                reference.appendHumanLine(event, to: &expected)
            } else {
                fast.appendJSONLine(event, to: &buffer)
                reference.appendJSONLine(event, to: &expected)
            }
            buffer.append(0x0a)
            expected.append(0x0a)
        }
        #expect(buffer.count == expected.count)
        #expect(buffer.text == expected.text)
    }

    /// Untrusted text shown on a terminal: every byte sequence escapes as before.
    @Test func terminalEscapingMatchesTheReference() {
        var random = SplitMix64(seed: 7)
        let alphabet: [UInt8] = [0x00, 0x07, 0x1b, 0x22, 0x41, 0x5c, 0x7f, 0x80, 0x9f, 0xbf, 0xc2, 0xe2, 0xed, 0xf0, 0xff]
        for _ in 0..<2_000 {
            var bytes: [UInt8] = []
            for _ in 0..<random.between(0, 24) {
                bytes.append(random.chance(0.7) ? alphabet[Int(random.next() % UInt64(alphabet.count))] : UInt8(truncatingIfNeeded: random.next()))
            }
            var fast = LineBuffer()
            fast.appendDisplay(bytes)
            var reference = ReferenceLineBuffer()
            reference.appendDisplay(bytes)
            #expect(fast.text == reference.text, "\(bytes)")
            var fastJSON = LineBuffer()
            fastJSON.appendJSONString(bytes)
            var referenceJSON = ReferenceLineBuffer()
            referenceJSON.appendJSONString(bytes)
            #expect(fastJSON.text == referenceJSON.text, "\(bytes)")
        }
    }

    /// Every field at its widest, for every kind: the room a line reserves
    /// holds it (an overrun would stop the program), and the text is the same.
    @Test func widestLinesFitTheirRoom() {
        let widest = IPAddress(high: 0xfeff_fdff_fcff_fbff, low: 0xfaff_f9ff_f8ff_f7ff)
        let flow = FlowKey(
            netns: .max, family: .ipv6, localAddress: widest, localPort: .max, remoteAddress: widest, remotePort: .max)
        let longName = String(repeating: "\u{1}\u{85}\"\\", count: 2_000)
        let cgroupOf: @Sendable (UInt32) -> String? = { _ in longName }
        let reasons: [UInt32: String] = [UInt32.max: longName]
        let fast = EventFormatter(origin: .max, dropReasons: reasons, cgroupOfProcess: cgroupOf)
        let reference = ReferenceEventFormatter(origin: .max, dropReasons: reasons, cgroupOfProcess: cgroupOf)
        for kind in EventKind.allCases {
            for detail in [UInt32.max, UInt32.max - 1] {
                let event = KernelEvent(
                    kind: kind, hook: .cookieCheckExit, timestamp: 0, cpu: .max, flow: flow, pid: .max, tid: .max,
                    comm: name([UInt8](repeating: 0x01, count: 16)), tcpFlags: .max, flags: EventFlags(rawValue: .max),
                    oldState: 255, newState: 254, listener: .max, request: .max, child: .max,
                    queues: QueueFigures(
                        acceptQueue: .max, acceptQueueLimit: .max, requestQueue: .max, requestYoung: .max,
                        acceptsInFlight: .max),
                    result: .min, detail: detail)
                #expect(fast.humanLine(event) == reference.humanLine(event))
                #expect(fast.jsonLine(event) == reference.jsonLine(event))
            }
        }
    }

    /// A few lines written out in full: the reference itself must not drift.
    @Test func knownLines() {
        let flow = FlowKey(
            netns: 4_026_531_840, family: .ipv4, localAddress: IPAddress(high: 0x0100_007f, low: 0), localPort: 8080,
            remoteAddress: IPAddress(high: 0x0200_007f, low: 0), remotePort: 40_000)
        let event = KernelEvent(
            kind: .childState, hook: .inetSockSetState, timestamp: 1_500_000_000, cpu: 1, flow: flow, pid: 42, tid: 43,
            comm: name([0x6e, 0x67, 0x1b, 0x22]), flags: [.queuesValid, .ownerKnown], oldState: 3, newState: 1,
            listener: 0xffff_8880_1234_5678, child: 0xffff_8880_0000_0010,
            queues: QueueFigures(acceptQueue: 3, acceptQueueLimit: 128, requestQueue: 1, requestYoung: 1, acceptsInFlight: 2))
        let (fast, _) = formatters(origin: 1_000_000_000)
        #expect(
            fast.humanLine(event)
                == "0.500000    child_state       127.0.0.2:40000 -> 127.0.0.1:8080               listener=0xffff888012345678 "
                + "child=0xffff888000000010 ng\\x1b\"[42] acceptq=3/128 reqq=1 inaccept=2 state=SYN_RECV->ESTABLISHED")
        #expect(
            fast.jsonLine(event)
                == "{\"type\":\"event\",\"kind\":\"child_state\",\"ts_ns\":1500000000,\"cpu\":1,"
                + "\"hook\":\"tracepoint sock:inet_sock_set_state\",\"netns\":4026531840,\"family\":\"ipv4\","
                + "\"local_addr\":\"127.0.0.1\",\"local_port\":8080,\"remote_addr\":\"127.0.0.2\",\"remote_port\":40000,"
                + "\"listener\":\"0xffff888012345678\",\"request\":\"0\",\"child\":\"0xffff888000000010\",\"pid\":42,"
                + "\"comm\":\"ng\\u001b\\\"\",\"owner_known\":true,\"tid\":43,\"accept_queue\":3,\"accept_queue_limit\":128,"
                + "\"request_queue\":1,\"request_young\":1,\"accepts_in_flight\":2,\"tcp_flags\":0,"
                + "\"old_state\":\"SYN_RECV\",\"new_state\":\"ESTABLISHED\",\"result\":0,\"detail\":0}")
    }
}
