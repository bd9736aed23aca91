import SynShadowTestbed
import Testing

/// Every test that touches the kernel lives under this suite: they attach
/// the same programs, so they run one at a time.
@Suite(.serialized, .enabled(if: LiveEnvironment.isAvailable, Comment(rawValue: LiveEnvironment.unavailableReason ?? "")))
struct LiveKernelTests {}
