/// The sysctls that change what the kernel does on the passive open. Known
/// values sharpen findings; unknown (nil) ones make the model tolerant
/// instead of guessing. A trace header carries them so a replay agrees.
public struct KernelSettings: Sendable, Hashable, Codable {
    /// net.ipv4.tcp_syncookies: 0 off, 1 when the request queue is full, 2 always.
    public var syncookies: Int?
    /// net.ipv4.tcp_abort_on_overflow: reset (true) or keep (false) a request
    /// whose ACK found the accept queue full.
    public var abortOnOverflow: Bool?
    /// net.ipv4.tcp_synack_retries: SYN-ACK retransmits before a request expires.
    public var synAckRetries: Int
    /// TCP_TIMEOUT_INIT: the first SYN-ACK retransmit timeout, in nanoseconds.
    public var initialSynAckTimeout: UInt64

    public init(
        syncookies: Int? = nil, abortOnOverflow: Bool? = nil, synAckRetries: Int = 5,
        initialSynAckTimeout: UInt64 = 1_000_000_000
    ) {
        self.syncookies = syncookies
        self.abortOnOverflow = abortOnOverflow
        self.synAckRetries = synAckRetries
        self.initialSynAckTimeout = initialSynAckTimeout
    }
}
