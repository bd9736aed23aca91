/// What the traced events cover of the namespace whose counters are read,
/// which decides what a comparison may assert.
public enum CounterScope: Sendable, Hashable {
    /// Every listener of the namespace is traced: the counts must agree.
    case namespace
    /// A filter narrows what is traced (`--port`, `--local-address`,
    /// `--family`, `--pid`, `--comm`, `--cgroup`), but the counters cover the
    /// whole namespace: other services move them too, so only "the model
    /// claims no more than the kernel counted" can be asserted. The text
    /// names the filters, as given on the command line.
    case filtered(String)

    public var name: String {
        switch self {
        case .namespace: "namespace"
        case .filtered: "filtered"
        }
    }

    /// Whether the model's counts must equal the kernel's (else only model <= kernel).
    public var isExact: Bool { self == .namespace }
}
