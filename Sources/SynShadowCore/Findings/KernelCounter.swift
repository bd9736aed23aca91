/// A kernel SNMP counter, named as `nstat` prints it, that the finding's
/// kernel path increments: the operator's cross-check against /proc/net/netstat.
public enum KernelCounter: String, Sendable, Codable, CaseIterable {
    case listenOverflows = "TcpExtListenOverflows"
    case listenDrops = "TcpExtListenDrops"
    case requestQueueFullDrop = "TcpExtTCPReqQFullDrop"
    case syncookiesSent = "TcpExtSyncookiesSent"
    case syncookiesReceived = "TcpExtSyncookiesRecv"
    case syncookiesFailed = "TcpExtSyncookiesFailed"
    case embryonicResets = "TcpExtEmbryonicRsts"
    case timeouts = "TcpExtTCPTimeouts"
    case establishedResets = "TcpEstabResets"
    case outResets = "TcpOutRsts"
    case synRetransmits = "TcpExtTCPSynRetrans"
    case requestQueueFullCookies = "TcpExtTCPReqQFullDoCookies"
    /// Children created (`tcp_create_openreq_child`): no finding claims it,
    /// the model counts the children it saw (`trace --counters`).
    case passiveOpens = "TcpPassiveOpens"
}
