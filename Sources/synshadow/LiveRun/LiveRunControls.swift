import SynShadowCore
import SynShadowMetrics

/// How a run ended: stopped (signal, deadline, closed output), or asked to
/// start again with a new configuration (`service` on SIGHUP).
enum LiveRunEnd: Equatable {
    case stopped
    case restartRequested
}

/// A reload's answer: the running session takes the change, or a new one starts.
enum HangUpAnswer: Equatable {
    case keep
    case restart
}

/// The metrics exporter of a run, replaceable while it traces.
final class ExporterSlot {
    var current: MetricsExporter?

    init(_ exporter: MetricsExporter?) { current = exporter }
}

/// What a reload may change in a running session without touching the
/// kernel side or the model's state. Used on the tracing thread only.
struct LiveRunControls {
    let model: ShadowModel
    let exporters: ExporterSlot
    let snapshot: () -> MetricsSnapshot

    func setAcceptThreshold(milliseconds: Int) {
        model.setAcceptLatencyThreshold(UInt64(milliseconds) * 1_000_000)
    }

    /// Stops the running exporter (its last figures sent, its port freed) and
    /// starts one for `options`; on failure (a port in use, a bad URL: said on
    /// stderr) none runs, and the error is thrown for the caller to recover.
    func replaceMetrics(with options: MetricsOptions?) throws {
        exporters.current?.finish(final: snapshot())
        exporters.current = nil
        exporters.current = try options?.makeExporter()
    }
}
