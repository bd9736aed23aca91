import Foundation
import SynShadowTestbed
import Testing

/// Issue 17's proof, opt-in (two kernel builds and six guest suites: about
/// an hour here): Debian's linux-source-6.12 built unpatched must match the
/// packaged 6.12 row for row, and every mutant in Tests/KernelMutants must
/// turn at least one row red. `SYNSHADOW_MUTANT_PROOF=1 swift test --filter
/// MutantProofTests`; the outputs stay in $SYNSHADOW_MUTANT_PROOF_OUT
/// (default /tmp/synshadow-mutant-proof).
@Suite(.serialized, .enabled(if: MutantProof.isRequested, MutantProof.skipReason))
struct MutantProofTests {
    @Test func eachMutantTurnsRowsRedAndTheUnpatchedBuildMatchesDebians() throws {
        let out = ProcessInfo.processInfo.environment["SYNSHADOW_MUTANT_PROOF_OUT"] ?? "/tmp/synshadow-mutant-proof"
        let scripts = try #require(GuestRunner.scriptsDirectory(), "scripts/guest not found")
        let run = try Run(
            ["env", "SYNSHADOW=\(Run.binary)", "bash", scripts + "/prove-mutants.sh", "--out", out], timeout: 3 * 3600)
        #expect(run.status == 0, "prove-mutants.sh failed:\n\(run.stderr.suffix(3000))")
        let unpatched = try summary(out + "/unpatched-vs-6.12.json")
        #expect(unpatched.differing == 0, "the unpatched build differs from Debian's 6.12: \(unpatched.differences)")
        #expect(unpatched.divergences.isEmpty && unpatched.baselineFailures.isEmpty)
        let mutants = try FileManager.default.contentsOfDirectory(atPath: scripts + "/../../Tests/KernelMutants")
            .filter { $0.hasSuffix(".patch") }.map { String($0.dropLast(".patch".count)) }
        #expect(!mutants.isEmpty)
        for mutant in mutants.sorted() {
            let comparison = try summary(out + "/\(mutant)-vs-6.12.json")
            // Every mutant must change a row; reqsk-queue-full-off-by-one
            // changes them without a divergence (the model accepts a request
            // queue full at the backlog or one past it: see the README).
            #expect(comparison.differing > 0, "\(mutant): no row changed")
            if mutant != "reqsk-queue-full-off-by-one" {
                #expect(!comparison.divergences.isEmpty, "\(mutant): no row turned red; differences \(comparison.differences)")
            }
            print("mutant \(mutant): \(comparison.divergences.count) red rows: \(comparison.divergences)")
            for difference in comparison.differences { print("  - \(difference)") }
        }
    }

    private func summary(_ path: String) throws -> ComparisonSummaryRecord {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try #require(
            text.split(separator: "\n").compactMap { ComparisonSummaryRecord.parse(line: $0) }.first, "no summary in \(path)")
    }
}

enum MutantProof {
    static let isRequested = ProcessInfo.processInfo.environment["SYNSHADOW_MUTANT_PROOF"] == "1"
    static var skipReason: Comment {
        "mutant proof skipped: set SYNSHADOW_MUTANT_PROOF=1 to build linux-source-6.12 and its mutants (about an hour)"
    }
}
