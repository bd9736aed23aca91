import Foundation
import SynShadowCore
import SynShadowTracer

/// Boots a kernel image under qemu with this very binary inside, runs
/// `synshadow validate` there, and brings the verdict rows back: how a
/// kernel developer checks a TCP stack patch without rebooting anything.
/// The boot itself is scripts/guest/run.sh (busybox initramfs, TCG, serial console).
public struct GuestRunner {
    public var kernel: String
    public var timeoutSeconds = 600

    public init(kernel: String) {
        self.kernel = kernel
    }

    /// The repository's guest scripts, found from the working directory or the binary.
    public static func scriptsDirectory() -> String? {
        var candidates: [String] = []
        if let configured = ProcessInfo.processInfo.environment["SYNSHADOW_GUEST_SCRIPTS"] {
            candidates.append(configured)
        }
        candidates.append(FileManager.default.currentDirectoryPath + "/scripts/guest")
        var directory = URL(fileURLWithPath: CommandLine.executablePath).deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(directory.appendingPathComponent("scripts/guest").path)
            directory = directory.deletingLastPathComponent()
        }
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/run.sh") }
    }

    /// Resolves "6.1" / "6.12" to a downloaded Debian kernel; paths pass through.
    public func resolvedKernel(scripts: String) throws(SessionError) -> String {
        if FileManager.default.fileExists(atPath: kernel) { return kernel }
        guard kernel.range(of: #"^[0-9]+\.[0-9]+$|^linux-image-"#, options: .regularExpression) != nil else {
            throw SessionError("kernel image '\(kernel)' not found", fix: "give a bzImage path, or 6.1 / 6.12 for Debian's")
        }
        let output = try run(["bash", scripts + "/fetch-kernel.sh", kernel], streaming: false)
        guard output.status == 0, let path = output.stdout.split(separator: "\n").last.map(String.init) else {
            throw SessionError("fetching Debian's \(kernel) kernel failed (apt-get download)")
        }
        return path
    }

    /// Runs `validate` with `arguments` inside the guest; streams its console
    /// to `console` and returns the verdict rows it printed. With
    /// `recordDirectory`, the guest records each scenario under /out and the
    /// files come back into that host directory (the guest's own disk vanishes).
    public func validate(
        arguments: [String], recordDirectory: String? = nil, console: (String) -> Void
    ) throws(SessionError) -> [VerdictRecord] {
        guard let scripts = GuestRunner.scriptsDirectory() else {
            throw SessionError(
                "scripts/guest/run.sh not found", fix: "run from the repository, or set SYNSHADOW_GUEST_SCRIPTS")
        }
        let image = try resolvedKernel(scripts: scripts)
        let transfer = recordDirectory.map { ["--out-dir", $0] } ?? []
        let recording = recordDirectory == nil ? [] : ["--record-dir", "/out"]
        let command = ["bash", scripts + "/run.sh", "--kernel", image, "--timeout", String(timeoutSeconds),
                       "--file", CommandLine.executablePath + ":/bin/synshadow"] + transfer + ["--",
                       "synshadow", "validate", "--json"] + arguments + recording
        var records: [VerdictRecord] = []
        let result = try run(command, streaming: true) { line in
            if let record = VerdictRecord.parse(line: line) { records.append(record) } else { console(line) }
        }
        if records.isEmpty {
            throw SessionError("the guest printed no verdict (exit \(result.status)): see its console above")
        }
        return records
    }

    /// Builds a guest kernel from a source tree with the tree's own make
    /// (scripts/guest/build-kernel.sh: the project's config fragment, output
    /// cached per tree and fragment, so a second build only redoes what
    /// changed) and returns the bzImage's path. The build's log lines go to
    /// `console`.
    public static func buildKernel(tree: String, console: (String) -> Void) throws(SessionError) -> String {
        guard let scripts = scriptsDirectory() else {
            throw SessionError(
                "scripts/guest/build-kernel.sh not found", fix: "run from the repository, or set SYNSHADOW_GUEST_SCRIPTS")
        }
        var last = ""
        let result = try GuestRunner(kernel: tree).run(
            ["bash", scripts + "/build-kernel.sh", tree], streaming: true
        ) { line in
            last = line
            console(line)
        }
        guard result.status == 0, last.hasPrefix("/"), FileManager.default.fileExists(atPath: last) else {
            throw SessionError("building a kernel from \(tree) failed (exit \(result.status)): see the lines above")
        }
        return last
    }

    private struct Finished {
        var status: Int32
        var stdout: String
    }

    private func run(_ arguments: [String], streaming: Bool, line: (String) -> Void = { _ in }) throws(SessionError) -> Finished {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = streaming ? FileHandle.standardError : FileHandle.nullDevice
        SignalTrap.installEndingChildGroup()
        do { try process.run() } catch { throw SessionError("cannot start \(arguments[1]): \(error)") }
        // Foundation starts the child as the leader of a process group of
        // its own; run.sh keeps qemu in it (timeout --foreground).
        let child = process.processIdentifier
        SignalTrap.endWithUs(processGroup: getpgid(child) == child ? child : nil)
        defer { SignalTrap.endWithUs(processGroup: nil) }
        var collected = ""
        var pending = ""
        while true {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            let text = String(decoding: chunk, as: UTF8.self)
            collected += text
            guard streaming else { continue }
            pending += text
            while let newline = pending.firstIndex(of: "\n") {
                line(String(pending[..<newline]))
                pending = String(pending[pending.index(after: newline)...])
            }
        }
        if streaming, !pending.isEmpty { line(pending) }
        process.waitUntilExit()
        return Finished(status: process.terminationStatus, stdout: collected)
    }
}

extension CommandLine {
    /// This executable's path (/proc/self/exe), for copying it into a guest.
    static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? arguments[0]
    }
}
