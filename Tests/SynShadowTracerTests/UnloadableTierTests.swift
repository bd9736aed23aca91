#if canImport(Glibc)
import Glibc
#endif
import SynShadowCore
import SynShadowTestbed
@testable import SynShadowTracer
import Testing

/// `validate --tier all` marks a tier UNAVAILABLE only when the kernel does
/// not offer it. Seen before: a BPF object the verifier rejected made every
/// function tier UNAVAILABLE, the tracepoint tier passed, and validate
/// exited 0: a broken build read as a pass.
@Suite struct UnloadableTierTests {
    @Test func aKernelThatRefusesTheAttachTypeMakesTheTierUnavailable() {
        let refused = SessionError.loadFailure(tier: .fentry, message: "loading failed", errno: 524, log: "")
        #expect(refused.tierUnsupported)
        let record = VerdictRecord(unloadableTier: .fentry, kernel: "6.18", reason: refused.description, unsupported: refused.tierUnsupported)
        #expect(record.verdict == "UNAVAILABLE" && !record.failed)
    }

    @Test(arguments: [EINVAL, ENOENT, E2BIG])
    func programsTheKernelRejectsFailTheTier(errno value: Int32) {
        let rejected = SessionError.loadFailure(tier: .kprobe, message: "loading failed", errno: value, log: "")
        #expect(!rejected.tierUnsupported)
        let record = VerdictRecord(unloadableTier: .kprobe, kernel: "6.1", reason: rejected.description, unsupported: rejected.tierUnsupported)
        #expect(record.failed, "errno \(value)")
    }
}
