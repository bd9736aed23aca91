import SynShadowCore
import SynShadowLive
import Testing

/// Live tests need the real kernel: root, BTF, tracefs, cgroup v2. When one
/// is missing the tests are skipped with a message naming it, never passed.
enum LiveEnvironment {
    static let unavailableReason: String? = {
        do {
            _ = try Preflight.cgroupRoot()
            try Preflight.checkCommon()
            return nil
        } catch {
            return "live kernel tests skipped: \(error)"
        }
    }()

    static var isAvailable: Bool { unavailableReason == nil }
    static var skipReason: Comment { Comment(rawValue: unavailableReason ?? "") }
}

