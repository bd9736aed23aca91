import Foundation
import SynShadowTestbed
import SynShadowTracer
import Testing

/// Item 1 (numeric options) and items 2 and 3 (filters, validate without
/// root): every bad value is a clean usage error, before anything attaches.
extension LiveKernelTests.HostileInputTests {
    @Suite struct Options {
        /// A numeric option of a subcommand; `zeroValid` when 0 is accepted.
        struct NumericOption: Sendable, CustomStringConvertible {
            var command: [String]
            var option: String
            var zeroValid = false
            var description: String { (command + [option]).joined(separator: " ") }
        }

        static let options: [NumericOption] = {
            let live = ["--duration", "--ring-mb", "--port", "--pid", "--counters"]
            var options: [NumericOption] = []
            for command in [["trace"], ["record", "-o", "/nonexistent-dir/never.sst"]] {
                options += live.map { NumericOption(command: command, option: $0) }
                options.append(NumericOption(command: command, option: "--accept-threshold-ms", zeroValid: true))
                options.append(NumericOption(command: command, option: "--metrics-max-listeners", zeroValid: true))
            }
            options += ["--interval", "--duration", "--port", "--pid"].map { NumericOption(command: ["top"], option: $0) }
            options.append(NumericOption(command: ["top"], option: "--accept-threshold-ms", zeroValid: true))
            options.append(NumericOption(command: ["replay", "/dev/null"], option: "--accept-threshold-ms", zeroValid: true))
            options += ["--connections", "--busy-connections"].map { NumericOption(command: ["validate"], option: $0) }
            options.append(NumericOption(command: ["validate"], option: "--race-window-ms", zeroValid: true))
            options += ["--seconds", "--rounds", "--clients", "--flood-syns"].map {
                NumericOption(command: ["bench"], option: $0)
            }
            options.append(NumericOption(command: ["demo"], option: "--connections"))
            return options
        }()

        /// NaN, infinities, huge, negative, zero, and text that is no number.
        static let values = [
            "nan", "-nan", "NaN", "inf", "-inf", "infinity", "1e300", "-1e300", "1e-300", "18446744073710",
            "18446744073709551616", "99999999999999999999999", "-1", "-5", "0", "0x7fffffff", "", "1;2",
        ]

        @Test func everyNumericOptionRejectsHostileValuesAtParseTime() throws {
            let before = LoadedPrograms.count()
            var tried = 0
            var crashes: [String] = []
            var slow: [String] = []
            for option in Self.options {
                for value in Self.values where !(value == "0" && option.zeroValid) {
                    let arguments = [Run.binary] + option.command + [option.option, value]
                    let run = try Run(arguments, timeout: 20)
                    tried += 1
                    let what = "\(option) '\(value)'"
                    if !run.exited || run.stderr.contains("Program crashed") || run.stderr.contains("Fatal error") {
                        crashes.append(what)
                    }
                    if run.seconds > 10 { slow.append(what) }
                    #expect(run.status == 64, "\(what): exit \(run.status) \(run.stderr.prefix(300))")
                    #expect(!run.stderr.contains("synshadow: tier"), "\(what) attached")
                }
            }
            print("hostile: options: \(tried) inputs over \(Self.options.count) options; crashes \(crashes.count); hangs \(slow.count)")
            #expect(crashes.isEmpty, "crashed: \(crashes)")
            #expect(slow.isEmpty, "slow: \(slow)")
            #expect(LoadedPrograms.count() <= before, "an option value attached programs")
        }

        /// An out-of-range value is one line naming the option, the value and the range.
        @Test(arguments: [
            (["trace", "--duration", "nan"], "--duration nan"), (["trace", "--port", "-1"], "--port -1"),
            (["trace", "--pid", "-5"], "--pid -5"), (["bench", "--seconds", "inf"], "--seconds inf"),
            (["replay", "/dev/null", "--accept-threshold-ms", "18446744073710"], "--accept-threshold-ms 18446744073710"),
            (["validate", "--race-window-ms", "18446744073710"], "--race-window-ms 18446744073710"),
        ])
        func anOutOfRangeValueNamesTheRange(arguments: [String], shown: String) throws {
            let run = try Run([Run.binary] + arguments, timeout: 20)
            #expect(run.status == 64)
            let line = run.stderrLines.first ?? ""
            #expect(line.contains(shown) && line.contains("accepted:"), "\(run.stderr)")
        }

        @Test func bogusFiltersAreRefusedBeforeAttaching() throws {
            let before = LoadedPrograms.count()
            let directory = NSTemporaryDirectory()
            let missingPid = (100_000...4_000_000).first { !FileManager.default.fileExists(atPath: "/proc/\($0)") }!
            // A thread of this process that is not its leader.
            let thread = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
                .first { $0 != String(getpid()) }
            var cases: [([String], String)] = [
                (["--netns", "/etc/passwd"], "regular file"), (["--netns", directory], "directory"),
                (["--netns", "123456"], "no network namespace"), (["--netns", "/proc/self/ns/mnt"], "mnt namespace"),
                (["--netns", "/nonexistent"], "No such file"), (["--pid", String(missingPid)], "no such process"),
                (["--pid", "2"], "kernel thread"), (["--port", "-1"], "--port -1"), (["--pid", "-5"], "--pid -5"),
                (["--port", "65536"], "--port 65536"),
            ]
            if let thread { cases.append((["--pid", thread], "a thread of process")) }
            for (filter, expected) in cases {
                for command in ["trace", "top"] {
                    let run = try Run([Run.binary, command] + filter, timeout: 20)
                    #expect(run.status == 64, "\(command) \(filter): \(run.stderr)")
                    #expect(run.stderr.contains(expected), "\(command) \(filter): \(run.stderr)")
                }
            }
            print("hostile: filters: \(cases.count * 2) bogus filters refused at parse time")
            #expect(LoadedPrograms.count() <= before)
        }

        /// `ip netns add` bind-mounts the namespace under /run/netns: the
        /// file's /proc/self/fd link names that path, not "net:[...]", and
        /// the first version of the check refused it ("a regular file"),
        /// failing every real-server run. The kernel's NS_GET_NSTYPE decides.
        @Test func namedAndProcNamespacesAreAccepted() throws {
            let name = "synshadow-hostile-\(getpid())"
            #expect(try Run(["ip", "netns", "add", name], timeout: 10).status == 0)
            defer { _ = try? Run(["ip", "netns", "del", name], timeout: 10) }
            for path in ["/run/netns/\(name)", "/var/run/netns/\(name)", "/proc/self/ns/net"] {
                var info = stat()
                #expect(stat(path, &info) == 0)
                let inode = try NetworkNamespace.inode(ofNamespaceFile: path)
                #expect(inode == UInt32(truncatingIfNeeded: info.st_ino), "\(path)")
            }
        }

        @Test func anUnwritableRecordPathFailsBeforeBPFLoads() throws {
            let before = LoadedPrograms.count()
            for path in ["/nonexistent-dir/trace.sst", "/proc/trace.sst", "/proc/version"] {
                let run = try Run([Run.binary, "record", "-o", path, "--duration", "1"], timeout: 20)
                #expect(run.status == 1, "\(path): \(run.stderr)")
                #expect(run.stderrLines.count == 1, "\(path): \(run.stderr)")
                #expect(!run.stderr.contains("synshadow: tier"), "\(path): BPF loaded before the file was refused")
                #expect(run.seconds < 5)
            }
            #expect(LoadedPrograms.count() <= before)
        }

        @Test func validateWithoutRootFailsNamingThePrivilege() throws {
            let run = try Run(
                ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", Run.binary, "validate",
                 "--scenario", "clean-handshakes", "--connections", "10"], timeout: 60)
            #expect(run.status != 0, "\(run.stdout)\(run.stderr)")
            #expect(run.stderr.contains("root"), "\(run.stderr)")
            #expect(!run.stdout.contains("0 passed, 0 failed"), "\(run.stdout)")
        }
    }
}
