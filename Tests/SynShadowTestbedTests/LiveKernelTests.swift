import SynShadowTestbed
import Testing

/// The test bed against the real kernel: it attaches SynShadow's programs
/// (scenarios) or drives real handshakes (the peer), one test at a time.
@Suite(.serialized, .enabled(if: LiveEnvironment.isAvailable, Comment(rawValue: LiveEnvironment.unavailableReason ?? "")))
struct LiveKernelTests {}
