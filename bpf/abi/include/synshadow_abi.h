/*
 * synshadow_abi.h — the event ABI shared by the BPF programs (bpf/) and Swift.
 *
 * This is the only definition of what crosses the ring buffer. Both sides
 * compile it: clang -target bpf for the kernel side, and Swift through the
 * SynShadowABI module. Any change to a struct layout or to the meaning of a
 * field must bump SYNSHADOW_ABI_VERSION; the Swift decoder rejects records of
 * a version it does not know instead of misreading them.
 */
#ifndef SYNSHADOW_ABI_H
#define SYNSHADOW_ABI_H

#if defined(__bpf__)
/* vmlinux.h has already provided the kernel's fixed-width types. */
typedef __u8 ss_u8;
typedef __u16 ss_u16;
typedef __u32 ss_u32;
typedef __u64 ss_u64;
typedef __s64 ss_s64;
#else
#include <stdint.h>
typedef uint8_t ss_u8;
typedef uint16_t ss_u16;
typedef uint32_t ss_u32;
typedef uint64_t ss_u64;
typedef int64_t ss_s64;
#endif

/* 2: `accepts_in_flight` (was reserved), the listener owner's
 * `accepts_in_flight` (was reserved2), SS_EVENT_REQUEST_DROPPED and
 * SS_HOOK_REQUEST_ERROR.
 * 3: SS_FLAG_SECOND_PASS, SS_EVENT_COOKIE_CHECK_DONE and the cookie_v{4,6}_check
 * hooks. Version 1 and 2 records still decode. */
#define SYNSHADOW_ABI_VERSION 3

/* What happened. One record kind per step of the passive open. */
enum synshadow_event_kind {
	SS_EVENT_LISTEN_START = 1,	/* listen(): a listener appeared */
	SS_EVENT_LISTEN_STOP = 2,	/* listener left LISTEN (closed) */
	SS_EVENT_SYN = 3,		/* a SYN reached a listener (before queue checks) */
	SS_EVENT_CONN_REQUEST_DONE = 4,	/* tcp_v{4,6}_conn_request returned (function tiers) */
	SS_EVENT_REQUEST_CREATED = 5,	/* request built for a SYN (cookie or not); SYN-ACK follows */
	SS_EVENT_REQUEST_QUEUED = 6,	/* request sock hashed into the request queue (not for a cookie) */
	SS_EVENT_SYNACK_RETRANSMIT = 7,	/* SYN-ACK resent for a queued request */
	SS_EVENT_ACK = 8,		/* a non-SYN, non-RST segment for a listener (handshake ACK) */
	SS_EVENT_RST = 9,		/* a RST for a listener (embryonic reset) */
	SS_EVENT_CHECK_REQ_DONE = 10,	/* tcp_check_req returned (function tiers); result = child/listener/0 */
	SS_EVENT_CHILD_CREATED = 11,	/* child sock created and established */
	SS_EVENT_CHILD_STATE = 12,	/* a child not yet accepted changed state (reset/closed) */
	SS_EVENT_ACCEPT = 13,		/* accept() returned a child */
	SS_EVENT_DROP = 14,		/* kfree_skb of a packet for a listener/request, with reason */
	SS_EVENT_SNAPSHOT_LISTENER = 15, /* start-up snapshot: an existing listener */
	SS_EVENT_SNAPSHOT_REQUEST = 16,	/* start-up snapshot: an existing request sock */
	SS_EVENT_SNAPSHOT_CHILD = 17,	/* start-up snapshot: a child already in an accept queue */
	SS_EVENT_REQUEST_DROPPED = 18,	/* tcp_req_err dropped a request on an ICMP error (function tiers) */
	SS_EVENT_COOKIE_CHECK_DONE = 19, /* cookie_v{4,6}_check returned (function tiers); result = child/listener/0 */
	SS_EVENT_KIND_MAX = 20,
};

/* Which probe produced a record; also the index of the per-hook hit counters. */
enum synshadow_hook {
	SS_HOOK_CGROUP_SKB_INGRESS = 0,
	SS_HOOK_SOCKOPS_LISTEN = 1,
	SS_HOOK_SOCKOPS_RWND_INIT = 2,
	SS_HOOK_SOCKOPS_TIMEOUT_INIT = 3,
	SS_HOOK_SOCKOPS_PASSIVE_ESTABLISHED = 4,
	SS_HOOK_TP_INET_SOCK_SET_STATE = 5,
	SS_HOOK_TP_RETRANSMIT_SYNACK = 6,
	SS_HOOK_TP_KFREE_SKB = 7,
	SS_HOOK_TP_SYS_EXIT_ACCEPT = 8,
	SS_HOOK_ITER_TCP = 9,
	SS_HOOK_CONN_REQUEST_ENTRY = 10,	/* fentry or kprobe */
	SS_HOOK_CONN_REQUEST_EXIT = 11,		/* fexit or kretprobe */
	SS_HOOK_REQSK_HASH_ADD = 12,		/* inet_csk_reqsk_queue_hash_add entry */
	SS_HOOK_CHECK_REQ_ENTRY = 13,
	SS_HOOK_CHECK_REQ_EXIT = 14,
	SS_HOOK_CSK_ACCEPT_EXIT = 15,
	SS_HOOK_REQUEST_ERROR = 16,		/* tcp_req_err entry: an ICMP error for a request */
	SS_HOOK_COOKIE_CHECK_ENTRY = 17,	/* cookie_v{4,6}_check entry: an ACK reaching a listener itself */
	SS_HOOK_COOKIE_CHECK_EXIT = 18,		/* cookie_v{4,6}_check return */
	SS_HOOK_MAX = 32,		/* a power of two (the index is masked) */
};

/* The attach tier a record came from (also the tier requested at load). */
enum synshadow_tier {
	SS_TIER_TRACEPOINT = 1,
	SS_TIER_KPROBE = 2,
	SS_TIER_FENTRY = 3,
};

/* synshadow_event.flags */
enum synshadow_event_flag {
	SS_FLAG_QUEUES_VALID = 1 << 0,	/* ack_backlog..request_young were read at this instant */
	SS_FLAG_OWNER_KNOWN = 1 << 1,	/* pid/comm are the listener owner's */
	SS_FLAG_FASTOPEN = 1 << 2,	/* tcp_check_req called for a Fast Open child */
	SS_FLAG_REQ_STOLEN = 1 << 3,	/* tcp_check_req lost the race to another CPU */
	SS_FLAG_SECOND_PASS = 1 << 4,	/* cgroup_skb: the segment just seen, again: tcp_check_req
					 * handed it back to the listener, whose filter runs
					 * a second time (tcp_v{4,6}_rcv, nsk == sk) */
};

/*
 * One record. Fixed size, naturally aligned, host byte order except the
 * addresses (network order, IPv4 in the first 4 bytes). "local" is the
 * listener's side of the flow, "remote" the client's.
 */
struct synshadow_event {
	ss_u8 version;		/* SYNSHADOW_ABI_VERSION */
	ss_u8 kind;		/* enum synshadow_event_kind */
	ss_u16 size;		/* sizeof(struct synshadow_event) when written */
	ss_u8 hook;		/* enum synshadow_hook */
	ss_u8 family;		/* AF_INET (2), AF_INET6 (10), 0 = no flow */
	ss_u8 old_state;	/* TCP states (TCP_ESTABLISHED = 1 ...), state events only */
	ss_u8 new_state;
	ss_u64 timestamp_ns;	/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	ss_u32 cpu;
	ss_u32 netns;		/* network namespace inode number */
	ss_u32 pid;		/* tgid of the listener's owner (see SS_FLAG_OWNER_KNOWN) */
	ss_u32 tid;		/* thread that ran the hook (softirq: whoever was running) */
	char comm[16];		/* listener owner's comm */
	ss_u16 local_port;
	ss_u16 remote_port;
	ss_u16 tcp_flags;	/* TCP header flags of the segment, segment events */
	ss_u16 flags;		/* enum synshadow_event_flag */
	ss_u8 local_addr[16];
	ss_u8 remote_addr[16];
	ss_u64 listener;	/* kernel address of the listening sock, 0 = unknown */
	ss_u64 request;		/* request sock, 0 = unobserved in this tier */
	ss_u64 child;		/* child sock, 0 = none/unobserved */
	ss_u32 ack_backlog;	/* sk_ack_backlog: accept queue length */
	ss_u32 max_ack_backlog;	/* sk_max_ack_backlog: accept queue limit */
	ss_u32 request_queue;	/* icsk_accept_queue.qlen: request (SYN) queue length */
	ss_u32 request_young;	/* icsk_accept_queue.young */
	ss_s64 result;		/* the hooked function's return value, where there is one */
	ss_u32 detail;		/* DROP: skb_drop_reason; RETRANSMIT: count; ACCEPT: fd */
	ss_u32 accepts_in_flight; /* with the queue figures: threads inside accept() on this
				   * listener, read after sk_ack_backlog (each may or may not
				   * have taken a child yet; see synshadow.bpf.c) */
};

#define SYNSHADOW_EVENT_SIZE 144
_Static_assert(sizeof(struct synshadow_event) == SYNSHADOW_EVENT_SIZE,
	       "synshadow_event layout changed: bump SYNSHADOW_ABI_VERSION");

/* Per-CPU counters, read and summed by user space. */
struct synshadow_counters {
	ss_u64 hook_hits[SS_HOOK_MAX];	/* every time a hook ran past its filters */
	ss_u64 events;			/* records submitted */
	ss_u64 lost;			/* records that could not be reserved: ring buffer full */
	ss_u64 filtered;		/* records a filter kept out of the ring (port, netns, address,
					 * family, owner, another instance's self-check): one per record
					 * a hook would have written, in every tier (see event.bpf.h) */
	ss_u64 correlation_misses;	/* a step whose SYN or ACK was not found (its record lost) */
	ss_u64 wakeups;			/* forced consumer wake-ups */
	ss_u64 lost_by_kind[SS_EVENT_KIND_MAX]; /* `lost`, per enum synshadow_event_kind */
	ss_u64 covered_runs[SS_HOOK_MAX]; /* per hook: runs the kernel skipped for its primary
					 * program (nested in itself) that its cover program took
					 * instead (see bpf/cover.bpf.h) */
};

/* Who owns a listener (the `listener_owners` map's value): filled in the
 * kernel at listen() and by the loader from the start-up snapshot. The port
 * is kept because an autobound listener's port is already 0 when it closes. */
struct synshadow_listener_owner {
	ss_u32 tgid;
	ss_u32 netns;
	char comm[16];
	ss_u16 port;
	ss_u8 wanted;		/* passes the owner filters (pid, comm, cgroup) */
	ss_u8 reserved;
	ss_u32 accepts_in_flight; /* threads between accept()'s entry and exit hooks */
};

/* Which filters a session applies beyond port and netns (bits of
 * synshadow_config.filters). The owner filters are decided once per listener,
 * when it starts listening (in the owner's own process context), and kept in
 * the listener_owners map; the others are checked per flow. */
enum synshadow_filter {
	SS_FILTER_FAMILY = 1 << 0,	/* flows of this address family only */
	SS_FILTER_LOCAL_ADDR = 1 << 1,	/* flows to this local address only */
	SS_FILTER_PID = 1 << 2,		/* listeners owned by this process */
	SS_FILTER_COMM = 1 << 3,	/* listeners owned by a process of this name */
	SS_FILTER_CGROUP = 1 << 4,	/* listeners opened in this cgroup or below it */
};

#define SS_FILTER_OWNER (SS_FILTER_PID | SS_FILTER_COMM | SS_FILTER_CGROUP)

/* Defaults, defined here only (Swift imports them). */
#define SS_DEFAULT_RING_BYTES 16777216	/* 16 MiB: the `events` ring buffer (a power of two) */
#define SS_DEFAULT_WAKEUP_BYTES 1048576	/* 1 MiB pending forces a consumer wake-up */

/*
 * A session's configuration: the one definition. Swift fills it (from the
 * command line and its tier table), the loader writes it whole into the BPF
 * object's `.rodata.config` section before load, and the probes read it as
 * `ss_config`. Zero means "all" or "none" unless a field says otherwise.
 */
struct synshadow_config {
	ss_u32 netns;			/* 0 = all network namespaces */
	ss_u16 port;			/* listener port, 0 = all */
	ss_u16 tier;			/* enum synshadow_tier being loaded */
	ss_u32 wakeup_bytes;		/* wake the consumer once this much is pending;
					 * 0 = SS_DEFAULT_WAKEUP_BYTES (the loader fills it in) */
	ss_u16 self_check_port;		/* start-up self-check listener: passes the filters */
	ss_u16 filters;			/* enum synshadow_filter */
	ss_u8 family;			/* SS_FILTER_FAMILY: AF_INET or AF_INET6 */
	ss_u8 cgroup_level;		/* SS_FILTER_CGROUP: depth below the cgroup v2 root */
	ss_u16 reserved;
	ss_u32 pid;			/* SS_FILTER_PID: the owner's tgid */
	ss_u64 cgroup_id;		/* SS_FILTER_CGROUP: the cgroup's id (its inode) */
	char comm[16];			/* SS_FILTER_COMM */
	ss_u8 local_addr[16];		/* SS_FILTER_LOCAL_ADDR: IPv4 in the first 4 bytes */
	ss_u32 self_check_netns;	/* the private namespace the self-check runs in */
	ss_u32 hooks;			/* 1 << enum synshadow_hook for each hook whose records
					 * this tier reports (Swift's tier table decides) */
	ss_u32 ring_bytes;		/* size of the `events` ring (a power of two);
					 * 0 = SS_DEFAULT_RING_BYTES (the loader leaves it) */
	ss_u32 accept_exit_stall_us;	/* fault injection for tests, 0 otherwise: accept()'s exit
					 * hook busy-waits this long before its record is stamped,
					 * as a preempted program would (the verifier drops the
					 * code when 0) */
};

/* Every SynShadow marks its self-check listener with this SO_PRIORITY (it
 * runs in a private network namespace of its own), so that other instances
 * tracing every namespace leave its traffic out instead of judging it. */
#define SS_SELF_CHECK_PRIORITY 0x53536863u

#endif /* SYNSHADOW_ABI_H */
