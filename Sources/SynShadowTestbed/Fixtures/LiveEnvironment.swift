import SynShadowCore
import SynShadowTracer

/// Live tests need the real kernel: root, BTF, tracefs, cgroup v2. When one
/// is missing the tests are skipped with a message naming it, never passed.
public enum LiveEnvironment {
    public static let unavailableReason: String? = {
        do {
            _ = try Preflight.cgroupRoot()
            try Preflight.checkCommon()
            return nil
        } catch {
            return "live kernel tests skipped: \(error)"
        }
    }()

    public static var isAvailable: Bool { unavailableReason == nil }
}
