/// Why tracing cannot start, phrased as the cause and the fix, on one line.
public struct SessionError: Error, CustomStringConvertible, Sendable {
    public var cause: String
    public var fix: String?
    /// The libbpf/verifier log tail, shown with --verbose.
    public var detail: String?
    /// The kernel does not offer the tier at all (no kprobes, fentry locked
    /// or without trampolines): a fact about the kernel, not a failure of
    /// SynShadow's own programs (which a verifier rejection would be).
    public var tierUnsupported = false

    public init(_ cause: String, fix: String? = nil, detail: String? = nil, tierUnsupported: Bool = false) {
        self.cause = cause
        self.fix = fix
        self.detail = detail
        self.tierUnsupported = tierUnsupported
    }

    public var description: String {
        guard let fix else { return cause }
        return "\(cause) — \(fix)"
    }
}
