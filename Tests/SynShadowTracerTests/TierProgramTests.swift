import SynShadowBPFObject
import SynShadowCore
import Testing

/// Swift's tier table names the programs the loader loads: every name (and
/// every classic stand-in) must be a program of the embedded BPF object, or
/// the tier fails to load on the machine that first asks for it. Needs no
/// kernel.
@Suite struct TierProgramTests {
    @Test(arguments: Tier.allCases)
    func everyProgramOfTheTierIsInTheBPFObject(tier: Tier) {
        let names = tier.programs.flatMap(\.allNames)
        for name in names {
            #expect(Self.objectHasSymbol(name), "\(tier.name): \(name) is not in the BPF object")
        }
    }

    @Test func theTablesReportTheHooksEachTierIsKnownFor() {
        #expect(Tier.tracepoint.hooks.contains(.cgroupSkbIngress) && Tier.tracepoint.hooks.contains(.sockOpsTimeoutInit))
        for tier in [Tier.kprobe, .fentry] {
            #expect(!tier.hooks.contains(.sockOpsTimeoutInit) && !tier.hooks.contains(.cgroupSkbIngress))
            #expect(tier.hooks.contains(.requestHashAdd) && tier.hooks.contains(.acceptExit))
        }
    }

    /// The ELF string table holds each symbol as a NUL-terminated name.
    private static func objectHasSymbol(_ name: String) -> Bool {
        let needle = [0] + Array(name.utf8) + [0]
        let bytes = BPFObject.bytes
        guard bytes.count >= needle.count else { return false }
        for start in 0...(bytes.count - needle.count) where bytes[start] == 0 && bytes[start + 1] == needle[1] {
            if bytes[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}
