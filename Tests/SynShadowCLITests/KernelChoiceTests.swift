import SynShadowTestbed
import Testing

@testable import synshadow

/// How `validate --kernel` reads its values and names kernels in a comparison.
@Suite struct KernelChoiceTests {
    @Test func eachFormOfTheArgumentIsRecognised() {
        #expect(KernelChoice(argument: "host") == .host)
        #expect(KernelChoice(argument: "6.12") == .version("6.12"))
        #expect(KernelChoice(argument: "linux-image-6.1.0-57-amd64") == .version("linux-image-6.1.0-57-amd64"))
        #expect(KernelChoice(argument: "runs/6.1.json") == .saved(path: "runs/6.1.json"))
        #expect(KernelChoice(argument: "/src/linux/arch/x86/boot/bzImage") == .image(path: "/src/linux/arch/x86/boot/bzImage"))
    }

    @Test func labelsNameWhatTheUserGave() {
        #expect(KernelChoice.image(path: "/src/linux/arch/x86/boot/bzImage").label == "linux")
        #expect(KernelChoice.image(path: "/tmp/images/acceptq-full-off-by-one.bzImage").label == "acceptq-full-off-by-one")
        #expect(KernelChoice.image(path: "/boot/vmlinuz-6.12.118").label == "boot/vmlinuz-6.12.118")
        #expect(KernelChoice.saved(path: "runs/baseline.json").label == "baseline")
        #expect(KernelChoice.tree(path: "/src/net-next/", image: "/x/bzImage").label == "net-next")
    }

    @Test func aMissingImageOrSavedRunIsRefusedBeforeAnythingRuns() {
        #expect(KernelChoice.image(path: "/nonexistent/bzImage").problem?.contains("no such file") == true)
        #expect(KernelChoice.image(path: "/tmp").problem?.contains("is a directory") == true)
        #expect(KernelChoice.saved(path: "/nonexistent.json").problem != nil)
        #expect(KernelChoice.host.problem == nil)
    }

    @Test func aRepeatedLabelIsMadeUnique() {
        let runs = KernelChoice.uniquelyLabelled([
            KernelRun(label: "host", records: []), KernelRun(label: "6.12", records: []), KernelRun(label: "host", records: []),
        ])
        #expect(runs.map(\.label) == ["host (#1)", "6.12", "host (#3)"])
    }
}
