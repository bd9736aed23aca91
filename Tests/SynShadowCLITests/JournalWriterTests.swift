import Foundation
import Glibc
import SynShadowCore
import Testing

@testable import synshadow

/// Findings as journal entries: systemd's native protocol, checked on a real
/// datagram socket (the end-to-end run against journald is
/// scripts/package/test-service.sh).
@Suite struct JournalWriterTests {
    static let finding = Finding(
        kind: .acceptSlow, timestamp: 1_000_000_000,
        listener: ListenerSummary(
            id: 1, netns: 4_026_531_840, family: "ipv6", address: "::1", port: 8080, pid: 42, comm: "nginx"),
        explanation: "child accepted after 150 ms\nin the queue")

    @Test func fieldsCarryTheFindingAndItsPriority() {
        let fields = Dictionary(
            JournalWriter.fields(of: Self.finding, message: "line"), uniquingKeysWith: { first, _ in first })
        #expect(fields["MESSAGE"] == "line")
        #expect(fields["PRIORITY"] == "4")
        #expect(fields["SYNSHADOW_ID"] == "accept-slow")
        #expect(fields["SYNSHADOW_LISTENER"] == "[::1]:8080")
        #expect(fields["SYNSHADOW_NETNS"] == "4026531840")
        #expect(fields["SYNSHADOW_COMM"] == "nginx")
        #expect(fields["SYNSHADOW_PID"] == "42")
        #expect(JournalWriter.priority(of: .error) == 3 && JournalWriter.priority(of: .info) == 6)
    }

    @Test func aValueWithANewlineIsSentWithItsLength() {
        let bytes = JournalWriter.datagram([("A", "x"), ("B", "1\n2")])
        let expected: [UInt8] = Array("A=x\nB\n".utf8) + [3, 0, 0, 0, 0, 0, 0, 0] + Array("1\n2\n".utf8)
        #expect(bytes == expected)
    }

    @Test func anEntryArrivesAsOneDatagram() throws {
        let path = NSTemporaryDirectory() + "journal-\(getpid()).socket"
        unlink(path)
        let receiver = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(receiver >= 0)
        defer {
            close(receiver)
            unlink(path)
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(receiver, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        try #require(bound == 0)
        let writer = try #require(JournalWriter(origin: 0, socketPath: path))
        #expect(writer.write(Self.finding))
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = recv(receiver, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        try #require(count > 0)
        let text = String(decoding: buffer.prefix(count), as: UTF8.self)
        #expect(text.hasPrefix("MESSAGE=1.000000 FINDING WARNING accept-slow listener=::1:8080 nginx[42]"))
        #expect(text.contains("\nSYNSHADOW_ID=accept-slow\n"))
        #expect(text.contains("\nSYNSHADOW_EXPLANATION\n"), "a newline in the value: the length-prefixed form")
    }

    @Test func noJournalSocketMeansNoWriter() {
        #expect(JournalWriter(origin: 0, socketPath: "/nonexistent/journal.socket") == nil)
    }
}
