/* SPDX-License-Identifier: GPL-2.0 */
/*
 * filters.bpf.h — the session's filters, applied in the kernel so unwanted
 * traffic never costs a record: port and netns (flow_wanted), the owner
 * filters decided at listen() (listener_owner_wanted), family and local
 * address (flow_address_wanted, listener_address_wanted). The start-up
 * self-check's listener passes all of them (self_check_passes); another
 * SynShadow's self-check passes none.
 */
#ifndef SYNSHADOW_FILTERS_BPF_H
#define SYNSHADOW_FILTERS_BPF_H

#include "config.bpf.h"
#include "event.bpf.h"
#include "sock.bpf.h"
#include "listener.bpf.h"

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

/* The start-up self-check's listener port: its traffic passes every filter,
 * so the proof works whatever the user filters on. */
static __always_inline bool is_self_check(__u16 local_port)
{
	return ss_config.self_check_port && ss_config.self_check_port == local_port;
}

/* Whether none of the filters in `mask` (enum synshadow_filter) is set, or
 * the flow is the self-check's: then they let it through unasked. */
static __always_inline bool filters_pass(__u16 mask, __u16 local_port)
{
	return !(ss_config.filters & mask) || is_self_check(local_port);
}

static __always_inline bool port_wanted(__u16 local_port)
{
	return ss_config.port == 0 || ss_config.port == local_port || is_self_check(local_port);
}

static __always_inline bool netns_wanted(__u32 netns)
{
	return ss_config.netns == 0 || ss_config.netns == netns;
}

/* Port and netns: the filters every hook can apply before reserving. */
static __always_inline bool flow_wanted(__u16 local_port, __u32 netns)
{
	if (is_self_check(local_port) && (!ss_config.self_check_netns || ss_config.self_check_netns == netns))
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

	if (filters_pass(SS_FILTER_OWNER, local_port))
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
	if (filters_pass(SS_FILTER_FAMILY | SS_FILTER_LOCAL_ADDR, e->local_port))
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

	if (filters_pass(SS_FILTER_FAMILY | SS_FILTER_LOCAL_ADDR, e->local_port))
		return true;
	if ((ss_config.filters & SS_FILTER_FAMILY) && e->family != ss_config.family &&
	    !(e->family == AF_INET6 && ss_config.family == AF_INET))
		return false;
	if (!(ss_config.filters & SS_FILTER_LOCAL_ADDR) || (addr[0] == 0 && addr[1] == 0))
		return true;
	return local_addr_matches(e);
}

/* ---- counting what the filters turn away (see filtered_out) ------------ */

/* listener_wanted, counting a listener turned away as one filtered record. */
static __always_inline bool listener_admits(const struct sock *listener)
{
	if (listener_wanted(listener))
		return true;
	filtered_out();
	return false;
}

/* flow_wanted, counting a flow turned away as one filtered record. */
static __always_inline bool flow_admits(__u16 local_port, __u32 netns)
{
	if (flow_wanted(local_port, netns))
		return true;
	filtered_out();
	return false;
}

/* ---- reserve, fill the flow, filter: a record that passed, or NULL ------ */

/* A record (from a tracing program) about the flow of `skc`: a request, a
 * child or a listener (`listener_record`: a listener's own address filter). */
static __always_inline struct synshadow_event *reserve_sock_record(__u8 kind, __u8 hook,
								   const struct sock_common *skc,
								   bool listener_record)
{
	struct synshadow_event *e = event_reserve_in_task(kind, hook);

	if (!e)
		return NULL;
	fill_tuple_from_sock(e, skc);
	if (listener_record ? !listener_address_wanted(e) : !flow_address_wanted(e)) {
		event_discard_filtered(e);
		return NULL;
	}
	return e;
}

/* A record (from a tracing program) about an inbound segment; none unless
 * it is TCP over IP and, with `pure_ack`, an ACK without SYN or RST. */
static __always_inline struct synshadow_event *reserve_skb_record(__u8 kind, __u8 hook, const struct sk_buff *skb,
								  bool pure_ack)
{
	struct synshadow_event *e = event_reserve_in_task(kind, hook);

	if (!e)
		return NULL;
	if (!fill_tuple_from_skb(e, skb) ||
	    (pure_ack && ((e->tcp_flags & (TCPF_RST | TCPF_SYN)) || !(e->tcp_flags & TCPF_ACK)))) {
		event_cancel(e);
		return NULL;
	}
	if (!flow_address_wanted(e)) {
		event_discard_filtered(e);
		return NULL;
	}
	return e;
}

#endif /* SYNSHADOW_FILTERS_BPF_H */
