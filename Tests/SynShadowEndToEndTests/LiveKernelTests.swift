import SynShadowTestbed
import Testing

/// The `synshadow` binary against the real kernel: every run attaches the
/// same programs, so they run one at a time.
@Suite(.serialized, .enabled(if: LiveEnvironment.isAvailable, Comment(rawValue: LiveEnvironment.unavailableReason ?? "")))
struct LiveKernelTests {}
