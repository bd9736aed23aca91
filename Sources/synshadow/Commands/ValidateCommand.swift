import ArgumentParser
import SynShadowCore
import SynShadowTestbed
import SynShadowTracer

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Run the scenario suite on a kernel, with the shadow model as the oracle, and print a verdict table.",
        discussion: """
            Each scenario drives real sockets in a network namespace of its own, traces them, and \
            compares what the kernel did (events, and its own counters in /proc/net/netstat) with \
            what the scenario expects. Exit status 1 if any row FAILs.

            With --kernel, the same suite runs inside a qemu guest booting that kernel (a bzImage \
            path, or 6.1 / 6.12 for Debian's stock kernels, downloaded with apt-get): how to check \
            a TCP stack patch on a kernel you just built, without rebooting anything.

            EXAMPLES:
              sudo synshadow validate                          # every tier this kernel allows
              sudo synshadow validate --tier tracepoint --json
              sudo synshadow validate --kernel arch/x86/boot/bzImage
              sudo synshadow validate --kernel 6.12 --tier fentry
            """
    )

    @Option(help: "Tier: all (every tier that loads), auto, fentry, kprobe or tracepoint.")
    var tier: ValidationTierChoice = .all

    @Option(help: ArgumentHelp("Boot this kernel (bzImage path, or 6.1 / 6.12) in a qemu guest and validate there.", valueName: "kernel"))
    var kernel: String?

    @Option(parsing: .unconditional, help: "Connections per address family in the clean-handshakes scenario.")
    var connections: Int = 1000

    @Option(
        help: ArgumentHelp(
            "Run only this scenario (repeatable), e.g. busy-server; all by default.", valueName: "name"))
    var scenario: [String] = []

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Clean-phase connections of the busy-server scenario (default 20000; the long form is 1000000).",
            valueName: "n"))
    var busyConnections: Int?

    @Option(
        help: ArgumentHelp(
            "Write each scenario's events to DIR/<scenario>-<tier>.sst (replay them anywhere; attach them to a report).",
            valueName: "dir"))
    var recordDir: String?

    @Flag(help: "One JSON object per verdict row.")
    var json = false

    @Option(
        help: ArgumentHelp(
            "Tell the oracle a wrong fact on purpose (wrong-backlog): rows must turn to FAIL, proving the oracle can fail.",
            valueName: "fault"))
    var oracleFault: OracleFault?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "How far apart two CPUs' views of a queue may be, in ms (default 5; 100 inside a qemu guest, whose kernel runs tens of times slower).",
            valueName: "ms"))
    var raceWindowMs: Int?

    func validate() throws {
        try OptionRange("--connections", 1...100_000).check(connections)
        try OptionRange("--busy-connections", 100...10_000_000).check(busyConnections)
        try OptionRange("--race-window-ms", 0...60_000, unit: "ms").check(raceWindowMs)
        if ValidationSuite.standard().selecting(scenario) == nil {
            throw ValidationError(
                "unknown --scenario: use " + ValidationSuite.standard().scenarios.map(\.name).joined(separator: ", "))
        }
    }

    func run() throws {
        let records: [VerdictRecord]
        if let kernel {
            records = try CommandFailure.reported {
                try GuestRunner(kernel: kernel).validate(
                    arguments: ["--tier", tier.name, "--connections", String(connections),
                                "--race-window-ms", String(raceWindowMs ?? 100)]
                        + (oracleFault.map { ["--oracle-fault", $0.rawValue] } ?? [])
                        + scenario.flatMap { ["--scenario", $0] }
                        + (busyConnections.map { ["--busy-connections", String($0)] } ?? []),
                    recordDirectory: recordDir,
                    console: { Terminal.note("guest: " + $0) })
            }
        } else {
            // Without root no tier can load: say so, rather than a table of
            // UNAVAILABLE rows ending "0 passed, 0 failed" that CI reads as a pass.
            try CommandFailure.reported { try Preflight.checkCommon() }
            records = try CommandFailure.reported { try runHere() }
        }
        if json {
            for record in records { Terminal.output(record.jsonLine()) }
        } else {
            VerdictTable(records: records).lines().forEach(Terminal.output)
        }
        Terminal.flush()
        if records.contains(where: \.failed) { throw ExitCode(1) }
        if !records.contains(where: { $0.verdict == "PASS" }) {
            Terminal.note("error: no scenario ran on any tier: nothing was validated")
            throw ExitCode(1)
        }
    }

    private func runHere() throws -> [VerdictRecord] {
        let release = kernelRelease()
        let suite = ValidationSuite.standard(connectionsPerFamily: connections, busyConnections: busyConnections)
            .selecting(scenario)!
        var records: [VerdictRecord] = []
        for candidate in tier.candidates {
            do {
                let outcomes = try suite.run(
                    tier: candidate, oracleFault: oracleFault,
                    raceWindow: raceWindowMs.map { UInt64($0) * 1_000_000 }, recordDirectory: recordDir
                ) {
                    Terminal.note($0)
                }
                records += outcomes.map { VerdictRecord($0, kernel: release) }
            } catch let error as SessionError {
                // With --tier all, a tier this kernel does not offer is a row
                // of its own; one whose programs fail to load here (a
                // verifier rejection, a hooked function missing) fails.
                guard tier == .all, let candidate else { throw error }
                records.append(
                    VerdictRecord(
                        unloadableTier: candidate, kernel: release, reason: error.description,
                        unsupported: error.tierUnsupported))
            }
        }
        return records
    }
}

/// The verdict table, 80 columns wide, reasons under the failed rows.
struct VerdictTable {
    var records: [VerdictRecord]

    func lines() -> [String] {
        var lines = [row("SCENARIO", "TIER", "KERNEL", "EXPECTED", "OBSERVED", "COUNTERS", "VERDICT")]
        for record in records {
            let counters = record.counters.sorted { $0.key < $1.key }
                .filter { Self.shownCounters.contains($0.key) }
                .map { "\($0.key.replacingOccurrences(of: "TcpExt", with: "")) +\($0.value)" }
                .joined(separator: " ")
            lines.append(
                row(
                    record.scenario, record.tier, record.kernel, summary(record.expected), summary(record.observed),
                    counters.isEmpty ? "-" : counters, record.verdict))
            for reason in record.reasons { lines.append("    " + reason) }
        }
        let failed = records.filter(\.failed).count
        let passed = records.filter { $0.verdict == "PASS" }.count
        lines.append("\(passed) passed, \(failed) failed")
        return lines
    }

    static let shownCounters: Set<String> = [
        "TcpPassiveOpens", "TcpExtListenOverflows", "TcpExtListenDrops", "TcpExtTCPReqQFullDrop",
        "TcpExtSyncookiesSent", "TcpExtSyncookiesRecv", "TcpExtSyncookiesFailed", "TcpAttemptFails",
        "TcpExtEmbryonicRsts", "TcpExtTCPDeferAcceptDrop",
    ]

    private func summary(_ findings: [String: Int]) -> String {
        findings.isEmpty ? "none" : findings.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: ",")
    }

    private func row(_ columns: String...) -> String {
        let widths = [18, 11, 22, 10, 10, 0, 0]
        return zip(columns, widths).map { column, width in
            width == 0 || column.count >= width ? column + " " : column + String(repeating: " ", count: width - column.count)
        }.joined().trimmingCharacters(in: .whitespaces)
    }
}
