import Foundation
import SynShadowTestbed
import SynShadowTracer
import Testing

/// The kprobe and fentry tiers cannot load on the CI host's kernel, so they
/// are proven inside qemu guests booting Debian's stock 6.1 and 6.12
/// kernels: the same scenario suite, every tier, and `--tier auto` must pick
/// fentry there.
@Suite(.serialized, .enabled(if: GuestEnvironment.isAvailable, GuestEnvironment.skipReason))
struct GuestKernelTests {
    @Test(arguments: ["6.1", "6.12"])
    func everyTierPassesTheSuiteInAGuest(kernel: String) throws {
        let run = try Run([Run.binary, "validate", "--kernel", kernel, "--tier", "all", "--json", "--connections", "100"], timeout: 900)
        let records = run.stdout.split(separator: "\n").compactMap { VerdictRecord.parse(line: $0) }
        let failures = records.filter(\.failed).map { "\($0.tier) \($0.scenario): \($0.reasons.joined(separator: "; "))" }
        #expect(run.status == 0, "validate failed: \(failures)\n\(run.stderr.suffix(2000))")
        let tiers = Set(records.filter { $0.verdict == "PASS" }.map(\.tier))
        #expect(tiers == ["fentry", "kprobe", "tracepoint"], "PASS rows by tier: \(records.map { "\($0.tier) \($0.scenario) \($0.verdict)" })")
        #expect(records.allSatisfy { $0.kernel.hasPrefix(kernel + ".") }, "ran on \(records.map(\.kernel))")
        #expect(records.allSatisfy { $0.connections == 200 || $0.scenario != "clean-handshakes" })
    }

    @Test(arguments: ["6.1", "6.12"])
    func autoPicksFentryInAGuest(kernel: String) throws {
        let run = try Run([Run.binary, "validate", "--kernel", kernel, "--tier", "auto", "--json", "--connections", "50"], timeout: 900)
        let records = run.stdout.split(separator: "\n").compactMap { VerdictRecord.parse(line: $0) }
        #expect(!records.isEmpty, "no verdicts: \(run.stderr.suffix(2000))")
        let others = records.filter { $0.tier != "fentry" || $0.verdict != "PASS" }
        #expect(others.isEmpty, """
            not fentry PASS: \(others.map { "\($0.tier) \($0.scenario) \($0.verdict): \($0.reasons.joined(separator: "; "))" })
            \(run.stderr.suffix(2000))
            """)
    }
}

enum GuestEnvironment {
    static let unavailableReason: String? = {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/qemu-system-x86_64") else {
            return "guest tests skipped: qemu-system-x86_64 is not installed (scripts/setup.sh test installs it)"
        }
        guard GuestRunner.scriptsDirectory() != nil else {
            return "guest tests skipped: scripts/guest/run.sh not found from \(FileManager.default.currentDirectoryPath)"
        }
        return nil
    }()

    static var isAvailable: Bool { unavailableReason == nil }
    static var skipReason: Comment { Comment(rawValue: unavailableReason ?? "") }
}
