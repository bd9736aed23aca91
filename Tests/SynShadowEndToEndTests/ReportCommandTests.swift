import Foundation
import SynShadowCore
import Testing

/// `synshadow report` as a user runs it, on the committed overload recording
/// (no root, no BPF): where the page goes, standard input and output, and
/// failures as one line with a non-zero exit, like `replay`.
@Suite struct ReportCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let overload = repository.appendingPathComponent("Tests/SynShadowReportTests/Fixtures/overload.sst").path

    /// A fresh directory for one test, removed after it.
    static func scratch() throws -> String {
        let directory = NSTemporaryDirectory() + "ss-report-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func thePageGoesBesideWhereItRunsNamedAfterTheTrace() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try Run(["sh", "-c", "cd \"$1\" && exec \"$0\" report \"$2\"", Run.binary, directory, Self.overload])
        #expect(run.status == 0, "\(run.stderr)")
        let page = directory + "/overload.html"
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("id=\"synshadow-figures\""))
        let mode = try FileManager.default.attributesOfItem(atPath: page)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        #expect(run.stderr.contains("wrote overload.html"), "\(run.stderr)")
        // Nothing else is left beside it (the hidden file it was written to is renamed).
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["overload.html"])
    }

    @Test func standardInputToStandardOutputGivesTheSamePage() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/page.html"
        let written = try Run([Run.binary, "report", Self.overload, "-o", file])
        #expect(written.status == 0, "\(written.stderr)")
        let piped = try Run([Run.binary, "report", "-", "-o", "-"], input: Self.overload)
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(piped.stderr.contains("standard input") && piped.stderr.contains("wrote standard output"))
        #expect(piped.stdout == (try String(contentsOfFile: file, encoding: .utf8)))
    }

    @Test func failuresAreOneLineAndLeaveNothingBehind() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let foreign = directory + "/notes.sst"
        try "not a trace\n".write(toFile: foreign, atomically: true, encoding: .utf8)
        let cut = directory + "/cut.sst"
        try Data(try Data(contentsOf: URL(fileURLWithPath: Self.overload)).prefix(50_000)).write(to: URL(fileURLWithPath: cut))
        let cases: [(arguments: [String], says: String)] = [
            (["report", foreign, "-o", directory + "/a.html"], "not a SynShadow trace"),
            (["report", directory + "/missing.sst", "-o", directory + "/b.html"], "cannot open"),
            (["report", cut, "-o", directory + "/c.html"], "cut after"),
            (["report", Self.overload, "-o", directory + "/no/such/dir/d.html"], "cannot write"),
            (["report", Self.overload, "-o", directory], "is a directory"),
        ]
        for (arguments, says) in cases {
            let run = try Run([Run.binary] + arguments)
            #expect(run.status == 1, "\(arguments): \(run.stderr)")
            let errors = run.stderrLines.filter { $0.contains("error:") }
            #expect(errors.count == 1 && errors.first?.contains(says) == true, "\(arguments): \(run.stderr)")
            #expect(run.stdout.isEmpty)
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(left == ["cut.sst", "notes.sst"])
    }
}
