import ArgumentParser
import SynShadowCore

/// `validate --tier`: every tier that loads (`all`, a row each), or one
/// choice as the live commands take it.
enum ValidationTierChoice: Equatable, ExpressibleByArgument, CaseIterable {
    case all
    case one(TierChoice)

    static var allCases: [ValidationTierChoice] { [.all] + TierChoice.allCases.map(ValidationTierChoice.one) }

    init?(argument: String) {
        guard let choice = Self.allCases.first(where: { $0.name == argument }) else { return nil }
        self = choice
    }

    var name: String {
        guard case .one(let choice) = self else { return "all" }
        return choice.name
    }

    /// The tiers to run, richest first; nil stands for `auto`.
    var candidates: [Tier?] {
        switch self {
        case .all: Tier.allCases.sorted(by: >)
        case .one(let choice): [choice.tier]
        }
    }

    var defaultValueDescription: String { name }
    static var allValueStrings: [String] { allCases.map(\.name) }
}
