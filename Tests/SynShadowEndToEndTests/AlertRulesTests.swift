import Foundation
import Testing

/// The shipped Prometheus rules and Grafana dashboard (packaging/): promtool
/// checks the rules and runs their unit tests, and every metric they and the
/// dashboard name must be a series of a real scrape
/// (packaging/prometheus/testdata/scrape-overload.txt). The script installs
/// Debian's prometheus package for promtool when it is missing, which needs
/// root.
@Suite(.enabled(if: AlertRules.unavailableReason == nil, Comment(rawValue: AlertRules.unavailableReason ?? "")))
struct AlertRulesTests {
    @Test func rulesPassPromtoolAndNameOnlyScrapedSeries() throws {
        let run = try PackageScript.run("test-alerts.sh", timeout: 900)
        #expect(run.exited && run.status == 0, "test-alerts.sh failed (status \(run.status)):\n\(run.stdout)\n\(run.stderr)")
        if run.status == 0 {
            #expect(run.stdout.contains("each tested firing and silent"), "the consistency checks did not run:\n\(run.stdout)")
        }
    }
}

enum AlertRules {
    static let script = "scripts/package/test-alerts.sh"

    static let unavailableReason: String? = {
        guard PackageScript.root != nil else { return "alert rule tests skipped: \(script) not found" }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        let promtool = path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/promtool") }
        if !promtool && geteuid() != 0 {
            return "alert rule tests skipped: promtool is not installed and installing Debian's prometheus package needs root"
        }
        return nil
    }()
}
