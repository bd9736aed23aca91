/// Why one OTLP POST did not get a 2xx, in words for the warning.
struct OTLPPostFailure: Error, Sendable {
    var reason: String
}
