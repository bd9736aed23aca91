/// What the metrics endpoint grants one client: it may be reachable from
/// the network (`--metrics-listen 0.0.0.0:PORT`), so every resource a
/// request can hold is bounded. A Prometheus scrape needs a few hundred
/// bytes and a few milliseconds; the limits leave it ample room.
public struct MetricsServerLimits: Sendable {
    /// Connections held at once; past it the oldest is closed to make room,
    /// so idle or slow clients cannot lock scrapers out.
    public var maxConnections = 64
    /// The request line (method, path, version): longer gets 414.
    public var maxRequestLineBytes = 4096
    /// Request line and headers together: more without an end gets 431.
    public var maxHeaderBytes = 16384
    /// From accept to the end of the headers: a slower request gets 408 (slowloris).
    public var headerTimeoutNanoseconds: UInt64 = 5_000_000_000
    /// For the response to leave, once it is ready.
    public var writeTimeoutNanoseconds: UInt64 = 10_000_000_000
    /// After the response, how long what the client still sends is read and
    /// dropped, so closing does not reset the connection under its response.
    public var lingerNanoseconds: UInt64 = 1_000_000_000
    /// How long accepting pauses when the process has no descriptor left
    /// and the endpoint holds no connection it could close instead.
    public var acceptBackoffNanoseconds: UInt64 = 100_000_000

    public init() {}
}
