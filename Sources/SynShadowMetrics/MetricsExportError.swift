/// Why metrics export cannot start, as one line: what failed and what to do.
public struct MetricsExportError: Error, CustomStringConvertible, Sendable {
    public var cause: String
    public var fix: String

    public init(_ cause: String, fix: String) {
        self.cause = cause
        self.fix = fix
    }

    public var description: String { "\(cause) — \(fix)" }
}
