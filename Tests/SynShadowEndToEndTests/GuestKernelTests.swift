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
    /// Both stock kernels in one comparison (`validate --kernel 6.1 --kernel
    /// 6.12`): every tier passes the suite on each, nothing diverges, and
    /// each difference the comparison names is a sentence about both.
    @Test func everyTierPassesTheSuiteOnBothKernelsCompared() throws {
        let run = try Run(
            [Run.binary, "validate", "--kernel", "6.1", "--kernel", "6.12", "--tier", "all", "--json", "--connections", "100"],
            timeout: 1800)
        let lines = run.stdout.split(separator: "\n")
        let rows = lines.compactMap { ComparisonRowRecord.parse(line: $0) }
        let summary = try #require(
            lines.compactMap { ComparisonSummaryRecord.parse(line: $0) }.first, "no summary: \(run.stderr.suffix(2000))")
        for (index, kernel) in ["6.1", "6.12"].enumerated() {
            let records = rows.compactMap { $0.kernels[index] }
            let failures = records.filter(\.failed).map { "\($0.tier) \($0.scenario): \($0.reasons.joined(separator: "; "))" }
            #expect(failures.isEmpty, "\(kernel): \(failures)\n\(run.stderr.suffix(2000))")
            // A kprobe program the kernel skips while another runs on its CPU
            // (bpf_prog_active: a softirq's probe nested in a process-context
            // one) loses events; that row cannot be judged, and says so. The
            // other tiers guard recursion per program, and are covered.
            let inconclusive = records.filter(\.inconclusive)
            #expect(
                inconclusive.allSatisfy { $0.tier == "kprobe" && $0.reasons.contains { $0.contains("events lost") } },
                "\(kernel): inconclusive outside the kprobe tier: \(inconclusive.map { "\($0.tier) \($0.scenario): \($0.reasons)" })")
            for row in inconclusive { print("guest \(kernel): inconclusive \(row.tier) \(row.scenario): \(row.reasons.first ?? "")") }
            let tiers = Set(records.filter { $0.verdict == "PASS" }.map(\.tier))
            #expect(tiers == ["fentry", "kprobe", "tracepoint"], "\(kernel) PASS rows by tier: \(records.map { "\($0.tier) \($0.scenario) \($0.verdict)" })")
            #expect(records.allSatisfy { $0.kernel.hasPrefix(kernel + ".") }, "ran on \(records.map(\.kernel))")
            #expect(records.allSatisfy { $0.connections == 200 || $0.scenario != "clean-handshakes" })
        }
        // 128 threads blocked in accept() hold more of inet_csk_accept's
        // kretprobe instances than the kernel keeps: 6.12 (6.7 and later)
        // reports the returns it missed, and they count as lost events.
        // Before, they went unseen: the row PASSed with 118 of 128 accepts
        // never read (seen on 6.12 with the previous loader).
        let blocked = rows.first { $0.scenario == "blocked-acceptors" && $0.tier == "kprobe" }?.kernels[1]
        #expect(
            blocked?.inconclusive == true && blocked?.reasons.contains { $0.contains("inet_csk_accept return") } == true,
            "6.12 kprobe blocked-acceptors: \(String(describing: blocked?.verdict)) \(blocked?.reasons ?? [])")
        #expect(run.status == 0, "validate failed: \(summary.divergences) \(summary.baselineFailures)")
        #expect(summary.kernels.map(\.label) == ["6.1", "6.12"])
        #expect(summary.differing == rows.filter(\.differs).count)
        #expect(
            summary.differences.allSatisfy {
                $0.range(of: #" on 6\.1(;| \(|$)"#, options: .regularExpression) != nil && $0.contains(" on 6.12")
            }, "\(summary.differences)")
        print("guests compared: \(summary.rows) rows, \(summary.differing) differ")
        for difference in summary.differences { print("  - \(difference)") }
    }

    /// SIGTERM to `validate --kernel` (a CI timeout, systemd, kill) used to
    /// orphan its guest: qemu ran on for its whole 600 s timeout. Now the
    /// signal ends the guest's process group first.
    @Test func aStoppedValidateTakesItsGuestWithIt() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Run.binary)
        process.arguments = ["validate", "--kernel", "6.1", "--tier", "tracepoint", "--scenario", "clean-handshakes"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var guests: [Int32] = []
        for _ in 0..<240 where guests.isEmpty {
            Thread.sleep(forTimeInterval: 0.5)
            guests = Self.descendants(of: process.processIdentifier).filter { Self.command(of: $0) == "qemu-system-x86" }
        }
        try #require(!guests.isEmpty, "no qemu started under validate within 120 s")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        var alive = guests
        for _ in 0..<60 where !alive.isEmpty {
            Thread.sleep(forTimeInterval: 0.5)
            alive = alive.filter { kill($0, 0) == 0 && Self.command(of: $0) == "qemu-system-x86" }
        }
        for pid in alive { kill(pid, SIGKILL) }
        #expect(process.terminationStatus == 143)
        #expect(alive.isEmpty, "qemu \(alive) outlived validate by 30 s")
    }

    /// Every process below `root`, from /proc (their parent links).
    static func descendants(of root: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var parent: [Int32: Int32] = [:]
        for entry in entries {
            guard let pid = Int32(entry),
                let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let ppid = Int32(fields[1]) { parent[pid] = ppid }
        }
        return parent.keys.filter { pid in
            var next = parent[pid]
            while let current = next, current > 1 {
                if current == root { return true }
                next = parent[current]
            }
            return false
        }
    }

    static func command(of pid: Int32) -> String? {
        (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
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
