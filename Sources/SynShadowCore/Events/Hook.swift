/// The probe that produced a record (`enum synshadow_hook`), also the index of
/// the kernel's per-hook hit counters.
public enum Hook: UInt8, Sendable, CaseIterable, Codable {
    case cgroupSkbIngress = 0
    case sockOpsListen = 1
    case sockOpsRwndInit = 2
    case sockOpsTimeoutInit = 3
    case sockOpsPassiveEstablished = 4
    case inetSockSetState = 5
    case retransmitSynAck = 6
    case kfreeSkb = 7
    case sysExitAccept = 8
    case iterTCP = 9
    case connRequestEntry = 10
    case connRequestExit = 11
    case requestHashAdd = 12
    case checkRequestEntry = 13
    case checkRequestExit = 14
    case acceptExit = 15
    case requestError = 16
    case cookieCheckEntry = 17
    case cookieCheckExit = 18

    /// The kernel hook, as a person looks it up.
    public var name: String {
        switch self {
        case .cgroupSkbIngress: "cgroup_skb/ingress"
        case .sockOpsListen: "sockops TCP_LISTEN_CB"
        case .sockOpsRwndInit: "sockops RWND_INIT"
        case .sockOpsTimeoutInit: "sockops TIMEOUT_INIT"
        case .sockOpsPassiveEstablished: "sockops PASSIVE_ESTABLISHED_CB"
        case .inetSockSetState: "tracepoint sock:inet_sock_set_state"
        case .retransmitSynAck: "tracepoint tcp:tcp_retransmit_synack"
        case .kfreeSkb: "tracepoint skb:kfree_skb"
        case .sysExitAccept: "tracepoint syscalls:sys_exit_accept{,4}"
        case .iterTCP: "iter/tcp"
        case .connRequestEntry: "tcp_v{4,6}_conn_request entry"
        case .connRequestExit: "tcp_v{4,6}_conn_request return"
        case .requestHashAdd: "inet_csk_reqsk_queue_hash_add"
        case .checkRequestEntry: "tcp_check_req entry"
        case .checkRequestExit: "tcp_check_req return"
        case .acceptExit: "inet_csk_accept return"
        case .requestError: "tcp_req_err"
        case .cookieCheckEntry: "cookie_v{4,6}_check entry"
        case .cookieCheckExit: "cookie_v{4,6}_check return"
        }
    }
}
