/* SPDX-License-Identifier: GPL-2.0 */
/*
 * listener.bpf.h — what a record says about its listener: who owns it
 * (listener_owners), its queue figures, and how many threads are inside
 * accept() on it (accepting_threads).
 */
#ifndef SYNSHADOW_LISTENER_BPF_H
#define SYNSHADOW_LISTENER_BPF_H

#include "config.bpf.h"
#include "sock.bpf.h"

/* Who owns each listener: filled at listen() (process context) and by the
 * loader's start-up snapshot, so softirq-time events name the server. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct synshadow_listener_owner);
} listener_owners SEC(".maps");

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
 * child the figures still count; one that left earlier had already submitted
 * the record that takes its child out (see on_accept_exit). */
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

static int stall_step(__u32 index, void *deadline)
{
	return bpf_ktime_get_ns() >= *(__u64 *)deadline;
}

/* Fault injection for tests (ss_config.accept_exit_stall_us): accept()'s
 * exit hook waits before its record is stamped, as a program preempted there
 * would. A read-only zero in production: the verifier removes the code. */
static __always_inline void stall_accept_exit(void)
{
	__u64 deadline;

	if (!ss_config.accept_exit_stall_us)
		return;
	deadline = bpf_ktime_get_ns() + (__u64)ss_config.accept_exit_stall_us * 1000;
	bpf_loop(1 << 23, stall_step, &deadline, 0);
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

#endif /* SYNSHADOW_LISTENER_BPF_H */
