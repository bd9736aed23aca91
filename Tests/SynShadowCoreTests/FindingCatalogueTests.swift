#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SynShadowCore
import Testing

/// The catalogue is a contract: stable ids, complete metadata, documented in
/// docs/divergences.md, and findings survive a JSON round trip.
@Suite struct FindingCatalogueTests {
    @Test func everyFindingIsDocumented() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/divergences.md")
        let text = try String(decoding: Data(contentsOf: docs), as: UTF8.self)
        for kind in FindingKind.allCases {
            #expect(text.contains("### `\(kind.identifier)`"), "docs/divergences.md lacks \(kind.identifier)")
            for counter in kind.counters { #expect(text.contains(counter.rawValue), "\(kind.identifier): \(counter)") }
        }
    }

    @Test func identifiersAreStableAndUnique() {
        let identifiers = FindingKind.allCases.map(\.identifier)
        #expect(Set(identifiers).count == identifiers.count)
        for kind in FindingKind.allCases {
            #expect(FindingKind(identifier: kind.identifier) == kind)
            #expect(!kind.meaning.isEmpty && !kind.action.isEmpty)
        }
        #expect(FindingKind.queueMismatch.identifier == "queue-mismatch")
        #expect(FindingKind.synDroppedAcceptQueueFull.counters == [.listenOverflows, .listenDrops])
    }

    @Test func categoriesSeparateBehaviourFromDivergence() {
        let divergences = FindingKind.allCases.filter { $0.category == .divergence }
        #expect(Set(divergences) == [.queueMismatch, .orphanEvent, .illegalTransition, .doubleAccept, .counterMismatch])
        #expect(FindingKind.synDropped.category == .behaviour)
        #expect(FindingKind.eventsLost.category == .observability)
        #expect(!FindingKind.eventsLost.requiresCompleteStream)
        #expect(FindingKind.orphanEvent.requiresCompleteStream)
    }

    @Test func findingsRoundTripThroughJSON() throws {
        var script = EventScript(tier: .tracepoint)
        script.backlog = 0
        script.listen()
        script.connection(Fixtures.flow(clientPort: 40_000))
        let flow = Fixtures.flow(clientPort: 40_001)
        script.syn(flow)
        script.queueRequest(flow)
        script.ack(flow)
        script.child(flow)
        script.wait(300 * Fixtures.millisecond)
        script.syn(Fixtures.flow(clientPort: 40_002))
        let run = ModelRun(script.events, configuration: ModelConfiguration(tier: .tracepoint))
        #expect(!run.findings.isEmpty)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(run.findings)
        let decoded = try JSONDecoder().decode([Finding].self, from: data)
        #expect(decoded == run.findings)
        let json = String(decoding: data, as: UTF8.self)
        #expect(json.contains("\"id\":\"syn-dropped-accept-queue-full\""))
        #expect(json.contains("\"category\":\"behaviour\""))
        #expect(json.contains("\"kind\":\"syn\"") && json.contains("\"hook\":\"cgroup_skb\\/ingress\""))
    }
}
