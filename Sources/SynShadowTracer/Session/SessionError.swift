/// Why tracing cannot start, phrased as the cause and the fix, on one line.
public struct SessionError: Error, CustomStringConvertible, Sendable {
    public var cause: String
    public var fix: String?
    /// The libbpf/verifier log tail, shown with --verbose.
    public var detail: String?

    public init(_ cause: String, fix: String? = nil, detail: String? = nil) {
        self.cause = cause
        self.fix = fix
        self.detail = detail
    }

    public var description: String {
        guard let fix else { return cause }
        return "\(cause) — \(fix)"
    }
}
