import ArgumentParser
import Foundation
import SynShadowTestbed

/// A kernel `validate` runs the suite on: the running one, a Debian stock
/// kernel by version, a bzImage, or one just built from a source tree; or a
/// run saved earlier with `validate --json` (compared without running again).
enum KernelChoice: ExpressibleByArgument, Equatable {
    case host
    /// "6.1", "6.12", or a linux-image-* package name: fetched with apt-get.
    case version(String)
    case image(path: String)
    case tree(path: String, image: String)
    /// A file of verdict rows, as `validate --json` printed them.
    case saved(path: String)

    init?(argument: String) {
        if argument == "host" {
            self = .host
        } else if argument.range(of: #"^[0-9]+\.[0-9]+$|^linux-image-"#, options: .regularExpression) != nil {
            self = .version(argument)
        } else if argument.hasSuffix(".json") {
            self = .saved(path: argument)
        } else {
            self = .image(path: argument)
        }
    }

    /// What to boot in a guest; nil for the running kernel.
    var guestKernel: String? {
        switch self {
        case .host, .saved: nil
        case .version(let version): version
        case .image(let path), .tree(_, let path): path
        }
    }

    /// Why this choice cannot be booted, checked before anything runs.
    var problem: String? {
        if case .saved(let path) = self, !FileManager.default.isReadableFile(atPath: path) {
            return "--kernel \(path): no such file (a .json file holds the rows of an earlier validate --json)"
        }
        guard case .image(let path) = self else { return nil }
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            return "--kernel \(path): no such file (give a bzImage path, 6.1, 6.12 or host)"
        }
        if isDirectory.boolValue {
            return "--kernel \(path) is a directory: give its bzImage (arch/x86/boot/bzImage), or use --kernel-tree"
        }
        return nil
    }

    /// The name tables and sentences use: the version, "host", the tree's
    /// directory, or the image's file name ("bzImage" alone says nothing, so
    /// a tree's bzImage is named after the tree).
    var label: String {
        switch self {
        case .host: return "host"
        case .version(let version): return version
        case .saved(let path): return URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        case .tree(let path, _): return URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent
        case .image(let path):
            let components = URL(fileURLWithPath: path).standardizedFileURL.pathComponents
            let name = components.last ?? path
            if name == "bzImage" || name.hasPrefix("vmlinu") {
                if let arch = components.lastIndex(of: "arch"), arch > 0 { return components[arch - 1] }
                if components.count > 1 { return components[components.count - 2] + "/" + name }
            }
            return name.hasSuffix(".bzImage") ? String(name.dropLast(".bzImage".count)) : name
        }
    }

    /// The same runs, a label repeated made unique with its position
    /// ("6.12", "6.12 (#3)"): sentences must name one kernel each.
    static func uniquelyLabelled(_ runs: [KernelRun]) -> [KernelRun] {
        var seen: [String: Int] = [:]
        for run in runs { seen[run.label, default: 0] += 1 }
        return runs.enumerated().map { index, run in
            var run = run
            if seen[run.label, default: 0] > 1 { run.label += " (#\(index + 1))" }
            return run
        }
    }
}
