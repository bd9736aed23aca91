import ArgumentParser
import SynShadowCore

/// `--family`: ipv4 or ipv6 (also 4/6 and inet/inet6, as `ip` takes them).
struct FamilyChoice: Equatable, ExpressibleByArgument {
    let family: AddressFamily

    init?(argument: String) {
        guard let family = AddressFamily(name: argument), family != .none else { return nil }
        self.family = family
    }

    var name: String { family.name }
    var defaultValueDescription: String { name }
    static var allValueStrings: [String] { [AddressFamily.ipv4.name, AddressFamily.ipv6.name] }
}
