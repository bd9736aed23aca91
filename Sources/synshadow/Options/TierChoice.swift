import ArgumentParser
import SynShadowCore

/// `--tier` of the live commands: one tier, or `auto` for the richest that
/// loads. Parsed by ArgumentParser, so a wrong name is a usage error that
/// lists the choices.
enum TierChoice: Equatable, ExpressibleByArgument, CaseIterable {
    case auto
    case only(Tier)

    static var allCases: [TierChoice] { [.auto] + Tier.allCases.sorted(by: >).map(TierChoice.only) }

    init?(argument: String) {
        guard let choice = Self.allCases.first(where: { $0.name == argument }) else { return nil }
        self = choice
    }

    var name: String {
        switch self {
        case .auto: "auto"
        case .only(let tier): tier.name
        }
    }

    /// The tier to insist on; nil lets the selector choose.
    var tier: Tier? {
        switch self {
        case .auto: nil
        case .only(let tier): tier
        }
    }

    var defaultValueDescription: String { name }
    static var allValueStrings: [String] { allCases.map(\.name) }
}
