import SynShadowCore
import SynShadowTracer

/// Something that watches a live run as it goes (`top`): it sees every
/// finding and gets a turn after every drain, with the model between
/// batches, so it can read the model without a second start-up path.
protocol LiveRunObserver: AnyObject {
    /// Findings as the model releases them (instead of printing them).
    func noteFindings(_ findings: [Finding])
    /// After a drain (about every 100 ms); false asks the run to stop.
    func drained(tracer: LiveTracer, driver: ModelDriver) -> Bool
    /// Tracing stopped; called before the summary is printed.
    func stopped()
}
