import SynShadowCore

/// A finding as an OpenTelemetry log record: the severity is the finding's,
/// the body its one-line explanation, and the attributes the keys a log
/// pipeline filters on (`id`, `listener`, `flow`, `category`).
public struct FindingLogRecord: Sendable, Hashable {
    /// OTLP's `SeverityNumber` and its short name.
    public enum Severity: Sendable, Hashable {
        case info, warning, error

        var number: UInt64 {
            switch self {
            case .info: 9
            case .warning: 13
            case .error: 17
            }
        }

        var text: String {
            switch self {
            case .info: "INFO"
            case .warning: "WARN"
            case .error: "ERROR"
            }
        }
    }

    public var severity: Severity
    public var message: String
    public var attributes: [String: String]
    /// Wall-clock time the exporter took the finding, in ns since 1970.
    public var observedNanoseconds: UInt64

    public init(_ finding: Finding, observedNanoseconds: UInt64) {
        severity =
            switch finding.severity {
            case .info: .info
            case .warning: .warning
            case .error: .error
            }
        message = finding.explanation
        var attributes = [
            "id": finding.id, "category": finding.category.rawValue, "severity": finding.severity.rawValue,
            "step": finding.step.rawValue,
        ]
        if let listener = finding.listener {
            let labels = ListenerLabels(listener)
            attributes["listener"] = labels.listener
            attributes["netns"] = labels.netns
            if !labels.comm.isEmpty { attributes["comm"] = labels.comm }
        }
        if let flow = finding.flow { attributes["flow"] = flow.text }
        self.attributes = attributes
        self.observedNanoseconds = observedNanoseconds
    }
}
