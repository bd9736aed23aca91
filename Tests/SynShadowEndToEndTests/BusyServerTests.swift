#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SynShadowCore
import SynShadowTestbed
import SynShadowTracer
import Testing

/// The busy-server check through the product itself: `synshadow trace
/// --json --netns NS --counters 1` while a server in NS takes tens of
/// thousands of connections (keep-alive and one request each, IPv4 and
/// IPv6) with both CPUs spinning, then an overload (backlog 4, server
/// stalled, syncookies 1). Regression for trust items 1, 2, 5 and 9: on the
/// code before it, this run reported hundreds of false syn-dropped,
/// orphan-event and queue-mismatch findings and undercounted overflows.
/// SYNSHADOW_BUSY_CONNECTIONS sets the clean phase (default 60,000; the long
/// form in the note used 1,000,000).
extension LiveKernelTests {
    @Suite struct BusyServerTests {
        static let exactCounters = [
            "TcpPassiveOpens", "TcpExtListenOverflows", "TcpExtListenDrops", "TcpExtSyncookiesSent",
            "TcpExtSyncookiesRecv", "TcpExtSyncookiesFailed",
        ]

        @Test func aBusyServerGivesNoFalseFindingAndExactCounters() throws {
            let connections = ProcessInfo.processInfo.environment["SYNSHADOW_BUSY_CONNECTIONS"].flatMap(Int.init) ?? 60_000
            let sandbox = try NetworkNamespaceSandbox()
            try sandbox.setSysctl("net/ipv4/tcp_syncookies", "1")
            try sandbox.setSysctl("net/ipv4/tcp_max_tw_buckets", String(max(2 * connections, 262_144)))
            try sandbox.setSysctl("net/ipv4/ip_local_port_range", "10000 65000")
            let path = try #require(NetworkNamespace.path(ofInode: sandbox.inode))
            let trace = try TraceProcess([
                "trace", "--json", "--findings-only", "--netns", path, "--counters", "1", "--accept-threshold-ms", "1000",
            ])
            #expect(trace.waitUntilTracing(), "\(trace.stderr)")
            usleep(1_500_000)  // the counters' base reading
            let clean = try sandbox.run { try BusyServerLoad.clean(connections: connections, clientThreads: 8) }
            usleep(300_000)
            let overloadStart = monotonicNanoseconds()
            let overload = try sandbox.run { try BusyServerLoad.overload(clients: 50) }
            usleep(1_000_000)
            let (status, objects) = trace.stop()
            let output = TraceOutput(objects: objects)
            print(
                "busy-server: \(clean.connections) clean connections (\(clean.requests) requests) at"
                    + " \(Int(clean.rate))/s, \(overload.connections) overload clients; findings [\(output.findingCounts)];"
                    + " lost \(output.losses.count) loss report(s); final counters kernel/model(ambiguous)"
                    + " \(Self.exactCounters.map { "\($0) \(output.finalCount($0).map { "\($0.kernel)/\($0.model)(\($0.ambiguous))" } ?? "?")" })")
            #expect(status == 0, "\(trace.stderr)")
            #expect(clean.failures == 0)
            #expect(output.losses.isEmpty, "events were lost: \(output.losses)")
            let cleanFindings = output.findingIDs(before: overloadStart)
            #expect(cleanFindings.isEmpty, "clean phase: \(cleanFindings)")
            #expect(output.divergences.isEmpty, "\(output.divergences)")
            let final = try #require(output.finalCounters, "no final counters reading: \(trace.stderr)")
            #expect((final["mismatched"] as? [String])?.isEmpty == true, "\(final)")
            for name in Self.exactCounters {
                let count = try #require(output.finalCount(name), "\(name) missing")
                // Exact, but for verdicts a cross-CPU race left undecidable (ambiguous).
                #expect(
                    count.model - count.ambiguous <= count.kernel && count.kernel <= count.model,
                    "\(name): kernel +\(count.kernel), model \(count.model) (\(count.ambiguous) ambiguous)")
            }
            #expect((output.finalCount("TcpPassiveOpens")?.kernel ?? 0) >= Int64(connections))
        }
    }
}
