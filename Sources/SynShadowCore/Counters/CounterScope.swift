/// What the traced events cover of the namespace whose counters are read,
/// which decides what a comparison may assert.
public enum CounterScope: Sendable, Hashable {
    /// Every listener of the namespace is traced: the counts must agree.
    case namespace
    /// Only one port is traced (`--port`), but the counters cover the whole
    /// namespace: other ports move them too, so only "the model claims no
    /// more than the kernel counted" can be asserted.
    case port(UInt16)

    public var name: String {
        switch self {
        case .namespace: "namespace"
        case .port: "port"
        }
    }
}
