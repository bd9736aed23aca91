// SPDX-License-Identifier: GPL-2.0
/*
 * synshadow.bpf.c — the kernel half of SynShadow.
 *
 * Every probe here observes one step of the TCP passive open and turns it
 * into one struct synshadow_event (bpf/abi/include/synshadow_abi.h) in the
 * `events` ring buffer. Three attach tiers share the same handlers:
 *
 *   tracepoint: cgroup_skb ingress (SYN/ACK/RST reaching a listener),
 *               sock_ops callbacks (listen, request built, request hashed,
 *               child established), tracepoints (state changes, SYN-ACK
 *               retransmits, drops, accept() returning).
 *   kprobe / fentry: the function hooks on tcp_v{4,6}_conn_request,
 *               inet_csk_reqsk_queue_hash_add, tcp_check_req, cookie_v{4,6}_check and
 *               inet_csk_accept replace the cgroup_skb, TIMEOUT_INIT and
 *               accept-syscall roles; the rest is shared.
 *
 * The loader switches off the programs of the tiers not chosen. Records are
 * submitted without waking user space unless `wakeup_bytes` are pending, so
 * a busy server pays for neither a wake-up nor a context switch per event.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "synshadow_abi.h"
#include "core_fixes.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2
#define AF_INET6 10
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IPPROTO_TCP 6
#define SOCK_STREAM 1

#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_ACK 0x10

/* Written by the loader before load (see synshadow_loader.c). */
const volatile struct synshadow_config ss_config = {
	.tier = SS_TIER_TRACEPOINT,
	.wakeup_bytes = 1 << 20,
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct synshadow_counters);
} counters SEC(".maps");

/* Who owns each listener: filled at listen() (process context) and by the
 * loader's start-up snapshot, so softirq-time events name the server. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct synshadow_listener_owner);
} listener_owners SEC(".maps");

/* A flow between the SYN and its child: sock_ops sees a request sock only
 * through its 4-tuple, so the listener is found again by it. */
struct flow_key {
	__u64 netns_cookie;
	__u8 local_addr[16];
	__u8 remote_addr[16];
	__u16 local_port;
	__u16 remote_port;
	__u32 family;
};

struct flow_value {
	__u64 listener;
	__u32 netns;
	/* queued_children: the child's ports, so an entry left behind (in the
	 * function tiers accept() can return a child before its
	 * PASSIVE_ESTABLISHED callback re-inserts it) is never applied to a
	 * later socket that reuses the address. */
	__u16 local_port;
	__u16 remote_port;
};

/*
 * The last segment this CPU saw arrive at a listener (a SYN or a handshake
 * ACK) and the listener it reached. The steps it causes -- request built,
 * request hashed, child created -- run in the same softirq on the same CPU
 * before any other segment (listeners take SYNs without the socket lock;
 * a SYN-ACK over loopback is only queued), so one slot per CPU finds their
 * listener for a plain copy, where a flow table cost a hashed insert per
 * SYN. A child whose callback was deferred to its owner's release_sock()
 * misses the slot and goes out without a listener: user space knows the
 * flow by its 4-tuple.
 */
struct last_segment {
	struct flow_key key;
	__u64 listener;
	__u32 netns;
	__u32 pid;
	char comm[16];
	/* The tracepoint tier's last segment on this CPU, to recognise its
	 * second pass (SS_FLAG_SECOND_PASS, see same_segment_again). */
	__u64 numbers;
	__u64 lengths;
	__u64 armed;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct last_segment);
} last_segment SEC(".maps");

/* Children created but not yet accepted: their state changes are the
 * "reset/closed while queued" evidence, and accept() finds its listener. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 262144);
	__type(key, __u64);
	__type(value, struct flow_value);
} queued_children SEC(".maps");

/* The last flow this CPU's filters turned away. The steps after a SYN or
 * ACK (request built, child created) run in the same softirq on the same CPU
 * and find no flow-table entry: this tells "filtered" from "lost" for them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flow_key);
} filtered_flow SEC(".maps");

/* Threads inside accept() on a listener we know, by thread id. Between
 * accept()'s entry and exit hooks a thread may already have taken a child
 * off the queue that no record reports yet (it can be preempted there for
 * milliseconds on a busy machine): each queue reading says how many such
 * threads there were (`accepts_in_flight`), so user space brackets the
 * reading with a kernel fact instead of a guessed time window. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} accepting_threads SEC(".maps");

/* kprobe tier: entry arguments kept per thread for the return probe. */
struct entry_args {
	__u64 sk;
	__u64 skb;
	__u64 req;
	__u64 fastopen;
	__u64 req_stolen; /* tcp_check_req's `bool *req_stolen` */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct entry_args);
} entry_args_by_thread SEC(".maps");

/* Network namespaces where another SynShadow runs its start-up self-check
 * (its listener carries SS_SELF_CHECK_PRIORITY): their traffic is that
 * instance's own proof, not a server's, and is never traced. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u32);
} foreign_self_checks SEC(".maps");

/* The same namespaces by cookie: sock_ops sees a request sock's namespace
 * only as bpf_get_netns_cookie(). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);
	__type(value, __u32);
} foreign_self_check_cookies SEC(".maps");

/* How many entries foreign_self_checks holds: the common case (none) costs
 * one load per filter decision, not a map lookup. */
volatile __u32 ss_foreign_self_check_count;

/* Written by the loader while loaded (ss_loader_set_idle): every hook still
 * runs but returns at once. `synshadow bench` measures with it what the
 * kernel's dispatch of these hooks costs by itself, apart from SynShadow's
 * own work in them. */
volatile __u32 ss_idle;

#define RETURN_IF_IDLE(value)          \
	do {                           \
		if (ss_idle)           \
			return (value); \
	} while (0)

/* ---- counters and the ring buffer -------------------------------------- */

static __always_inline struct synshadow_counters *local_counters(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&counters, &zero);
}

static __always_inline void count_hook(__u8 hook)
{
	struct synshadow_counters *c = local_counters();

	if (c && hook < SS_HOOK_MAX)
		c->hook_hits[hook]++;
}

static __always_inline void count_filtered(void)
{
	struct synshadow_counters *c = local_counters();

	if (c)
		c->filtered++;
}

static __always_inline void count_correlation_miss(void)
{
	struct synshadow_counters *c = local_counters();

	if (c)
		c->correlation_misses++;
}

static __always_inline struct synshadow_event *event_reserve(__u8 kind, __u8 hook)
{
	struct synshadow_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		struct synshadow_counters *c = local_counters();

		if (c) {
			c->lost++;
			if (kind < SS_EVENT_KIND_MAX)
				c->lost_by_kind[kind]++;
			/* The hook ran: a full ring must not make it look silent
			 * (filters checked after the reservation are not known yet). */
			if (hook < SS_HOOK_MAX)
				c->hook_hits[hook]++;
		}
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->version = SYNSHADOW_ABI_VERSION;
	e->kind = kind;
	e->size = sizeof(*e);
	e->hook = hook;
	e->timestamp_ns = bpf_ktime_get_ns();
	e->cpu = bpf_get_smp_processor_id();
	/* No task helpers here: cgroup_skb and sock_ops programs may not call
	 * them before Linux 6.10. Tracing programs add the thread themselves. */
	return e;
}

/* For tracing programs (tracepoints, iterators, fentry, kprobes), which may
 * name the thread the hook ran on. */
static __always_inline struct synshadow_event *event_reserve_in_task(__u8 kind, __u8 hook)
{
	struct synshadow_event *e = event_reserve(kind, hook);

	if (e)
		e->tid = (__u32)bpf_get_current_pid_tgid();
	return e;
}

/* Counts the record and the hook that made it (one counters lookup). */
static __always_inline void event_submit(struct synshadow_event *e)
{
	struct synshadow_counters *c = local_counters();
	__u64 flags = BPF_RB_NO_WAKEUP;
	__u8 hook = e->hook;

	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= ss_config.wakeup_bytes) {
		flags = BPF_RB_FORCE_WAKEUP;
		if (c)
			c->wakeups++;
	}
	if (c) {
		c->events++;
		/* A mask, not a comparison: clang may reload the index from the
		 * stack after a check, and older verifiers then lose its bound. */
		_Static_assert((SS_HOOK_MAX & (SS_HOOK_MAX - 1)) == 0, "SS_HOOK_MAX is a power of two");
		c->hook_hits[hook & (SS_HOOK_MAX - 1)]++;
	}
	bpf_ringbuf_submit(e, flags);
}

/* ---- filters ----------------------------------------------------------- */

static __always_inline bool port_wanted(__u16 local_port)
{
	return ss_config.port == 0 || ss_config.port == local_port ||
	       (ss_config.self_check_port && ss_config.self_check_port == local_port);
}

static __always_inline bool netns_wanted(__u32 netns)
{
	return ss_config.netns == 0 || ss_config.netns == netns;
}

/* ---- reading socks ----------------------------------------------------- */

static __always_inline __u32 sock_netns(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

static __always_inline __u64 sock_netns_cookie(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, net_cookie);
}

static __always_inline void fill_queues(struct synshadow_event *e, const struct sock *listener)
{
	const struct inet_connection_sock *icsk = (const void *)listener;

	e->ack_backlog = BPF_CORE_READ(listener, sk_ack_backlog);
	e->max_ack_backlog = BPF_CORE_READ(listener, sk_max_ack_backlog);
	e->request_queue = BPF_CORE_READ(icsk, icsk_accept_queue.qlen.counter);
	e->request_young = BPF_CORE_READ(icsk, icsk_accept_queue.young.counter);
	e->flags |= SS_FLAG_QUEUES_VALID;
}

/* Name the listener's owner rather than the task that happened to run. */
static __always_inline struct synshadow_listener_owner *fill_owner(struct synshadow_event *e, __u64 listener)
{
	struct synshadow_listener_owner *owner = bpf_map_lookup_elem(&listener_owners, &listener);

	if (!owner)
		return NULL;
	e->pid = owner->tgid;
	__builtin_memcpy(e->comm, owner->comm, sizeof(e->comm));
	e->flags |= SS_FLAG_OWNER_KNOWN;
	return owner;
}

/* After the queue figures: an accept() entering later cannot have taken a
 * child the figures still count; one leaving earlier was counted out
 * together with its child (see accept_finished). */
static __always_inline void fill_accepts_in_flight(struct synshadow_event *e,
						   const struct synshadow_listener_owner *owner)
{
	if (owner)
		e->accepts_in_flight = owner->accepts_in_flight;
}

static __always_inline void read_accepts_in_flight(struct synshadow_event *e, __u64 listener)
{
	fill_accepts_in_flight(e, bpf_map_lookup_elem(&listener_owners, &listener));
}

/* A thread entered accept() on `listener`. */
static __always_inline void accept_started(__u64 listener)
{
	struct synshadow_listener_owner *owner = bpf_map_lookup_elem(&listener_owners, &listener);
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (!owner)
		return;
	__sync_fetch_and_add(&owner->accepts_in_flight, 1);
	bpf_map_update_elem(&accepting_threads, &tid, &listener, BPF_ANY);
}

/* The thread's accept() returned. */
static __always_inline void accept_finished(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *entry = bpf_map_lookup_elem(&accepting_threads, &tid);
	struct synshadow_listener_owner *owner;
	__u64 listener;

	if (!entry)
		return;
	listener = *entry;
	bpf_map_delete_elem(&accepting_threads, &tid);
	owner = bpf_map_lookup_elem(&listener_owners, &listener);
	if (owner)
		__sync_fetch_and_add(&owner->accepts_in_flight, -1);
}

static __always_inline bool is_v4_mapped(const __u8 *a)
{
	return *(const __u64 *)a == 0 && *(const __u32 *)(a + 8) == bpf_htonl(0x0000ffff);
}

/* A v4 client of a dual-stack listener is an AF_INET flow everywhere. */
static __always_inline void normalize_family(struct synshadow_event *e)
{
	if (e->family == AF_INET6 && is_v4_mapped(e->local_addr) && is_v4_mapped(e->remote_addr)) {
		__builtin_memcpy(e->local_addr, e->local_addr + 12, 4);
		__builtin_memcpy(e->remote_addr, e->remote_addr + 12, 4);
		__builtin_memset(e->local_addr + 4, 0, 12);
		__builtin_memset(e->remote_addr + 4, 0, 12);
		e->family = AF_INET;
	}
}

/* 4-tuple of a sock_common (request sock, child or listener). */
static __always_inline void fill_tuple_from_sock(struct synshadow_event *e, const struct sock_common *skc)
{
	e->family = BPF_CORE_READ(skc, skc_family);
	e->local_port = BPF_CORE_READ(skc, skc_num);
	e->remote_port = bpf_ntohs(BPF_CORE_READ(skc, skc_dport));
	/* bpf_core_read with explicit sizes: BPF_CORE_READ_INTO on an array
	 * would copy only sizeof(element). */
	if (e->family == AF_INET) {
		bpf_core_read(e->local_addr, 4, &skc->skc_rcv_saddr);
		bpf_core_read(e->remote_addr, 4, &skc->skc_daddr);
	} else {
		bpf_core_read(e->local_addr, 16, &skc->skc_v6_rcv_saddr);
		bpf_core_read(e->remote_addr, 16, &skc->skc_v6_daddr);
		normalize_family(e);
	}
}

/* 4-tuple and TCP flags of an inbound segment, from its kernel skb. */
static __always_inline bool fill_tuple_from_skb(struct synshadow_event *e, const struct sk_buff *skb)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 network = BPF_CORE_READ(skb, network_header);
	__u16 transport = BPF_CORE_READ(skb, transport_header);
	__u16 protocol = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	struct tcphdr th;

	if (protocol == ETH_P_IP) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + network))
			return false;
		if (ip.protocol != IPPROTO_TCP)
			return false;
		e->family = AF_INET;
		__builtin_memcpy(e->local_addr, &ip.daddr, 4);
		__builtin_memcpy(e->remote_addr, &ip.saddr, 4);
	} else if (protocol == ETH_P_IPV6) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + network))
			return false;
		if (ip6.nexthdr != IPPROTO_TCP)
			return false;
		e->family = AF_INET6;
		__builtin_memcpy(e->local_addr, &ip6.daddr, 16);
		__builtin_memcpy(e->remote_addr, &ip6.saddr, 16);
	} else {
		return false;
	}
	if (bpf_probe_read_kernel(&th, sizeof(th), head + transport))
		return false;
	e->local_port = bpf_ntohs(th.dest);
	e->remote_port = bpf_ntohs(th.source);
	e->tcp_flags = ((__u8 *)&th)[13];
	normalize_family(e);
	return true;
}

static __always_inline void flow_key_from_event(struct flow_key *key, const struct synshadow_event *e, __u64 cookie)
{
	__builtin_memset(key, 0, sizeof(*key));
	key->netns_cookie = cookie;
	__builtin_memcpy(key->local_addr, e->local_addr, 16);
	__builtin_memcpy(key->remote_addr, e->remote_addr, 16);
	key->local_port = e->local_port;
	key->remote_port = e->remote_port;
	key->family = e->family;
}

static __always_inline bool flow_keys_equal(const struct flow_key *a, const struct flow_key *b)
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

#pragma unroll
	for (int i = 0; i < sizeof(*a) / 8; i++)
		if (x[i] != y[i])
			return false;
	return true;
}

/* A SYN or handshake ACK for a wanted listener: its later steps on this CPU
 * find the listener and its owner here (see struct last_segment). */
static __always_inline void remember_segment(const struct synshadow_event *e, __u64 cookie)
{
	__u32 zero = 0;
	struct last_segment *slot = bpf_map_lookup_elem(&last_segment, &zero);

	if (!slot)
		return;
	flow_key_from_event(&slot->key, e, cookie);
	slot->listener = e->listener;
	slot->netns = e->netns;
	slot->pid = e->flags & SS_FLAG_OWNER_KNOWN ? e->pid : 0;
	__builtin_memcpy(slot->comm, e->comm, sizeof(slot->comm));
}

/* Events about a listener: identity, netns, owner and queue figures. */
static __always_inline void fill_listener(struct synshadow_event *e, const struct sock *listener)
{
	struct synshadow_listener_owner *owner;

	e->listener = (__u64)listener;
	e->netns = sock_netns(listener);
	owner = fill_owner(e, e->listener);
	fill_queues(e, listener);
	fill_accepts_in_flight(e, owner);
}

/* Filters apply in the kernel, so unwanted traffic never costs a record.
 * The self-check listener passes them so the start-up proof works whatever
 * the user filters on. */
static __always_inline bool flow_wanted(__u16 local_port, __u32 netns)
{
	if (ss_config.self_check_port && ss_config.self_check_port == local_port &&
	    (!ss_config.self_check_netns || ss_config.self_check_netns == netns))
		return true;
	if (ss_foreign_self_check_count && bpf_map_lookup_elem(&foreign_self_checks, &netns))
		return false;
	return port_wanted(local_port) && netns_wanted(netns);
}

/* A listener marked as some SynShadow's self-check, in a namespace other
 * than our own self-check's: remember its namespace, to leave it out. */
static __always_inline bool note_foreign_self_check(const struct sock *sk, __u32 netns)
{
	__u32 one = 1;

	__u64 cookie;

	if (BPF_CORE_READ(sk, sk_priority) != SS_SELF_CHECK_PRIORITY || netns == ss_config.self_check_netns)
		return false;
	cookie = sock_netns_cookie(sk);
	bpf_map_update_elem(&foreign_self_check_cookies, &cookie, &one, BPF_ANY);
	if (!bpf_map_update_elem(&foreign_self_checks, &netns, &one, BPF_NOEXIST))
		__sync_fetch_and_add(&ss_foreign_self_check_count, 1);
	return true;
}

static __always_inline void forget_foreign_self_check(const struct sock *sk, __u32 netns)
{
	__u64 cookie = sock_netns_cookie(sk);

	if (!ss_foreign_self_check_count)
		return;
	bpf_map_delete_elem(&foreign_self_check_cookies, &cookie);
	if (!bpf_map_delete_elem(&foreign_self_checks, &netns))
		__sync_fetch_and_add(&ss_foreign_self_check_count, -1);
}

/* A request step (sock_ops, namespace known only by cookie) of another
 * SynShadow's self-check. */
static __always_inline bool in_foreign_self_check(__u64 cookie)
{
	return ss_foreign_self_check_count && bpf_map_lookup_elem(&foreign_self_check_cookies, &cookie);
}

/*
 * The same as fill_listener for a BTF-typed pointer (bpf_skc_to_tcp_sock):
 * plain loads the verifier turns into cheap guarded reads, instead of one
 * bpf_probe_read_kernel() call per field. This runs for every SYN and ACK.
 */
static __always_inline void fill_listener_btf(struct synshadow_event *e, struct tcp_sock *tp)
{
	struct sock *sk = &tp->inet_conn.icsk_inet.sk;
	struct synshadow_listener_owner *owner;

	e->listener = (__u64)tp;
	e->netns = sk->__sk_common.skc_net.net->ns.inum;
	owner = fill_owner(e, e->listener);
	e->ack_backlog = sk->sk_ack_backlog;
	e->max_ack_backlog = sk->sk_max_ack_backlog;
	e->request_queue = tp->inet_conn.icsk_accept_queue.qlen.counter;
	e->request_young = tp->inet_conn.icsk_accept_queue.young.counter;
	e->flags |= SS_FLAG_QUEUES_VALID;
	fill_accepts_in_flight(e, owner);
}

static __always_inline bool is_self_check(__u16 local_port)
{
	return ss_config.self_check_port && ss_config.self_check_port == local_port;
}

/* Owner filters for the current task: the one calling listen(), or accept()
 * on a listener that started before tracing. */
static __always_inline bool current_task_wanted(void)
{
	char comm[16];

	if (!(ss_config.filters & SS_FILTER_OWNER))
		return true;
	if ((ss_config.filters & SS_FILTER_PID) && (bpf_get_current_pid_tgid() >> 32) != ss_config.pid)
		return false;
	if (ss_config.filters & SS_FILTER_COMM) {
		bpf_get_current_comm(comm, sizeof(comm));
#pragma unroll
		for (int i = 0; i < 16; i++) {
			if (comm[i] != ss_config.comm[i])
				return false;
			if (!comm[i])
				break;
		}
	}
	if ((ss_config.filters & SS_FILTER_CGROUP) &&
	    bpf_get_current_ancestor_cgroup_id(ss_config.cgroup_level) != ss_config.cgroup_id)
		return false;
	return true;
}

/* Owner filters for a listener: decided at listen() and kept with its owner
 * (or written by the loader for listeners found by the snapshot). */
static __always_inline bool listener_owner_wanted(__u64 listener, __u16 local_port)
{
	struct synshadow_listener_owner *owner;

	if (!(ss_config.filters & SS_FILTER_OWNER) || is_self_check(local_port))
		return true;
	owner = bpf_map_lookup_elem(&listener_owners, &listener);
	return owner && owner->wanted;
}

/* Every per-listener filter: port, netns and owner. */
static __always_inline bool listener_wanted(const struct sock *listener)
{
	__u16 port = BPF_CORE_READ(listener, __sk_common.skc_num);

	return flow_wanted(port, sock_netns(listener)) && listener_owner_wanted((__u64)listener, port);
}

static __always_inline bool local_addr_matches(const struct synshadow_event *e)
{
	if (e->family == AF_INET)
		return *(const __u32 *)e->local_addr == *(const volatile __u32 *)ss_config.local_addr;
	return *(const __u64 *)e->local_addr == *(const volatile __u64 *)ss_config.local_addr &&
	       *(const __u64 *)(e->local_addr + 8) == *(const volatile __u64 *)(ss_config.local_addr + 8);
}

/* Family and local-address filters for a flow (after normalize_family: a v4
 * client of a dual-stack listener is an IPv4 flow). */
static __always_inline bool flow_address_wanted(const struct synshadow_event *e)
{
	if (!(ss_config.filters & (SS_FILTER_FAMILY | SS_FILTER_LOCAL_ADDR)) || is_self_check(e->local_port))
		return true;
	if ((ss_config.filters & SS_FILTER_FAMILY) && e->family != ss_config.family)
		return false;
	return !(ss_config.filters & SS_FILTER_LOCAL_ADDR) || local_addr_matches(e);
}

/* The same for a listener's own events: a wildcard listener can carry any
 * local address, and an IPv6 one IPv4 clients too (dual stack). */
static __always_inline bool listener_address_wanted(const struct synshadow_event *e)
{
	const __u64 *addr = (const __u64 *)e->local_addr;

	if (!(ss_config.filters & (SS_FILTER_FAMILY | SS_FILTER_LOCAL_ADDR)) || is_self_check(e->local_port))
		return true;
	if ((ss_config.filters & SS_FILTER_FAMILY) && e->family != ss_config.family &&
	    !(e->family == AF_INET6 && ss_config.family == AF_INET))
		return false;
	if (!(ss_config.filters & SS_FILTER_LOCAL_ADDR) || (addr[0] == 0 && addr[1] == 0))
		return true;
	return local_addr_matches(e);
}

static __always_inline void note_filtered_flow(const struct synshadow_event *e, __u64 cookie)
{
	__u32 zero = 0;
	struct flow_key *slot = bpf_map_lookup_elem(&filtered_flow, &zero);

	if (slot)
		flow_key_from_event(slot, e, cookie);
}

static __always_inline bool flow_was_filtered(const struct synshadow_event *e, __u64 cookie)
{
	__u32 zero = 0;
	struct flow_key key;
	const struct flow_key *slot = bpf_map_lookup_elem(&filtered_flow, &zero);

	if (!slot)
		return false;
	flow_key_from_event(&key, e, cookie);
	return flow_keys_equal(slot, &key);
}

/* ---- tracepoint tier: cgroup_skb ingress -------------------------------- */

/*
 * When tcp_check_req hands a segment back to the listener (a wrong ACK
 * number, say), tcp_v{4,6}_rcv runs the listener's filter — and so this
 * program — a second time for the same skb, at once, on the same CPU, with
 * nothing in between. The model must not take that for the flow's next
 * segment. Remembers this segment's signature on this CPU and says whether
 * it is the previous one again: the same sequence and acknowledgment
 * numbers, TCP checksum, IP length and ID (IPv4) and skb length, with no
 * drop in between (a resent copy of a dropped segment follows its drop,
 * see ss_kfree_skb), and not already matched (the kernel passes a segment
 * twice at most). `l4` is a constant at each call (20 or 40).
 */
static __always_inline bool same_segment_again(struct __sk_buff *skb, const __u8 *header, __u32 l4)
{
	__u32 zero = 0;
	struct last_segment *slot = bpf_map_lookup_elem(&last_segment, &zero);
	__u64 numbers, lengths;
	bool again;

	if (!slot)
		return false;
	numbers = (__u64)*(const __u32 *)(header + l4 + 4) << 32 | *(const __u32 *)(header + l4 + 8);
	lengths = (__u64)*(const __u16 *)(header + l4 + 16) |
		  (__u64)*(const __u16 *)(header + (l4 == 20 ? 2 : 4)) << 16 |
		  (__u64)(l4 == 20 ? *(const __u16 *)(header + 4) : 0) << 32 |
		  (__u64)(skb->len & 0xffff) << 48;
	again = slot->armed && slot->numbers == numbers && slot->lengths == lengths;
	slot->numbers = numbers;
	slot->lengths = lengths;
	slot->armed = !again;
	return again;
}

/* A drop ends the chance of a second pass (see same_segment_again). */
static __always_inline void disarm_second_pass(void)
{
	__u32 zero = 0;
	struct last_segment *slot = bpf_map_lookup_elem(&last_segment, &zero);

	if (slot)
		slot->armed = 0;
}

SEC("cgroup_skb/ingress")
int ss_cgroup_skb_ingress(struct __sk_buff *skb)
{
	RETURN_IF_IDLE(1);
	struct bpf_sock *bsk = skb->sk;
	struct tcp_sock *tp;
	struct synshadow_event *e;
	struct sock *sk;
	__u8 header[60] __attribute__((aligned(8)));
	__u32 l4;
	__u8 kind;
	__u8 tcp_flags;
	bool second_pass;

	if (!bsk || bsk->state != BPF_TCP_LISTEN)
		return 1;
	tp = bpf_skc_to_tcp_sock(bsk);
	if (!tp)
		return 1;
	sk = &tp->inet_conn.icsk_inet.sk;
	if (!flow_wanted(sk->__sk_common.skc_num, sk->__sk_common.skc_net.net->ns.inum)) {
		count_filtered();
		return 1;
	}
	/* One load for the IP and TCP headers (no IPv4 options, no IPv6
	 * extension headers before TCP: a handshake carries neither). */
	if (bpf_skb_load_bytes(skb, 0, header, 40))
		return 1;
	if (header[0] == 0x45) {
		l4 = 20;
	} else if ((header[0] >> 4) == 6 && header[6] == IPPROTO_TCP) {
		if (bpf_skb_load_bytes(skb, 0, header, 60))
			return 1;
		l4 = 40;
	} else {
		return 1;
	}
	tcp_flags = header[l4 + 13];
	second_pass = l4 == 20 ? same_segment_again(skb, header, 20) : same_segment_again(skb, header, 40);
	if (tcp_flags & TCPF_RST)
		kind = SS_EVENT_RST;
	else if ((tcp_flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN)
		kind = SS_EVENT_SYN;
	else if ((tcp_flags & (TCPF_SYN | TCPF_ACK)) == TCPF_ACK)
		kind = SS_EVENT_ACK;
	else
		return 1;

	e = event_reserve(kind, SS_HOOK_CGROUP_SKB_INGRESS);
	if (!e)
		return 1;
	if (l4 == 20) {
		e->family = AF_INET;
		__builtin_memcpy(e->remote_addr, header + 12, 4);
		__builtin_memcpy(e->local_addr, header + 16, 4);
	} else {
		e->family = AF_INET6;
		__builtin_memcpy(e->remote_addr, header + 8, 16);
		__builtin_memcpy(e->local_addr, header + 24, 16);
	}
	e->remote_port = ((__u16)header[l4] << 8) | header[l4 + 1];
	e->local_port = ((__u16)header[l4 + 2] << 8) | header[l4 + 3];
	e->tcp_flags = tcp_flags;
	if (second_pass)
		e->flags |= SS_FLAG_SECOND_PASS;
	if (!flow_address_wanted(e) || !listener_owner_wanted((__u64)tp, e->local_port)) {
		note_filtered_flow(e, sk->__sk_common.skc_net.net->net_cookie);
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		count_filtered();
		return 1;
	}
	fill_listener_btf(e, tp);
	if (kind != SS_EVENT_RST)
		remember_segment(e, sk->__sk_common.skc_net.net->net_cookie);
	event_submit(e);
	return 1;
}

/* ---- sock_ops: listen, request built/hashed, child established ---------- */

static __always_inline void fill_tuple_from_sock_ops(struct synshadow_event *e, struct bpf_sock_ops *ops)
{
	e->family = ops->family;
	e->local_port = ops->local_port;
	e->remote_port = bpf_ntohl(ops->remote_port);
	if (e->family == AF_INET) {
		__u32 local = ops->local_ip4, remote = ops->remote_ip4;

		__builtin_memcpy(e->local_addr, &local, 4);
		__builtin_memcpy(e->remote_addr, &remote, 4);
	} else {
		__u32 local[4], remote[4];

		local[0] = ops->local_ip6[0];
		local[1] = ops->local_ip6[1];
		local[2] = ops->local_ip6[2];
		local[3] = ops->local_ip6[3];
		remote[0] = ops->remote_ip6[0];
		remote[1] = ops->remote_ip6[1];
		remote[2] = ops->remote_ip6[2];
		remote[3] = ops->remote_ip6[3];
		__builtin_memcpy(e->local_addr, local, 16);
		__builtin_memcpy(e->remote_addr, remote, 16);
		normalize_family(e);
	}
}

/* Finds the listener a request or child belongs to, and its owner, from
 * the segment that caused it on this CPU. */
static __always_inline bool recall_segment(struct synshadow_event *e, __u64 cookie)
{
	__u32 zero = 0;
	struct flow_key key;
	const struct last_segment *slot = bpf_map_lookup_elem(&last_segment, &zero);

	if (!slot)
		return false;
	flow_key_from_event(&key, e, cookie);
	if (!flow_keys_equal(&slot->key, &key))
		return false;
	e->listener = slot->listener;
	e->netns = slot->netns;
	if (slot->pid) {
		e->pid = slot->pid;
		__builtin_memcpy(e->comm, slot->comm, sizeof(e->comm));
		e->flags |= SS_FLAG_OWNER_KNOWN;
	}
	return true;
}

static __always_inline void on_listen(struct bpf_sock_ops *ops)
{
	struct bpf_sock *bsk = ops->sk;
	struct tcp_sock *tp;
	struct synshadow_event *e;

	if (!bsk)
		return;
	tp = bpf_skc_to_tcp_sock(bsk);
	if (!tp)
		return;
	/* The owner was recorded by the CLOSE -> LISTEN tracepoint just before;
	 * the port is only certain now (listen() may have autobound it). */
	{
		__u64 key = (__u64)tp;
		struct synshadow_listener_owner *owner = bpf_map_lookup_elem(&listener_owners, &key);

		if (owner)
			owner->port = tp->inet_conn.icsk_inet.sk.__sk_common.skc_num;
	}
	if (!listener_wanted((struct sock *)tp)) {
		count_filtered();
		return;
	}
	e = event_reserve(SS_EVENT_LISTEN_START, SS_HOOK_SOCKOPS_LISTEN);
	if (!e)
		return;
	fill_tuple_from_sock(e, (struct sock_common *)tp);
	if (!listener_address_wanted(e)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		count_filtered();
		return;
	}
	fill_listener(e, (struct sock *)tp);
	e->new_state = BPF_TCP_LISTEN;
	event_submit(e);
}

static __always_inline void on_request_step(struct bpf_sock_ops *ops, __u8 kind, __u8 hook)
{
	struct synshadow_event *e;
	__u64 cookie;

	/* Active opens run these callbacks on full socks: not ours. */
	if (ops->is_fullsock || !port_wanted(ops->local_port))
		return;
	e = event_reserve(kind, hook);
	if (!e)
		return;
	fill_tuple_from_sock_ops(e, ops);
	cookie = bpf_get_netns_cookie(ops);
	if (!flow_address_wanted(e)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		count_filtered();
		return;
	}
	if (!recall_segment(e, cookie)) {
		/* No SYN recorded for it, though both ran in this softirq: it
		 * was filtered out, or its record was lost to a full ring. */
		if (ss_config.netns || flow_was_filtered(e, cookie) || in_foreign_self_check(cookie))
			count_filtered();
		else
			count_correlation_miss();
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return;
	}
	/* Queue figures are the SYN's, read microseconds earlier in this same
	 * softirq: not read again (4 probe reads per request step). */
	event_submit(e);
}

static __always_inline void on_passive_established(struct bpf_sock_ops *ops)
{
	struct bpf_sock *bsk = ops->sk;
	struct synshadow_event *e;
	struct flow_value child_value;
	__u64 child_key;
	__u64 cookie;

	struct tcp_sock *tp;

	if (!bsk || !port_wanted(ops->local_port))
		return;
	tp = bpf_skc_to_tcp_sock(bsk);
	if (!tp)
		return;
	if (!flow_wanted(ops->local_port, sock_netns((struct sock *)tp))) {
		count_filtered();
		return;
	}
	e = event_reserve(SS_EVENT_CHILD_CREATED, SS_HOOK_SOCKOPS_PASSIVE_ESTABLISHED);
	if (!e)
		return;
	fill_tuple_from_sock_ops(e, ops);
	e->child = (__u64)tp;
	cookie = bpf_get_netns_cookie(ops);
	if (!flow_address_wanted(e)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		count_filtered();
		return;
	}
	if (recall_segment(e, cookie)) {
		fill_queues(e, (struct sock *)e->listener);
		read_accepts_in_flight(e, e->listener);
	} else if ((ss_config.filters & SS_FILTER_OWNER) && flow_was_filtered(e, cookie)) {
		/* Its ACK was turned away by the owner filters an instant ago. */
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		count_filtered();
		return;
	} else {
		/* A handshake already under way when tracing began: user space
		 * finds the listener from the snapshot, by the 4-tuple. */
		e->netns = sock_netns((struct sock *)tp);
	}
	/* ESTABLISHED, but a Fast Open child stays SYN_RECV until the client's
	 * ACK: its callback runs before the kernel queues it. */
	e->new_state = tp->inet_conn.icsk_inet.sk.__sk_common.skc_state;
	child_value.listener = e->listener;
	child_value.netns = e->netns;
	child_value.local_port = e->local_port;
	child_value.remote_port = e->remote_port;
	/* Keys on the stack: ring-buffer memory is not a valid key before 6.2. */
	child_key = e->child;
	if (child_key)
		bpf_map_update_elem(&queued_children, &child_key, &child_value, BPF_ANY);
	event_submit(e);
}

SEC("sockops")
int ss_sock_ops(struct bpf_sock_ops *ops)
{
	RETURN_IF_IDLE(1);
	switch (ops->op) {
	case BPF_SOCK_OPS_TCP_LISTEN_CB:
		on_listen(ops);
		break;
	case BPF_SOCK_OPS_RWND_INIT:
		on_request_step(ops, SS_EVENT_REQUEST_CREATED, SS_HOOK_SOCKOPS_RWND_INIT);
		break;
	case BPF_SOCK_OPS_TIMEOUT_INIT:
		/* The function tiers see the hash insertion itself. */
		if (ss_config.tier == SS_TIER_TRACEPOINT)
			on_request_step(ops, SS_EVENT_REQUEST_QUEUED, SS_HOOK_SOCKOPS_TIMEOUT_INIT);
		break;
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		on_passive_established(ops);
		break;
	}
	/* Never touch ops->reply: other programs and the kernel defaults rule. */
	return 1;
}

/* ---- tracepoints shared by every tier ----------------------------------- */

/*
 * A TCP sock changed state: a listener opened or closed, or a child still in
 * an accept queue moved on. Runs for every TCP state change on the machine.
 * The ports are the tracepoint's (host order) when it gave them, or read
 * here, on the rare path that needs them, when ports_known is false.
 */
static __always_inline int on_set_state(__u64 sk, int oldstate, int newstate, bool ports_known, __u16 sport,
					__u16 dport)
{
	struct synshadow_event *e;
	struct flow_value *queued;

	if (newstate == BPF_TCP_LISTEN) {
		/* listen() runs in the owner's process context (sock_ops may not
		 * ask for the current task before 6.10): remember the owner. */
		struct synshadow_listener_owner owner = {};

		owner.tgid = bpf_get_current_pid_tgid() >> 32;
		owner.netns = sock_netns((struct sock *)sk);
		bpf_get_current_comm(owner.comm, sizeof(owner.comm));
		owner.wanted = current_task_wanted() && !note_foreign_self_check((struct sock *)sk, owner.netns);
		bpf_map_update_elem(&listener_owners, &sk, &owner, BPF_ANY);
		return 0;
	}
	if (oldstate == BPF_TCP_LISTEN && newstate == BPF_TCP_CLOSE) {
		/* tcp_set_state() has already released an autobound port (it is
		 * 0 now): the port listen() recorded stands in for it. */
		struct synshadow_listener_owner *owner = bpf_map_lookup_elem(&listener_owners, &sk);
		__u16 port = BPF_CORE_READ((struct sock *)sk, __sk_common.skc_num);

		if (!port && owner)
			port = owner->port;
		if (BPF_CORE_READ((struct sock *)sk, sk_priority) == SS_SELF_CHECK_PRIORITY)
			forget_foreign_self_check((struct sock *)sk, sock_netns((struct sock *)sk));
		if (!flow_wanted(port, sock_netns((struct sock *)sk)) || !listener_owner_wanted(sk, port)) {
			bpf_map_delete_elem(&listener_owners, &sk);
			return 0;
		}
		e = event_reserve_in_task(SS_EVENT_LISTEN_STOP, SS_HOOK_TP_INET_SOCK_SET_STATE);
		if (e) {
			fill_tuple_from_sock(e, (struct sock_common *)sk);
			e->local_port = port;
			if (!listener_address_wanted(e)) {
				bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
				bpf_map_delete_elem(&listener_owners, &sk);
				return 0;
			}
			fill_listener(e, (struct sock *)sk);
			e->old_state = oldstate;
			e->new_state = newstate;
			event_submit(e);
		}
		bpf_map_delete_elem(&listener_owners, &sk);
		return 0;
	}
	/* A child still in an accept queue is SYN_RECV, ESTABLISHED or
	 * CLOSE_WAIT: other transitions skip the table lookup. */
	if (oldstate != BPF_TCP_ESTABLISHED && oldstate != BPF_TCP_SYN_RECV && oldstate != BPF_TCP_CLOSE_WAIT)
		return 0;
	queued = bpf_map_lookup_elem(&queued_children, &sk);
	if (!queued)
		return 0;
	/* accept() may take a child from the queue on another CPU before
	 * PASSIVE_ESTABLISHED, on this one, has put it in queued_children (the
	 * child is queued first): accept's exit then had nothing to forget.
	 * A child the application holds is grafted to a socket; a queued one
	 * never is. */
	if (BPF_CORE_READ((struct sock *)sk, sk_socket)) {
		bpf_map_delete_elem(&queued_children, &sk);
		return 0;
	}
	if (!ports_known) {
		sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
		dport = bpf_ntohs(BPF_CORE_READ((struct sock *)sk, __sk_common.skc_dport));
	}
	/* The local port may read 0 on the way to CLOSE (already released). */
	if (queued->remote_port != dport || (sport && queued->local_port != sport)) {
		bpf_map_delete_elem(&queued_children, &sk);
		return 0;
	}
	/* SYN_RECV -> ESTABLISHED follows the PASSIVE_ESTABLISHED callback of
	 * every child: already reported, not worth a record per connection. */
	if (oldstate == BPF_TCP_SYN_RECV && newstate == BPF_TCP_ESTABLISHED) {
		count_hook(SS_HOOK_TP_INET_SOCK_SET_STATE);
		return 0;
	}
	e = event_reserve_in_task(SS_EVENT_CHILD_STATE, SS_HOOK_TP_INET_SOCK_SET_STATE);
	if (!e)
		return 0;
	fill_tuple_from_sock(e, (struct sock_common *)sk);
	e->child = sk;
	e->listener = queued->listener;
	e->netns = queued->netns;
	fill_owner(e, e->listener);
	e->old_state = oldstate;
	e->new_state = newstate;
	if (newstate == BPF_TCP_CLOSE)
		bpf_map_delete_elem(&queued_children, &sk);
	event_submit(e);
	return 0;
}

/* BTF raw tracepoint: no trace record is built before the program runs,
 * and the sock is typed (the cheaper hook; the loader prefers it). */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(ss_btf_inet_sock_set_state, const struct sock *sk, int oldstate, int newstate)
{
	RETURN_IF_IDLE(0);
	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	return on_set_state((__u64)sk, oldstate, newstate, false, 0, 0);
}

/* The classic tracepoint, for kernels without tp_btf. */
SEC("tracepoint/sock/inet_sock_set_state")
int ss_inet_sock_set_state(struct trace_event_raw_inet_sock_set_state *args)
{
	RETURN_IF_IDLE(0);
	if (args->protocol != IPPROTO_TCP)
		return 0;
	return on_set_state((__u64)args->skaddr, args->oldstate, args->newstate, true, args->sport, args->dport);
}

SEC("tracepoint/tcp/tcp_retransmit_synack")
int ss_retransmit_synack(struct trace_event_raw_tcp_retransmit_synack *args)
{
	RETURN_IF_IDLE(0);
	const struct sock *listener = args->skaddr;
	const struct request_sock *req = args->req;
	struct synshadow_event *e;

	if (!listener_wanted(listener))
		return 0;
	e = event_reserve_in_task(SS_EVENT_SYNACK_RETRANSMIT, SS_HOOK_TP_RETRANSMIT_SYNACK);
	if (!e)
		return 0;
	fill_tuple_from_sock(e, &req->__req_common);
	if (!flow_address_wanted(e)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return 0;
	}
	fill_listener(e, listener);
	e->request = (__u64)req;
	e->detail = BPF_CORE_READ(req, num_retrans);
	event_submit(e);
	return 0;
}

/* Packets freed with a reason, when they were for a listener or a request. */
SEC("tracepoint/skb/kfree_skb")
int ss_kfree_skb(void *args)
{
	RETURN_IF_IDLE(0);
	struct trace_event_raw_kfree_skb___flexible *raw = args;
	const struct sk_buff *skb;
	const struct sock *sk;
	const struct sock *listener;
	struct synshadow_event *e;
	__u16 protocol = BPF_CORE_READ(raw, protocol);
	__u8 state;

	if (protocol != ETH_P_IP && protocol != ETH_P_IPV6)
		return 0;
	disarm_second_pass();
	skb = BPF_CORE_READ(raw, skbaddr);
	sk = kfree_skb_rx_sk(args);
	if (!sk)
		sk = BPF_CORE_READ(skb, sk);
	if (!sk)
		return 0;
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (state == BPF_TCP_LISTEN)
		listener = sk;
	else if (state == BPF_TCP_NEW_SYN_RECV)
		listener = BPF_CORE_READ((struct request_sock *)sk, __req_common.skc_listener);
	else
		return 0;
	if (!listener || !listener_wanted(listener))
		return 0;
	e = event_reserve_in_task(SS_EVENT_DROP, SS_HOOK_TP_KFREE_SKB);
	if (!e)
		return 0;
	if (!fill_tuple_from_skb(e, skb) || !flow_address_wanted(e)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return 0;
	}
	if (state == BPF_TCP_NEW_SYN_RECV)
		e->request = (__u64)sk;
	fill_listener(e, listener);
	e->detail = kfree_skb_reason(args);
	event_submit(e);
	return 0;
}

/* accept() returned fd: follow task->files to the child sock. Runs for every
 * accept() on the machine, so the common case (a child we saw queued) reads
 * as little as possible; only a child unknown to queued_children (queued
 * before tracing began, or not TCP at all) pays for the full checks. */
static __always_inline int on_accept_exit(struct trace_event_raw_sys_exit *args)
{
	long fd = args->ret;
	struct task_struct *task;
	struct file **fds;
	struct file *file = NULL;
	struct socket *sock;
	const struct sock *child;
	struct flow_value *queued;
	struct synshadow_event *e;
	__u64 child_key;
	__u64 listener = 0;
	__u32 netns;

	if (fd < 0)
		return 0;
	task = bpf_get_current_task_btf();
	fds = task->files->fdt->fd;
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return 0;
	sock = BPF_CORE_READ(file, private_data);
	if (!sock)
		return 0;
	child = BPF_CORE_READ(sock, sk);
	if (!child)
		return 0;
	child_key = (__u64)child;
	queued = bpf_map_lookup_elem(&queued_children, &child_key);
	if (queued) {
		netns = queued->netns;
	} else {
		__u16 family;

		if (BPF_CORE_READ(sock, type) != SOCK_STREAM || BPF_CORE_READ(child, sk_protocol) != IPPROTO_TCP)
			return 0;
		family = BPF_CORE_READ(child, __sk_common.skc_family);
		if (family != AF_INET && family != AF_INET6)
			return 0;
		netns = sock_netns(child);
		if (!flow_wanted(BPF_CORE_READ(child, __sk_common.skc_num), netns) || !current_task_wanted())
			return 0;
	}
	if (queued) {
		listener = queued->listener;
		/* Out of the queue whether or not the record fits in the ring: a
		 * later state change of this child is no longer "while queued". */
		bpf_map_delete_elem(&queued_children, &child_key);
	}
	e = event_reserve_in_task(SS_EVENT_ACCEPT, SS_HOOK_TP_SYS_EXIT_ACCEPT);
	if (!e)
		return 0;
	fill_tuple_from_sock(e, (struct sock_common *)child);
	if (!queued && !flow_address_wanted(e)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return 0;
	}
	e->child = child_key;
	e->netns = netns;
	e->detail = fd;
	if (listener) {
		e->listener = listener;
		fill_queues(e, (struct sock *)listener);
		read_accepts_in_flight(e, listener);
	}
	/* Otherwise a child queued before tracing began: user space finds its
	 * listener by the local address and port. */
	e->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->flags |= SS_FLAG_OWNER_KNOWN; /* accept() runs in the owner itself */
	event_submit(e);
	return 0;
}

/* accept() entered on fd: if it is a listener we know, count the thread in
 * flight until its exit hook (see accepting_threads). */
static __always_inline void on_accept_enter(long fd)
{
	struct task_struct *task;
	struct file **fds;
	struct file *file = NULL;
	struct socket *sock;
	__u64 sk;

	if (fd < 0)
		return;
	task = bpf_get_current_task_btf();
	fds = task->files->fdt->fd;
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return;
	sock = BPF_CORE_READ(file, private_data);
	if (!sock)
		return;
	sk = (__u64)BPF_CORE_READ(sock, sk);
	if (sk)
		accept_started(sk);
}

SEC("tracepoint/syscalls/sys_enter_accept4")
int ss_sys_enter_accept4(struct trace_event_raw_sys_enter *args)
{
	RETURN_IF_IDLE(0);
	on_accept_enter(args->args[0]);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_accept")
int ss_sys_enter_accept(struct trace_event_raw_sys_enter *args)
{
	RETURN_IF_IDLE(0);
	on_accept_enter(args->args[0]);
	return 0;
}

/* Every exit leaves the in-flight count first, whatever it returned: the
 * record that reports its child follows within microseconds, and a queue
 * reading taken in between is widened by it (see ModelCore+Queues). */
SEC("tracepoint/syscalls/sys_exit_accept4")
int ss_sys_exit_accept4(struct trace_event_raw_sys_exit *args)
{
	RETURN_IF_IDLE(0);
	accept_finished();
	return on_accept_exit(args);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int ss_sys_exit_accept(struct trace_event_raw_sys_exit *args)
{
	RETURN_IF_IDLE(0);
	accept_finished();
	return on_accept_exit(args);
}

/* ---- start-up snapshot: listeners, requests and queued children -------- */

SEC("iter/tcp")
int ss_iter_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct synshadow_event *e;
	const struct sock *listener = NULL;
	__u8 state;
	__u8 kind;

	if (!skc)
		return 0;
	state = BPF_CORE_READ(skc, skc_state);
	if (state == BPF_TCP_LISTEN) {
		kind = SS_EVENT_SNAPSHOT_LISTENER;
		listener = (const struct sock *)skc;
	} else if (state == BPF_TCP_NEW_SYN_RECV) {
		kind = SS_EVENT_SNAPSHOT_REQUEST;
		listener = BPF_CORE_READ((struct request_sock *)skc, __req_common.skc_listener);
	} else if (state == BPF_TCP_ESTABLISHED || state == BPF_TCP_SYN_RECV || state == BPF_TCP_CLOSE_WAIT) {
		/* A child still in an accept queue has no struct socket yet. */
		if (BPF_CORE_READ((struct sock *)skc, sk_socket))
			return 0;
		kind = SS_EVENT_SNAPSHOT_CHILD;
	} else {
		return 0;
	}
	if (kind == SS_EVENT_SNAPSHOT_LISTENER)
		note_foreign_self_check((const struct sock *)skc, sock_netns((struct sock *)skc));
	if (!flow_wanted(BPF_CORE_READ(skc, skc_num), sock_netns((struct sock *)skc)))
		return 0;
	e = event_reserve_in_task(kind, SS_HOOK_ITER_TCP);
	if (!e)
		return 0;
	fill_tuple_from_sock(e, skc);
	if (kind == SS_EVENT_SNAPSHOT_LISTENER ? !listener_address_wanted(e) : !flow_address_wanted(e)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return 0;
	}
	e->new_state = state;
	/* Owner filters: the owner of a listener older than the session is
	 * found from /proc by user space, which applies them to these records
	 * and writes the verdict into listener_owners. */
	if (kind == SS_EVENT_SNAPSHOT_LISTENER) {
		fill_listener(e, listener);
		/* The socket inode lets user space name the owning process. */
		e->result = BPF_CORE_READ((struct sock *)skc, sk_socket, file, f_inode, i_ino);
	} else if (kind == SS_EVENT_SNAPSHOT_REQUEST) {
		e->request = (__u64)skc;
		if (listener)
			fill_listener(e, listener);
	} else {
		e->child = (__u64)skc;
		e->netns = sock_netns((struct sock *)skc);
	}
	event_submit(e);
	return 0;
}

/* ---- function tiers (fentry/fexit and kprobe/kretprobe) ------------------ */

/* tcp_v6_conn_request hands IPv4 SYNs to tcp_v4_conn_request: the v4 hook
 * reports those, so the v6 hook skips them. */
static __always_inline bool skb_is_ipv4(const struct sk_buff *skb)
{
	return bpf_ntohs(BPF_CORE_READ(skb, protocol)) == ETH_P_IP;
}

static __always_inline void on_conn_request_entry(const struct sock *sk, const struct sk_buff *skb, bool v6_hook)
{
	struct synshadow_event *e;

	if ((v6_hook && skb_is_ipv4(skb)) || !listener_wanted(sk))
		return;
	e = event_reserve_in_task(SS_EVENT_SYN, SS_HOOK_CONN_REQUEST_ENTRY);
	if (!e)
		return;
	if (!fill_tuple_from_skb(e, skb) || !flow_address_wanted(e)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return;
	}
	fill_listener(e, sk);
	remember_segment(e, sock_netns_cookie(sk));
	event_submit(e);
}

static __always_inline void on_conn_request_exit(const struct sock *sk, const struct sk_buff *skb, long ret,
						 bool v6_hook)
{
	struct synshadow_event *e;

	if ((v6_hook && skb_is_ipv4(skb)) || !listener_wanted(sk))
		return;
	e = event_reserve_in_task(SS_EVENT_CONN_REQUEST_DONE, SS_HOOK_CONN_REQUEST_EXIT);
	if (!e)
		return;
	if (fill_tuple_from_skb(e, skb) && !flow_address_wanted(e)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return;
	}
	fill_listener(e, sk);
	e->result = ret;
	event_submit(e);
}

static __always_inline void on_reqsk_hash_add(const struct sock *sk, const struct request_sock *req)
{
	struct synshadow_event *e;

	if (!listener_wanted(sk))
		return;
	e = event_reserve_in_task(SS_EVENT_REQUEST_QUEUED, SS_HOOK_REQSK_HASH_ADD);
	if (!e)
		return;
	fill_tuple_from_sock(e, &req->__req_common);
	if (!flow_address_wanted(e)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return;
	}
	fill_listener(e, sk);
	e->request = (__u64)req;
	event_submit(e);
}

/* tcp_req_err(req, seq, abort): an ICMP error quoting a request's SYN-ACK.
 * The kernel drops the request (ListenDrops) only when `abort` is set and
 * the quoted sequence is the SYN-ACK's own; anything else changes nothing. */
static __always_inline void on_request_error(const struct request_sock *req, __u32 seq, bool abort)
{
	const struct tcp_request_sock *treq = (const void *)req;
	const struct sock *listener;
	struct synshadow_event *e;

	if (!abort || BPF_CORE_READ(treq, snt_isn) != seq)
		return;
	listener = BPF_CORE_READ(req, __req_common.skc_listener);
	if (!listener || !listener_wanted(listener))
		return;
	e = event_reserve_in_task(SS_EVENT_REQUEST_DROPPED, SS_HOOK_REQUEST_ERROR);
	if (!e)
		return;
	fill_tuple_from_sock(e, &req->__req_common);
	if (!flow_address_wanted(e)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return;
	}
	fill_listener(e, listener);
	e->request = (__u64)req;
	event_submit(e);
}

/* tcp_check_req's listener. For a Fast Open child, tcp_rcv_state_process
 * passes the child itself as `sk`: the listener is the request's, and its
 * queues and owner are the ones that count (the child's are its own). */
static __always_inline const struct sock *check_req_listener(const struct sock *sk, const struct request_sock *req,
							     bool fastopen)
{
	return fastopen ? BPF_CORE_READ(req, __req_common.skc_listener) : sk;
}

static __always_inline void on_check_req_entry(const struct sock *sk, const struct sk_buff *skb,
					       const struct request_sock *req, bool fastopen)
{
	const struct sock *listener = check_req_listener(sk, req, fastopen);
	struct synshadow_event *e;

	if (!listener || !listener_wanted(listener))
		return;
	e = event_reserve_in_task(SS_EVENT_ACK, SS_HOOK_CHECK_REQ_ENTRY);
	if (!e)
		return;
	if (!fill_tuple_from_skb(e, skb) || !flow_address_wanted(e)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return;
	}
	if (e->tcp_flags & TCPF_RST)
		e->kind = SS_EVENT_RST;
	else if (e->tcp_flags & TCPF_SYN)
		e->kind = SS_EVENT_SYN; /* a retransmitted SYN for a queued request */
	fill_listener(e, listener);
	e->request = (__u64)req;
	if (fastopen)
		e->flags |= SS_FLAG_FASTOPEN;
	/* The child this ACK creates is announced by PASSIVE_ESTABLISHED
	 * right after tcp_check_req returns, on this CPU. */
	if (e->kind == SS_EVENT_ACK)
		remember_segment(e, sock_netns_cookie(sk));
	event_submit(e);
}

/* tcp_check_req's `*req_stolen`: another CPU completed the same request
 * first, so the child this call made (TcpPassiveOpens counted it) was
 * freed at once and NULL returned. */
static __always_inline bool request_stolen(const bool *req_stolen)
{
	bool stolen = false;

	if (req_stolen)
		bpf_probe_read_kernel(&stolen, sizeof(stolen), req_stolen);
	return stolen;
}

static __always_inline void on_check_req_exit(const struct sock *sk, const struct sk_buff *skb,
					      const struct request_sock *req, bool fastopen, __u64 ret,
					      bool stolen)
{
	const struct sock *listener = check_req_listener(sk, req, fastopen);
	struct synshadow_event *e;

	if (!listener || !listener_wanted(listener))
		return;
	e = event_reserve_in_task(SS_EVENT_CHECK_REQ_DONE, SS_HOOK_CHECK_REQ_EXIT);
	if (!e)
		return;
	fill_tuple_from_sock(e, &req->__req_common);
	if (!flow_address_wanted(e)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return;
	}
	fill_listener(e, listener);
	e->request = (__u64)req;
	e->result = ret;
	if (ret && ret != (__u64)sk)
		e->child = ret;
	if (fastopen)
		e->flags |= SS_FLAG_FASTOPEN;
	if (stolen && !ret)
		e->flags |= SS_FLAG_REQ_STOLEN;
	event_submit(e);
}

/*
 * cookie_v{4,6}_check(listener, skb): every non-SYN segment that reaches a
 * listener itself — no request sock matched it — passes here. With a
 * recent SYN overflow and a valid cookie it counts SyncookiesRecv and
 * returns the child, or NULL when the child could not be made (a full
 * accept queue: ListenOverflows); otherwise it returns the listener
 * (cookie invalid: SyncookiesFailed; or not checked at all).
 */
static __always_inline void on_cookie_check_entry(const struct sock *sk, const struct sk_buff *skb, bool v6_hook)
{
	struct synshadow_event *e;

	if ((v6_hook && skb_is_ipv4(skb)) || !listener_wanted(sk))
		return;
	e = event_reserve_in_task(SS_EVENT_ACK, SS_HOOK_COOKIE_CHECK_ENTRY);
	if (!e)
		return;
	if (!fill_tuple_from_skb(e, skb) || (e->tcp_flags & (TCPF_RST | TCPF_SYN)) || !(e->tcp_flags & TCPF_ACK) ||
	    !flow_address_wanted(e)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return;
	}
	fill_listener(e, sk);
	remember_segment(e, sock_netns_cookie(sk));
	event_submit(e);
}

static __always_inline void on_cookie_check_exit(const struct sock *sk, const struct sk_buff *skb, __u64 ret,
						 bool v6_hook)
{
	struct synshadow_event *e;

	if ((v6_hook && skb_is_ipv4(skb)) || !listener_wanted(sk))
		return;
	e = event_reserve_in_task(SS_EVENT_COOKIE_CHECK_DONE, SS_HOOK_COOKIE_CHECK_EXIT);
	if (!e)
		return;
	if (!fill_tuple_from_skb(e, skb) || (e->tcp_flags & (TCPF_RST | TCPF_SYN)) || !(e->tcp_flags & TCPF_ACK) ||
	    !flow_address_wanted(e)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return;
	}
	fill_listener(e, sk);
	e->result = ret;
	if (ret && ret != (__u64)sk)
		e->child = ret;
	event_submit(e);
}

static __always_inline void on_csk_accept_exit(const struct sock *sk, __u64 ret)
{
	struct synshadow_event *e;
	const struct sock *child = (const struct sock *)ret;

	/* Out of flight first: the record that reports the child follows
	 * within microseconds (a reading in between is widened by it). */
	accept_finished();
	if (!ret || !listener_wanted(sk))
		return;
	/* Out of the queue whether or not the record fits in the ring. */
	bpf_map_delete_elem(&queued_children, &ret);
	e = event_reserve_in_task(SS_EVENT_ACCEPT, SS_HOOK_CSK_ACCEPT_EXIT);
	if (!e)
		return;
	fill_tuple_from_sock(e, (struct sock_common *)child);
	if (!flow_address_wanted(e)) {
		bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
		return;
	}
	fill_listener(e, sk);
	e->child = ret;
	e->result = ret;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->flags |= SS_FLAG_OWNER_KNOWN;
	event_submit(e);
}

/* fentry/fexit: BPF trampolines, typed arguments. */

SEC("fentry/tcp_v4_conn_request")
int BPF_PROG(ss_fentry_v4_conn_request, struct sock *sk, struct sk_buff *skb)
{
	RETURN_IF_IDLE(0);
	on_conn_request_entry(sk, skb, false);
	return 0;
}

SEC("fexit/tcp_v4_conn_request")
int BPF_PROG(ss_fexit_v4_conn_request, struct sock *sk, struct sk_buff *skb, int ret)
{
	RETURN_IF_IDLE(0);
	on_conn_request_exit(sk, skb, ret, false);
	return 0;
}

SEC("fentry/tcp_v6_conn_request")
int BPF_PROG(ss_fentry_v6_conn_request, struct sock *sk, struct sk_buff *skb)
{
	RETURN_IF_IDLE(0);
	on_conn_request_entry(sk, skb, true);
	return 0;
}

SEC("fexit/tcp_v6_conn_request")
int BPF_PROG(ss_fexit_v6_conn_request, struct sock *sk, struct sk_buff *skb, int ret)
{
	RETURN_IF_IDLE(0);
	on_conn_request_exit(sk, skb, ret, true);
	return 0;
}

SEC("fentry/inet_csk_reqsk_queue_hash_add")
int BPF_PROG(ss_fentry_reqsk_hash_add, struct sock *sk, struct request_sock *req)
{
	RETURN_IF_IDLE(0);
	on_reqsk_hash_add(sk, req);
	return 0;
}

SEC("fentry/tcp_check_req")
int BPF_PROG(ss_fentry_check_req, struct sock *sk, struct sk_buff *skb, struct request_sock *req, bool fastopen)
{
	RETURN_IF_IDLE(0);
	on_check_req_entry(sk, skb, req, fastopen);
	return 0;
}

SEC("fentry/tcp_req_err")
int BPF_PROG(ss_fentry_req_err, struct sock *sk, __u32 seq, bool abort)
{
	RETURN_IF_IDLE(0);
	on_request_error((const struct request_sock *)sk, seq, abort);
	return 0;
}

SEC("fexit/tcp_check_req")
int BPF_PROG(ss_fexit_check_req, struct sock *sk, struct sk_buff *skb, struct request_sock *req, bool fastopen)
{
	RETURN_IF_IDLE(0);
	__u64 ret = 0;

	__u64 req_stolen = 0;

	bpf_get_func_ret(ctx, &ret);
	bpf_get_func_arg(ctx, 4, &req_stolen);
	on_check_req_exit(sk, skb, req, fastopen, ret, request_stolen((const bool *)req_stolen));
	return 0;
}

SEC("fentry/cookie_v4_check")
int BPF_PROG(ss_fentry_cookie_v4_check, struct sock *sk, struct sk_buff *skb)
{
	RETURN_IF_IDLE(0);
	on_cookie_check_entry(sk, skb, false);
	return 0;
}

SEC("fexit/cookie_v4_check")
int BPF_PROG(ss_fexit_cookie_v4_check, struct sock *sk, struct sk_buff *skb, struct sock *ret)
{
	RETURN_IF_IDLE(0);
	on_cookie_check_exit(sk, skb, (__u64)ret, false);
	return 0;
}

SEC("fentry/cookie_v6_check")
int BPF_PROG(ss_fentry_cookie_v6_check, struct sock *sk, struct sk_buff *skb)
{
	RETURN_IF_IDLE(0);
	on_cookie_check_entry(sk, skb, true);
	return 0;
}

SEC("fexit/cookie_v6_check")
int BPF_PROG(ss_fexit_cookie_v6_check, struct sock *sk, struct sk_buff *skb, struct sock *ret)
{
	RETURN_IF_IDLE(0);
	on_cookie_check_exit(sk, skb, (__u64)ret, true);
	return 0;
}

SEC("fentry/inet_csk_accept")
int BPF_PROG(ss_fentry_csk_accept, struct sock *sk)
{
	RETURN_IF_IDLE(0);
	accept_started((__u64)sk);
	return 0;
}

SEC("fexit/inet_csk_accept")
int BPF_PROG(ss_fexit_csk_accept, struct sock *sk)
{
	RETURN_IF_IDLE(0);
	__u64 ret = 0;

	bpf_get_func_ret(ctx, &ret);
	on_csk_accept_exit(sk, ret);
	return 0;
}

/* kprobe/kretprobe: the classic way; arguments kept per thread. */

/* Keyed by hook and thread: an accept() interrupted by a softirq that runs
 * tcp_check_req on the same task must not lose its arguments. */
static __always_inline __u64 entry_key(__u8 hook)
{
	return ((__u64)hook << 32) | (__u32)bpf_get_current_pid_tgid();
}

static __always_inline void save_entry_args(__u8 hook, __u64 sk, __u64 skb, __u64 req, __u64 fastopen,
					    __u64 req_stolen)
{
	__u64 key = entry_key(hook);
	struct entry_args args = { .sk = sk, .skb = skb, .req = req, .fastopen = fastopen, .req_stolen = req_stolen };

	bpf_map_update_elem(&entry_args_by_thread, &key, &args, BPF_ANY);
}

static __always_inline struct entry_args *take_entry_args(__u8 hook, struct entry_args *out)
{
	__u64 key = entry_key(hook);
	struct entry_args *args = bpf_map_lookup_elem(&entry_args_by_thread, &key);

	if (!args)
		return NULL;
	*out = *args;
	bpf_map_delete_elem(&entry_args_by_thread, &key);
	return out;
}

SEC("kprobe/tcp_v4_conn_request")
int BPF_KPROBE(ss_kprobe_v4_conn_request, struct sock *sk, struct sk_buff *skb)
{
	RETURN_IF_IDLE(0);
	on_conn_request_entry(sk, skb, false);
	save_entry_args(SS_HOOK_CONN_REQUEST_ENTRY, (__u64)sk, (__u64)skb, 0, 0, 0);
	return 0;
}

SEC("kretprobe/tcp_v4_conn_request")
int BPF_KRETPROBE(ss_kretprobe_v4_conn_request, int ret)
{
	RETURN_IF_IDLE(0);
	struct entry_args args;

	if (take_entry_args(SS_HOOK_CONN_REQUEST_ENTRY, &args))
		on_conn_request_exit((struct sock *)args.sk, (struct sk_buff *)args.skb, ret, false);
	return 0;
}

SEC("kprobe/tcp_v6_conn_request")
int BPF_KPROBE(ss_kprobe_v6_conn_request, struct sock *sk, struct sk_buff *skb)
{
	RETURN_IF_IDLE(0);
	on_conn_request_entry(sk, skb, true);
	save_entry_args(SS_HOOK_CONN_REQUEST_ENTRY, (__u64)sk, (__u64)skb, 0, 0, 0);
	return 0;
}

SEC("kretprobe/tcp_v6_conn_request")
int BPF_KRETPROBE(ss_kretprobe_v6_conn_request, int ret)
{
	RETURN_IF_IDLE(0);
	struct entry_args args;

	if (take_entry_args(SS_HOOK_CONN_REQUEST_ENTRY, &args))
		on_conn_request_exit((struct sock *)args.sk, (struct sk_buff *)args.skb, ret, true);
	return 0;
}

SEC("kprobe/inet_csk_reqsk_queue_hash_add")
int BPF_KPROBE(ss_kprobe_reqsk_hash_add, struct sock *sk, struct request_sock *req)
{
	RETURN_IF_IDLE(0);
	on_reqsk_hash_add(sk, req);
	return 0;
}

SEC("kprobe/tcp_req_err")
int BPF_KPROBE(ss_kprobe_req_err, struct sock *sk, __u32 seq, bool abort)
{
	RETURN_IF_IDLE(0);
	on_request_error((const struct request_sock *)sk, seq, abort);
	return 0;
}

SEC("kprobe/tcp_check_req")
int BPF_KPROBE(ss_kprobe_check_req, struct sock *sk, struct sk_buff *skb, struct request_sock *req, bool fastopen,
	       bool *req_stolen)
{
	RETURN_IF_IDLE(0);
	on_check_req_entry(sk, skb, req, fastopen);
	save_entry_args(SS_HOOK_CHECK_REQ_ENTRY, (__u64)sk, (__u64)skb, (__u64)req, fastopen, (__u64)req_stolen);
	return 0;
}

SEC("kretprobe/tcp_check_req")
int BPF_KRETPROBE(ss_kretprobe_check_req, void *ret)
{
	RETURN_IF_IDLE(0);
	struct entry_args args;

	if (take_entry_args(SS_HOOK_CHECK_REQ_ENTRY, &args))
		on_check_req_exit((struct sock *)args.sk, (struct sk_buff *)args.skb,
				  (struct request_sock *)args.req, args.fastopen, (__u64)ret,
				  request_stolen((const bool *)args.req_stolen));
	return 0;
}

SEC("kprobe/cookie_v4_check")
int BPF_KPROBE(ss_kprobe_cookie_v4_check, struct sock *sk, struct sk_buff *skb)
{
	RETURN_IF_IDLE(0);
	on_cookie_check_entry(sk, skb, false);
	save_entry_args(SS_HOOK_COOKIE_CHECK_ENTRY, (__u64)sk, (__u64)skb, 0, 0, 0);
	return 0;
}

SEC("kretprobe/cookie_v4_check")
int BPF_KRETPROBE(ss_kretprobe_cookie_v4_check, void *ret)
{
	RETURN_IF_IDLE(0);
	struct entry_args args;

	if (take_entry_args(SS_HOOK_COOKIE_CHECK_ENTRY, &args))
		on_cookie_check_exit((struct sock *)args.sk, (struct sk_buff *)args.skb, (__u64)ret, false);
	return 0;
}

SEC("kprobe/cookie_v6_check")
int BPF_KPROBE(ss_kprobe_cookie_v6_check, struct sock *sk, struct sk_buff *skb)
{
	RETURN_IF_IDLE(0);
	on_cookie_check_entry(sk, skb, true);
	save_entry_args(SS_HOOK_COOKIE_CHECK_ENTRY, (__u64)sk, (__u64)skb, 0, 0, 0);
	return 0;
}

SEC("kretprobe/cookie_v6_check")
int BPF_KRETPROBE(ss_kretprobe_cookie_v6_check, void *ret)
{
	RETURN_IF_IDLE(0);
	struct entry_args args;

	if (take_entry_args(SS_HOOK_COOKIE_CHECK_ENTRY, &args))
		on_cookie_check_exit((struct sock *)args.sk, (struct sk_buff *)args.skb, (__u64)ret, true);
	return 0;
}

SEC("kprobe/inet_csk_accept")
int BPF_KPROBE(ss_kprobe_csk_accept, struct sock *sk)
{
	RETURN_IF_IDLE(0);
	save_entry_args(SS_HOOK_CSK_ACCEPT_EXIT, (__u64)sk, 0, 0, 0, 0);
	accept_started((__u64)sk);
	return 0;
}

SEC("kretprobe/inet_csk_accept")
int BPF_KRETPROBE(ss_kretprobe_csk_accept, void *ret)
{
	RETURN_IF_IDLE(0);
	struct entry_args args;

	if (take_entry_args(SS_HOOK_CSK_ACCEPT_EXIT, &args))
		on_csk_accept_exit((struct sock *)args.sk, (__u64)ret);
	else
		accept_finished();
	return 0;
}
