import SynShadowABI
import SynShadowCore
import Testing

/// The Swift mirrors of the event ABI (bpf/abi/include/synshadow_abi.h) hold
/// the C constants' values: a value changed on either side fails here, and a
/// Swift case without its constant does not compile (the switches are
/// exhaustive).
@Suite struct ABIConstantTests {
    @Test func hookRawValuesAreTheABIConstants() {
        for hook in Hook.allCases {
            #expect(UInt32(hook.rawValue) == Self.constant(hook).rawValue, "\(hook)")
        }
        #expect(Hook.allCases.count <= Int(SS_HOOK_MAX.rawValue))
    }

    @Test func eventKindRawValuesAreTheABIConstants() {
        for kind in EventKind.allCases {
            #expect(UInt32(kind.rawValue) == Self.constant(kind).rawValue, "\(kind)")
        }
        // Kinds run from 1 to SS_EVENT_KIND_MAX - 1: one more on the C side fails here.
        #expect(EventKind.allCases.count == Int(SS_EVENT_KIND_MAX.rawValue) - 1)
    }

    @Test func tierRawValuesAreTheABIConstants() {
        for tier in Tier.allCases {
            #expect(UInt32(tier.rawValue) == Self.constant(tier).rawValue, "\(tier)")
        }
    }

    @Test func eventFlagsAreTheABIConstants() {
        let flags: [(EventFlags, synshadow_event_flag)] = [
            (.queuesValid, SS_FLAG_QUEUES_VALID),
            (.ownerKnown, SS_FLAG_OWNER_KNOWN),
            (.fastOpen, SS_FLAG_FASTOPEN),
            (.requestStolen, SS_FLAG_REQ_STOLEN),
            (.secondPass, SS_FLAG_SECOND_PASS),
        ]
        for (flag, constant) in flags {
            #expect(UInt32(flag.rawValue) == constant.rawValue, "\(flag)")
        }
    }

    private static func constant(_ hook: Hook) -> synshadow_hook {
        switch hook {
        case .cgroupSkbIngress: SS_HOOK_CGROUP_SKB_INGRESS
        case .sockOpsListen: SS_HOOK_SOCKOPS_LISTEN
        case .sockOpsRwndInit: SS_HOOK_SOCKOPS_RWND_INIT
        case .sockOpsTimeoutInit: SS_HOOK_SOCKOPS_TIMEOUT_INIT
        case .sockOpsPassiveEstablished: SS_HOOK_SOCKOPS_PASSIVE_ESTABLISHED
        case .inetSockSetState: SS_HOOK_TP_INET_SOCK_SET_STATE
        case .retransmitSynAck: SS_HOOK_TP_RETRANSMIT_SYNACK
        case .kfreeSkb: SS_HOOK_TP_KFREE_SKB
        case .sysExitAccept: SS_HOOK_TP_SYS_EXIT_ACCEPT
        case .iterTCP: SS_HOOK_ITER_TCP
        case .connRequestEntry: SS_HOOK_CONN_REQUEST_ENTRY
        case .connRequestExit: SS_HOOK_CONN_REQUEST_EXIT
        case .requestHashAdd: SS_HOOK_REQSK_HASH_ADD
        case .checkRequestEntry: SS_HOOK_CHECK_REQ_ENTRY
        case .checkRequestExit: SS_HOOK_CHECK_REQ_EXIT
        case .acceptExit: SS_HOOK_CSK_ACCEPT_EXIT
        case .requestError: SS_HOOK_REQUEST_ERROR
        case .cookieCheckEntry: SS_HOOK_COOKIE_CHECK_ENTRY
        case .cookieCheckExit: SS_HOOK_COOKIE_CHECK_EXIT
        }
    }

    private static func constant(_ kind: EventKind) -> synshadow_event_kind {
        switch kind {
        case .listenStart: SS_EVENT_LISTEN_START
        case .listenStop: SS_EVENT_LISTEN_STOP
        case .syn: SS_EVENT_SYN
        case .connRequestDone: SS_EVENT_CONN_REQUEST_DONE
        case .requestCreated: SS_EVENT_REQUEST_CREATED
        case .requestQueued: SS_EVENT_REQUEST_QUEUED
        case .synAckRetransmit: SS_EVENT_SYNACK_RETRANSMIT
        case .ack: SS_EVENT_ACK
        case .rst: SS_EVENT_RST
        case .checkRequestDone: SS_EVENT_CHECK_REQ_DONE
        case .childCreated: SS_EVENT_CHILD_CREATED
        case .childState: SS_EVENT_CHILD_STATE
        case .accept: SS_EVENT_ACCEPT
        case .drop: SS_EVENT_DROP
        case .snapshotListener: SS_EVENT_SNAPSHOT_LISTENER
        case .snapshotRequest: SS_EVENT_SNAPSHOT_REQUEST
        case .snapshotChild: SS_EVENT_SNAPSHOT_CHILD
        case .requestDropped: SS_EVENT_REQUEST_DROPPED
        case .cookieCheckDone: SS_EVENT_COOKIE_CHECK_DONE
        }
    }

    private static func constant(_ tier: Tier) -> synshadow_tier {
        switch tier {
        case .tracepoint: SS_TIER_TRACEPOINT
        case .kprobe: SS_TIER_KPROBE
        case .fentry: SS_TIER_FENTRY
        }
    }
}
