import Foundation
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

            Give --kernel more than once to compare kernels: the suite runs on each (host: the \
            running kernel), in every tier each allows, and one table shows each row's findings, \
            counter deltas and measured behaviours side by side, rows that differ marked ≠, then \
            each behaviour that differs in words. The first kernel is the baseline; exit status 1 \
            when a row FAILs on a later kernel but not on the baseline (the model calls that \
            kernel's behaviour a divergence), or when the baseline itself FAILs a row.

            With --kernel-tree, a guest kernel is built from that source tree first (the \
            project's minimal config fragment, scripts/guest/kernel.config; the tree's own make; \
            output cached per tree and fragment, so a second run rebuilds only what changed) and \
            compared with --baseline. Inside a guest of your own (virtme-ng: vng -r bzImage -- \
            synshadow validate), plain `synshadow validate` runs the suite there.

            EXAMPLES:
              sudo synshadow validate                          # every tier this kernel allows
              sudo synshadow validate --tier tracepoint --json
              sudo synshadow validate --kernel arch/x86/boot/bzImage
              sudo synshadow validate --kernel 6.12 --tier fentry
              sudo synshadow validate --kernel 6.1 --kernel 6.12 --kernel host
              synshadow validate --kernel before.json --kernel after.json   # saved runs, no root
              sudo synshadow validate --kernel-tree ~/src/linux --baseline 6.12
            """
    )

    @Option(help: "Tier: all (every tier that loads), auto, fentry, kprobe or tracepoint.")
    var tier: ValidationTierChoice = .all

    @Option(
        name: .customLong("kernel"),
        help: ArgumentHelp(
            "Boot this kernel (bzImage path, or 6.1 / 6.12) in a qemu guest and validate there (host: the running kernel, no guest; FILE.json: the rows of an earlier validate --json); repeat to compare kernels, the first as the baseline.",
            valueName: "kernel"))
    var kernels: [KernelChoice] = []

    @Option(
        help: ArgumentHelp(
            "Build a guest kernel from this source tree and compare it with --baseline.", valueName: "path"))
    var kernelTree: String?

    @Option(help: ArgumentHelp("The kernel a --kernel-tree build is compared against (default 6.12).", valueName: "kernel"))
    var baseline: KernelChoice?

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
        for choice in kernels + (baseline.map { [$0] } ?? []) {
            if let problem = choice.problem { throw ValidationError(problem) }
        }
        if baseline != nil && kernelTree == nil {
            throw ValidationError("--baseline needs --kernel-tree (with --kernel, the first one given is the baseline)")
        }
        if let kernelTree, !FileManager.default.fileExists(atPath: kernelTree + "/Makefile")
            || !FileManager.default.fileExists(atPath: kernelTree + "/net/ipv4/tcp_input.c")
        {
            throw ValidationError("--kernel-tree \(kernelTree): not a Linux source tree (no Makefile and net/ipv4/tcp_input.c)")
        }
        if ValidationSuite.standard().selecting(scenario) == nil {
            throw ValidationError(
                "unknown --scenario: use " + ValidationSuite.standard().scenarios.map(\.name).joined(separator: ", "))
        }
    }

    func run() throws {
        var targets = kernels
        if let kernelTree {
            let image = try CommandFailure.reported {
                try GuestRunner.buildKernel(tree: kernelTree) { Terminal.note("build: " + $0) }
            }
            targets = [baseline ?? .version("6.12")] + targets + [.tree(path: kernelTree, image: image)]
        }
        if targets.count > 1 {
            try compare(targets)
            return
        }
        let records = try CommandFailure.reported {
            try self.records(on: targets.first ?? .host, recordDirectory: recordDir)
        }
        if json {
            for record in records { Terminal.output(record.jsonLine()) }
        } else {
            VerdictTable(records: records).lines().forEach(Terminal.output)
        }
        Terminal.flush()
        if records.contains(where: \.failed) { throw ExitCode(1) }
        let inconclusive = records.filter(\.inconclusive)
        if !inconclusive.isEmpty {
            // Not a failure of the kernel, and not a pass either: say which.
            Terminal.note(
                "\(inconclusive.count) row(s) inconclusive, events lost ("
                    + inconclusive.map { "\($0.scenario) [\($0.tier)]" }.joined(separator: ", ")
                    + "): rerun them with --scenario, or use a tier whose programs the kernel does not skip (fentry)")
            throw ExitCode(1)
        }
        if !records.contains(where: { $0.verdict == "PASS" }) {
            Terminal.note("error: no scenario ran on any tier: nothing was validated")
            throw ExitCode(1)
        }
    }

    /// Runs the suite on each kernel in turn and prints one comparison.
    private func compare(_ targets: [KernelChoice]) throws {
        var runs: [KernelRun] = []
        for (index, target) in targets.enumerated() {
            let started = ContinuousClock.now
            let records = try CommandFailure.reported {
                try self.records(on: target, recordDirectory: recordDir.map { "\($0)/\(target.label)" })
            }
            if case .saved = target {} else {
                let took = started.duration(to: .now).formatted(.units(allowed: [.minutes, .seconds]))
                Terminal.note("kernel \(index + 1) of \(targets.count), \(target.label): \(records.count) rows in \(took)")
            }
            runs.append(KernelRun(label: target.label, records: records))
        }
        let comparison = KernelComparison(runs: KernelChoice.uniquelyLabelled(runs))
        if json {
            comparison.jsonLines().forEach(Terminal.output)
        } else {
            ComparisonTable(comparison: comparison).lines().forEach(Terminal.output)
        }
        Terminal.flush()
        if !comparison.divergences.isEmpty || !comparison.baselineFailures.isEmpty || !comparison.anythingValidated {
            throw ExitCode(1)
        }
    }

    /// The suite's rows on one kernel: here, or in a guest booting it.
    private func records(on target: KernelChoice, recordDirectory: String?) throws -> [VerdictRecord] {
        if case .saved(let path) = target { return try Self.savedRecords(path) }
        guard let image = target.guestKernel else {
            // Without root no tier can load: say so, rather than a table of
            // UNAVAILABLE rows ending "0 passed, 0 failed" that CI reads as a pass.
            try Preflight.checkCommon()
            return try runHere(recordDirectory: recordDirectory)
        }
        return try GuestRunner(kernel: image).validate(
            arguments: ["--tier", tier.name, "--connections", String(connections),
                        "--race-window-ms", String(raceWindowMs ?? 100)]
                + (oracleFault.map { ["--oracle-fault", $0.rawValue] } ?? [])
                + scenario.flatMap { ["--scenario", $0] }
                + (busyConnections.map { ["--busy-connections", String($0)] } ?? []),
            recordDirectory: recordDirectory,
            console: { Terminal.note("guest: " + $0) })
    }

    /// The verdict rows of an earlier `validate --json` (other lines skipped).
    private static func savedRecords(_ path: String) throws -> [VerdictRecord] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw SessionError("cannot read \(path): \(error.localizedDescription)")
        }
        let records = text.split(separator: "\n").compactMap { VerdictRecord.parse(line: $0) }
        guard !records.isEmpty else {
            throw SessionError("\(path) holds no verdict rows", fix: "save a run with: synshadow validate --json > \(path)")
        }
        return records
    }

    private func runHere(recordDirectory: String?) throws -> [VerdictRecord] {
        let release = kernelRelease()
        let suite = ValidationSuite.standard(connectionsPerFamily: connections, busyConnections: busyConnections)
            .selecting(scenario)!
        var records: [VerdictRecord] = []
        for candidate in tier.candidates {
            do {
                let outcomes = try suite.run(
                    tier: candidate, oracleFault: oracleFault,
                    raceWindow: raceWindowMs.map { UInt64($0) * 1_000_000 }, recordDirectory: recordDirectory
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
