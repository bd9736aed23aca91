import ArgumentParser
import SynShadowCore

/// `trace --counters[=SECONDS]`: the periodic cross-check of the model's
/// counts with the traced namespace's own nstat counters.
struct CounterOptions: ParsableArguments {
    /// The interval when `--counters` is given bare.
    static let defaultInterval = 5.0

    @Option(
        defaultAsFlag: CounterOptions.defaultInterval, parsing: .next,
        help: ArgumentHelp(
            "Every SECONDS (default 5), compare the model's counts with the traced namespace's nstat counters.",
            discussion: """
                Reads /proc/net/netstat and /proc/net/snmp of the --netns namespace (else synshadow's own) \
                right after a drain and prints a counters line (or a "type":"counters" object with --json): \
                kernel delta and model count since the base for TcpPassiveOpens, TcpExtListenOverflows, \
                TcpExtListenDrops, TcpExtTCPReqQFullDrop, TcpExtSyncookiesSent/Recv/Failed and \
                TcpExtEmbryonicRsts. A disagreement that outlasts a whole interval is a counter-mismatch \
                finding; with --port only an excess of the model can be asserted.
                """,
            valueName: "seconds"))
    var counters: Double? = nil

    @Option(help: .hidden)
    var countersFault: String?

    var interval: Double? { counters }

    var fault: CounterFault? { countersFault.flatMap(CounterFault.init(rawValue:)) }

    func check() throws {
        if let counters, !(counters >= 1 && counters <= 86_400) {
            throw ValidationError("--counters takes an interval of 1 to 86400 seconds (it must outlast the model's settle delay)")
        }
        if let countersFault {
            guard CounterFault(rawValue: countersFault) != nil else {
                throw ValidationError(
                    "unknown --counters-fault '\(countersFault)': use "
                        + CounterFault.allCases.map(\.rawValue).joined(separator: ", "))
            }
            guard counters != nil else { throw ValidationError("--counters-fault needs --counters") }
        }
    }
}
