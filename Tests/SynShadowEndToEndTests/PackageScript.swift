import Foundation

/// A script under scripts/package/ run from the package root, its output
/// shown in the test log (the figures it prints are the evidence).
enum PackageScript {
    /// The package root: the working directory `swift test` runs in, else
    /// the checkout this file was compiled from.
    static let root: String? = {
        let fromSource = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        return [FileManager.default.currentDirectoryPath, fromSource].first {
            FileManager.default.fileExists(atPath: $0 + "/scripts/package")
        }
    }()

    static func run(_ script: String, _ arguments: [String] = [], timeout: TimeInterval) throws -> Run {
        guard let root else { throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "scripts/package"]) }
        let run = try Run(
            ["sh", "-c", "cd \"$0\" && exec bash \"$@\"", root, "scripts/package/" + script] + arguments, timeout: timeout)
        for text in [run.stdout, run.stderr] where !text.isEmpty {
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
        }
        print(String(format: "%@: %.1f s, status %d", script, run.seconds, run.status))
        return run
    }
}
