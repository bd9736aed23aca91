import Testing

extension LiveKernelTests {
    /// What an operator installs and leaves running (issue 18): the service
    /// against a real systemd-journald, and the Debian package in a minimal
    /// Debian root without Swift or libbpf. Both scripts print their figures.
    @Suite struct PackagingTests {
        /// Findings as journal entries with their fields; SIGHUP keeps the
        /// session for a threshold change, starts a new one for a filter
        /// change, refuses a broken file; SIGTERM exits 0.
        @Test func theServiceWritesFindingsToTheJournalAndReloadsOnHangUp() throws {
            let run = try PackageScript.run("test-service.sh", [Run.binary], timeout: 300)
            #expect(run.exited && run.status == 0, "test-service.sh failed:\n\(run.stderr)")
            #expect(run.stderr.contains("test-service: PASS"))
        }

        /// Static build, .deb, lintian, systemd-analyze verify, install, demo
        /// and trace in a debootstrap root, remove and purge.
        @Test func thePackageInstallsAndRunsWhereThereIsNoSwift() throws {
            let run = try PackageScript.run("test-package.sh", timeout: 3600)
            #expect(run.exited && run.status == 0, "test-package.sh failed:\n\(run.stderr)")
            #expect(run.stderr.contains("test-package: PASS"))
        }
    }
}
