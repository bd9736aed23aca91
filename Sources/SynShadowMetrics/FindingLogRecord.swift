import Logging
import SynShadowCore

/// A finding as an OpenTelemetry log record: the severity is the finding's,
/// the body its one-line explanation, and the attributes the keys a log
/// pipeline filters on (`id`, `listener`, `flow`, `category`).
public struct FindingLogRecord: Sendable {
    public var level: Logger.Level
    public var message: String
    public var attributes: [String: String]

    public init(_ finding: Finding) {
        level =
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
    }

    public var metadata: Logger.Metadata { attributes.mapValues { .string($0) } }
}
