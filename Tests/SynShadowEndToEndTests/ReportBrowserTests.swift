import Foundation
import SynShadowCore
import SynShadowTestbed
import Testing

/// The incident page in a real browser: Debian's chromium, headless, loads
/// the page made from the committed overload recording. The inline script
/// must have run (the page marked rendered), found every shown figure equal
/// to the embedded JSON, and met no error; the figures in the DOM must equal
/// the replay's; and a screenshot is taken (its path is printed) for a person
/// to look at. Needs chromium, installed when missing (root: apt-get).
@Suite(.serialized, .enabled(if: Chromium.isAvailable, Comment(rawValue: Chromium.unavailableReason ?? "")))
struct ReportBrowserTests {
    @Test func theOverloadPageRendersInChromiumWithTheReplaysFigures() throws {
        let chromium = try Chromium.path()
        let directory = NSTemporaryDirectory() + "ss-report-browser-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let page = directory + "/overload.html"
        let made = try Run([Run.binary, "report", ReportCommandTests.overload, "-o", page])
        #expect(made.status == 0, "\(made.stderr)")

        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(directory)/profile"]
        let load = try Run(
            [chromium] + flags + ["--enable-logging=stderr", "--v=0", "--dump-dom", "file://" + page], timeout: 120)
        print("report browser test: chromium loaded the page and dumped its DOM in \(String(format: "%.2f", load.seconds)) s")
        #expect(load.status == 0, "\(load.stderr.suffix(2000))")
        let dom = load.stdout
        let root = try #require(dom.range(of: "<html").map { dom[$0.lowerBound...].prefix { $0 != ">" } }, "no <html> in \(dom.prefix(500))")
        #expect(root.contains("data-rendered=\"yes\""), "\(root)")
        #expect(root.contains("data-js-errors=\"0\""), "\(root)")
        #expect(root.contains("data-figures-check=\"ok\""), "\(root)")
        #expect(!load.stderr.contains("Uncaught"), "\(load.stderr.split(separator: "\n").filter { $0.contains("Uncaught") })")
        #expect(!load.stderr.contains("net::ERR_"), "the page asked for something over the network")

        // The figures in the DOM, read as the browser left them, equal the
        // JSON block beside them and the model's replay of the trace.
        let figures = try #require(ShownFigures.embedded(dom), "no synshadow-figures block")
        let shown = ShownFigures.parse(dom)
        #expect(shown.count > 20)
        for (path, text) in shown {
            #expect(ShownFigures.value(at: path, in: figures).map(String.init) == text, "\(path) shows \(text)")
        }
        let replay = try Replay.run(path: ReportCommandTests.overload)
        var byID: [String: UInt64] = [:]
        for (path, text) in shown where path.hasPrefix("totals.findings.") {
            byID[String(path.dropFirst("totals.findings.".count))] = UInt64(text)
        }
        #expect(byID == replay.statistics.findings)
        let listener = try #require(replay.listeners.first)
        #expect(shown.first { $0.0 == "listeners.0.syns" }?.1 == String(listener.syns))
        #expect(shown.first { $0.0 == "listeners.0.handshakes" }?.1 == String(listener.handshakes))
        #expect(shown.first { $0.0 == "listeners.0.accepts" }?.1 == String(listener.accepts))
        #expect(shown.first { $0.0 == "trace.events" }?.1 == String(replay.events))
        #expect(shown.first { $0.0 == "trace.lost_events" }?.1 == String(replay.statistics.lostEvents))

        // A picture for a person: the accept queue reaching its limit where the drops begin.
        let screenshot = ProcessInfo.processInfo.environment["SYNSHADOW_SCREENSHOT"]
            ?? NSTemporaryDirectory() + "synshadow-report-overload.png"
        try? FileManager.default.removeItem(atPath: screenshot)
        let shot = try Run(
            [chromium] + flags + ["--screenshot=\(screenshot)", "--window-size=1400,2000", "--hide-scrollbars", "file://" + page],
            timeout: 120)
        #expect(shot.status == 0, "\(shot.stderr.suffix(2000))")
        let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 20_000)
        print("report browser test: screenshot of the overload page at \(screenshot) (\(png.count) bytes)")
    }


}

/// Debian's chromium for the browser test: found on PATH, or installed
/// (as root) with the guest scripts' ensure_cmds, `apt-get update` first if
/// the package lists are stale.
enum Chromium {
    static let candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]

    static var installed: String? { candidates.first { FileManager.default.isExecutableFile(atPath: $0) } }

    static let unavailableReason: String? = {
        if installed != nil || getuid() == 0 { return nil }
        return "report browser test skipped: chromium is not installed and installing it needs root "
            + "(apt-get install --no-install-recommends chromium)"
    }()

    static var isAvailable: Bool { unavailableReason == nil }

    /// Chromium's path, installing it first when missing.
    static func path() throws -> String {
        if let installed { return installed }
        let lib = ReportCommandTests.repository.appendingPathComponent("scripts/guest/lib.sh").path
        let log = NSTemporaryDirectory() + "synshadow-chromium-install.log"
        // apt-get's progress goes to a log, not a pipe nobody reads while it runs.
        let install = "source \"$0\" && ensure_cmds chromium:chromium >\"$1\" 2>&1"
        var run = try Run(["bash", "-c", install, lib, log], timeout: 900)
        if run.status != 0 {
            _ = try Run(["bash", "-c", "apt-get update -qq >\"$0\" 2>&1", log], timeout: 600)
            run = try Run(["bash", "-c", install, lib, log], timeout: 900)
        }
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return try #require(installed, "chromium could not be installed: \(output.suffix(2000))")
    }
}
