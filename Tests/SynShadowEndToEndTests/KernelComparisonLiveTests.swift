import Foundation
import SynShadowTestbed
import Testing

extension LiveKernelTests {
    /// A comparison is only worth its differences if the same kernel never
    /// differs from itself: every scripted row must repeat exactly, or a
    /// patch author would be shown a kernel change that is the tool's timing.
    @Suite struct KernelComparisonLiveTests {
        @Test func theRunningKernelComparedWithItselfDiffersNowhere() throws {
            let run = try Run(
                [Run.binary, "validate", "--kernel", "host", "--kernel", "host", "--tier", "tracepoint", "--json",
                 "--connections", "200"],
                timeout: 900)
            let lines = run.stdout.split(separator: "\n")
            let summary = try #require(
                lines.compactMap { ComparisonSummaryRecord.parse(line: $0) }.first, "no summary: \(run.stderr.suffix(2000))")
            let rows = lines.compactMap { ComparisonRowRecord.parse(line: $0) }
            #expect(run.status == 0, "\(summary.divergences) \(summary.baselineFailures)\n\(run.stderr.suffix(2000))")
            #expect(summary.kernels.map(\.label) == ["host (#1)", "host (#2)"])
            #expect(summary.differing == 0, "the same kernel differed from itself: \(summary.differences)")
            #expect(rows.count == summary.rows && rows.count >= 20, "\(rows.count) rows")
            let measured = rows.filter { $0.kernels.allSatisfy { !($0?.observations.isEmpty ?? true) } }.count
            #expect(measured >= 5, "only \(measured) rows measured a behaviour")
            print("host against host: \(rows.count) rows, \(summary.differing) differ, \(measured) with measured behaviours")
        }
    }
}
