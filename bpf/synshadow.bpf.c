// SPDX-License-Identifier: GPL-2.0
/*
 * synshadow.bpf.c — the kernel half of SynShadow: the hooks.
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
 * Which programs a tier loads, and which hooks report, is Swift's to say
 * (Tier.programs): the loader loads what it is handed, and this file reads
 * the reporting hooks from its configuration (ss_config.hooks).
 *
 * What the hooks share lives in headers: config.bpf.h (configuration, idle
 * switch), event.bpf.h (ring, counters, a record's reserve/submit/discard),
 * sock.bpf.h (4-tuples), listener.bpf.h (owners, queues), segment.bpf.h
 * (correlating a flow's steps) and filters.bpf.h (the user's filters).
 */
#include "config.bpf.h"
#include "event.bpf.h"
#include "sock.bpf.h"
#include "listener.bpf.h"
#include "segment.bpf.h"
#include "filters.bpf.h"
#include "core_fixes.bpf.h"
#include "cover.bpf.h"

char LICENSE[] SEC("license") = "GPL";

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
	if (!flow_admits(sk->__sk_common.skc_num, sk->__sk_common.skc_net.net->ns.inum))
		return 1;
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
		event_discard_filtered(e);
		return 1;
	}
	fill_listener_btf(e, tp);
	if (kind != SS_EVENT_RST)
		remember_segment(e, sk->__sk_common.skc_net.net->net_cookie);
	event_submit(e);
	return 1;
}

/* ---- sock_ops: listen, request built/hashed, child established ---------- */

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
	if (!listener_admits((struct sock *)tp))
		return;
	e = event_reserve(SS_EVENT_LISTEN_START, SS_HOOK_SOCKOPS_LISTEN);
	if (!e)
		return;
	fill_tuple_from_sock(e, (struct sock_common *)tp);
	if (!listener_address_wanted(e)) {
		event_discard_filtered(e);
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
	if (ops->is_fullsock)
		return;
	if (!port_wanted(ops->local_port)) {
		filtered_out();
		return;
	}
	e = event_reserve(kind, hook);
	if (!e)
		return;
	fill_tuple_from_sock_ops(e, ops);
	cookie = bpf_get_netns_cookie(ops);
	if (!flow_address_wanted(e)) {
		event_discard_filtered(e);
		return;
	}
	if (!recall_segment(e, cookie)) {
		/* No SYN recorded for it, though both ran in this softirq: it
		 * was filtered out, or its record was lost to a full ring. */
		if (ss_config.netns || flow_was_filtered(e, cookie) || in_foreign_self_check(cookie)) {
			event_discard_filtered(e);
		} else {
			count_correlation_miss();
			event_cancel(e);
		}
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

	if (!bsk)
		return;
	if (!port_wanted(ops->local_port)) {
		filtered_out();
		return;
	}
	tp = bpf_skc_to_tcp_sock(bsk);
	if (!tp || !flow_admits(ops->local_port, sock_netns((struct sock *)tp)))
		return;
	e = event_reserve(SS_EVENT_CHILD_CREATED, SS_HOOK_SOCKOPS_PASSIVE_ESTABLISHED);
	if (!e)
		return;
	fill_tuple_from_sock_ops(e, ops);
	e->child = (__u64)tp;
	cookie = bpf_get_netns_cookie(ops);
	if (!flow_address_wanted(e)) {
		event_discard_filtered(e);
		return;
	}
	if (recall_segment(e, cookie)) {
		fill_queues(e, (struct sock *)e->listener);
		read_accepts_in_flight(e, e->listener);
	} else if ((ss_config.filters & SS_FILTER_OWNER) && flow_was_filtered(e, cookie)) {
		/* Its ACK was turned away by the owner filters an instant ago. */
		event_discard_filtered(e);
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
		/* Reported where Swift's tier table says so: the function
		 * tiers see the hash insertion itself. */
		if (ss_config.hooks & (1u << SS_HOOK_SOCKOPS_TIMEOUT_INIT))
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
			filtered_out();
			bpf_map_delete_elem(&listener_owners, &sk);
			return 0;
		}
		e = event_reserve_in_task(SS_EVENT_LISTEN_STOP, SS_HOOK_TP_INET_SOCK_SET_STATE);
		if (e) {
			fill_tuple_from_sock(e, (struct sock_common *)sk);
			e->local_port = port;
			if (!listener_address_wanted(e)) {
				event_discard_filtered(e);
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
 * and the sock is typed (the cheaper hook; the loader prefers it). The
 * primary of a pair (see cover.bpf.h): state changes happen in tasks and in
 * softirqs alike, and a softirq often interrupts a task's run. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(ss_btf_inet_sock_set_state, const struct sock *sk, int oldstate, int newstate)
{
	struct cover_mark *mark;

	RETURN_IF_IDLE(0);
	mark = primary_start(SS_COVER_SET_STATE);
	if (sk->sk_protocol == IPPROTO_TCP)
		on_set_state((__u64)sk, oldstate, newstate, false, 0, 0);
	primary_done(mark, (__u64)sk, (__u64)oldstate << 32 | (__u32)newstate);
	return 0;
}

/* Its cover: takes the state changes the kernel skipped the primary for. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(ss_btf_inet_sock_set_state_cover, const struct sock *sk, int oldstate, int newstate)
{
	int level;

	RETURN_IF_IDLE(0);
	if (primary_skipped(SS_COVER_SET_STATE, SS_HOOK_TP_INET_SOCK_SET_STATE, (__u64)sk,
			    (__u64)oldstate << 32 | (__u32)newstate, &level) &&
	    sk->sk_protocol == IPPROTO_TCP)
		on_set_state((__u64)sk, oldstate, newstate, false, 0, 0);
	cover_done(SS_COVER_SET_STATE, level);
	return 0;
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

static __always_inline int on_retransmit_synack(const struct sock *listener, const struct request_sock *req)
{
	struct synshadow_event *e;

	if (!listener_admits(listener))
		return 0;
	e = reserve_sock_record(SS_EVENT_SYNACK_RETRANSMIT, SS_HOOK_TP_RETRANSMIT_SYNACK, &req->__req_common, false);
	if (!e)
		return 0;
	fill_listener(e, listener);
	e->request = (__u64)req;
	e->detail = BPF_CORE_READ(req, num_retrans);
	event_submit(e);
	return 0;
}

/* BTF raw tracepoint, preferred: the kernel guards it against recursion per
 * program, where a classic tracepoint's program is skipped whenever any
 * other classic tracepoint or kprobe program runs on that CPU (the request
 * timer's softirq often interrupts one). */
SEC("tp_btf/tcp_retransmit_synack")
int BPF_PROG(ss_btf_retransmit_synack, const struct sock *sk, const struct request_sock *req)
{
	RETURN_IF_IDLE(0);
	return on_retransmit_synack(sk, req);
}

SEC("tracepoint/tcp/tcp_retransmit_synack")
int ss_retransmit_synack(struct trace_event_raw_tcp_retransmit_synack *args)
{
	RETURN_IF_IDLE(0);
	return on_retransmit_synack(args->skaddr, args->req);
}

/* Packets freed with a reason, when they were for a listener or a request. */
/* A packet freed with a reason: a drop at a listener or a request. */
static __always_inline void on_kfree_skb(const struct sk_buff *skb, __u16 protocol, const struct sock *sk,
					 __u32 reason)
{
	const struct sock *listener;
	struct synshadow_event *e;
	__u8 state;

	if (protocol != ETH_P_IP && protocol != ETH_P_IPV6)
		return;
	disarm_second_pass();
	if (!sk)
		sk = BPF_CORE_READ(skb, sk);
	if (!sk)
		return;
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (state == BPF_TCP_LISTEN)
		listener = sk;
	else if (state == BPF_TCP_NEW_SYN_RECV)
		listener = BPF_CORE_READ((struct request_sock *)sk, __req_common.skc_listener);
	else
		return;
	if (!listener || !listener_admits(listener))
		return;
	e = reserve_skb_record(SS_EVENT_DROP, SS_HOOK_TP_KFREE_SKB, skb, false);
	if (!e)
		return;
	if (state == BPF_TCP_NEW_SYN_RECV)
		e->request = (__u64)sk;
	fill_listener(e, listener);
	e->detail = reason;
	event_submit(e);
}

/* The classic tracepoint, for kernels without tp_btf. */
SEC("tracepoint/skb/kfree_skb")
int ss_kfree_skb(void *args)
{
	RETURN_IF_IDLE(0);
	struct trace_event_raw_kfree_skb___flexible *raw = args;

	on_kfree_skb(BPF_CORE_READ(raw, skbaddr), BPF_CORE_READ(raw, protocol), kfree_skb_rx_sk(args),
		     kfree_skb_reason(args));
	return 0;
}

/* The BTF raw tracepoint, preferred: kprobe and classic tracepoint programs
 * running on the CPU do not make the kernel skip it. Its arguments: the
 * skb, the caller, the reason, and (Linux 6.11 on) the socket it was for.
 * The primary of a pair (see cover.bpf.h): drops happen in tasks and in
 * softirqs alike. */
static __always_inline void on_btf_kfree_skb(unsigned long long *ctx)
{
	const struct sk_buff *skb = (const struct sk_buff *)ctx[0];
	const struct sock *rx_sk = NULL;

	if (bpf_core_field_exists(((struct trace_event_raw_kfree_skb___flexible *)0)->rx_sk))
		rx_sk = (const struct sock *)ctx[3];
	on_kfree_skb(skb, bpf_ntohs(BPF_CORE_READ(skb, protocol)), rx_sk, (__u32)ctx[2]);
}

SEC("tp_btf/kfree_skb")
int ss_btf_kfree_skb(unsigned long long *ctx)
{
	struct cover_mark *mark;

	RETURN_IF_IDLE(0);
	mark = primary_start(SS_COVER_KFREE_SKB);
	on_btf_kfree_skb(ctx);
	primary_done(mark, ctx[0], ctx[2]);
	return 0;
}

/* Its cover: takes the drops the kernel skipped the primary for. */
SEC("tp_btf/kfree_skb")
int ss_btf_kfree_skb_cover(unsigned long long *ctx)
{
	int level;

	RETURN_IF_IDLE(0);
	if (primary_skipped(SS_COVER_KFREE_SKB, SS_HOOK_TP_KFREE_SKB, ctx[0], ctx[2], &level))
		on_btf_kfree_skb(ctx);
	cover_done(SS_COVER_KFREE_SKB, level);
	return 0;
}

/* accept() returned fd: follow task->files to the child sock. Runs for every
 * accept() on the machine, so the common case (a child we saw queued) reads
 * as little as possible; only a child unknown to queued_children (queued
 * before tracing began, or not TCP at all) pays for the full checks. */
static __always_inline struct synshadow_event *accept_exit_record(struct trace_event_raw_sys_exit *args,
								    __u64 *listener_out)
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

	*listener_out = 0;

	if (fd < 0)
		return NULL;
	task = bpf_get_current_task_btf();
	fds = task->files->fdt->fd;
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	sock = BPF_CORE_READ(file, private_data);
	if (!sock)
		return NULL;
	child = BPF_CORE_READ(sock, sk);
	if (!child)
		return NULL;
	child_key = (__u64)child;
	queued = bpf_map_lookup_elem(&queued_children, &child_key);
	if (queued) {
		netns = queued->netns;
	} else {
		__u16 family;

		if (BPF_CORE_READ(sock, type) != SOCK_STREAM || BPF_CORE_READ(child, sk_protocol) != IPPROTO_TCP)
			return NULL;
		family = BPF_CORE_READ(child, __sk_common.skc_family);
		if (family != AF_INET && family != AF_INET6)
			return NULL;
		netns = sock_netns(child);
		if (!flow_wanted(BPF_CORE_READ(child, __sk_common.skc_num), netns) || !current_task_wanted()) {
			filtered_out();
			return NULL;
		}
	}
	if (queued) {
		listener = queued->listener;
		/* Out of the queue whether or not the record fits in the ring: a
		 * later state change of this child is no longer "while queued". */
		bpf_map_delete_elem(&queued_children, &child_key);
	}
	/* A queued child passed the address filters when it was created. */
	e = reserve_sock_record(SS_EVENT_ACCEPT, SS_HOOK_TP_SYS_EXIT_ACCEPT, (struct sock_common *)child, false);
	if (!e)
		return NULL;
	e->child = child_key;
	e->netns = netns;
	e->detail = fd;
	*listener_out = listener;
	return e;
}

/* The thread leaves the in-flight count only once its exit's record is
 * submitted. In a soak on a 6.18 host, a thread that left the count first
 * stamped its record 10 ms later (held up inside this program), and another
 * CPU's queue reading in between looked one child short: a false
 * queue-mismatch. Submitted first, a reading in between
 * (this record's own included) counts the thread in flight although the
 * model has already taken its child out: wider, never wrong. The reservation
 * is not held across accept_finished either: 6.1's verifier cannot tell a
 * ring-buffer pointer tested again after a call from a null one. */
static __always_inline int on_accept_exit(struct trace_event_raw_sys_exit *args)
{
	__u64 listener;
	struct synshadow_event *e;

	stall_accept_exit();
	e = accept_exit_record(args, &listener);
	if (e) {
		if (listener) {
			e->listener = listener;
			fill_queues(e, (struct sock *)listener);
			read_accepts_in_flight(e, listener);
		}
		/* Otherwise a child queued before tracing began: user space finds
		 * its listener by the local address and port. */
		e->pid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(e->comm, sizeof(e->comm));
		e->flags |= SS_FLAG_OWNER_KNOWN; /* accept() runs in the owner itself */
		event_submit(e);
	}
	accept_finished();
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

/* Every exit leaves the in-flight count, whatever it returned, once its
 * record (if any) is stamped: see on_accept_exit. */
SEC("tracepoint/syscalls/sys_exit_accept4")
int ss_sys_exit_accept4(struct trace_event_raw_sys_exit *args)
{
	RETURN_IF_IDLE(0);
	return on_accept_exit(args);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int ss_sys_exit_accept(struct trace_event_raw_sys_exit *args)
{
	RETURN_IF_IDLE(0);
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
	if (!flow_admits(BPF_CORE_READ(skc, skc_num), sock_netns((struct sock *)skc)))
		return 0;
	e = reserve_sock_record(kind, SS_HOOK_ITER_TCP, skc, kind == SS_EVENT_SNAPSHOT_LISTENER);
	if (!e)
		return 0;
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

static __always_inline void on_conn_request_entry(const struct sock *sk, const struct sk_buff *skb, bool v6_hook)
{
	struct synshadow_event *e;

	if ((v6_hook && skb_is_ipv4(skb)) || !listener_admits(sk))
		return;
	e = reserve_skb_record(SS_EVENT_SYN, SS_HOOK_CONN_REQUEST_ENTRY, skb, false);
	if (!e)
		return;
	fill_listener(e, sk);
	remember_segment(e, sock_netns_cookie(sk));
	event_submit(e);
}

static __always_inline void on_conn_request_exit(const struct sock *sk, const struct sk_buff *skb, long ret,
						 bool v6_hook)
{
	struct synshadow_event *e;

	if ((v6_hook && skb_is_ipv4(skb)) || !listener_admits(sk))
		return;
	e = event_reserve_in_task(SS_EVENT_CONN_REQUEST_DONE, SS_HOOK_CONN_REQUEST_EXIT);
	if (!e)
		return;
	/* The result counts even if the segment could not be read again. */
	if (fill_tuple_from_skb(e, skb) && !flow_address_wanted(e)) {
		event_discard_filtered(e);
		return;
	}
	fill_listener(e, sk);
	e->result = ret;
	event_submit(e);
}

static __always_inline void on_reqsk_hash_add(const struct sock *sk, const struct request_sock *req)
{
	struct synshadow_event *e;

	if (!listener_admits(sk))
		return;
	e = reserve_sock_record(SS_EVENT_REQUEST_QUEUED, SS_HOOK_REQSK_HASH_ADD, &req->__req_common, false);
	if (!e)
		return;
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
	if (!listener || !listener_admits(listener))
		return;
	e = reserve_sock_record(SS_EVENT_REQUEST_DROPPED, SS_HOOK_REQUEST_ERROR, &req->__req_common, false);
	if (!e)
		return;
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

	if (!listener || !listener_admits(listener))
		return;
	e = reserve_skb_record(SS_EVENT_ACK, SS_HOOK_CHECK_REQ_ENTRY, skb, false);
	if (!e)
		return;
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

	if (!listener || !listener_admits(listener))
		return;
	e = reserve_sock_record(SS_EVENT_CHECK_REQ_DONE, SS_HOOK_CHECK_REQ_EXIT, &req->__req_common, false);
	if (!e)
		return;
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
static __always_inline struct synshadow_event *cookie_check_record(__u8 kind, __u8 hook, const struct sock *sk,
								   const struct sk_buff *skb, bool v6_hook)
{
	struct synshadow_event *e;

	if (v6_hook && skb_is_ipv4(skb))
		return NULL;
	/* Only an ACK makes a record: the segment is read before the listener
	 * filters, so `filtered` counts no other (this path is rare). */
	e = reserve_skb_record(kind, hook, skb, true);
	if (!e)
		return NULL;
	if (!listener_wanted(sk)) {
		event_discard_filtered(e);
		return NULL;
	}
	fill_listener(e, sk);
	return e;
}

static __always_inline void on_cookie_check_entry(const struct sock *sk, const struct sk_buff *skb, bool v6_hook)
{
	struct synshadow_event *e = cookie_check_record(SS_EVENT_ACK, SS_HOOK_COOKIE_CHECK_ENTRY, sk, skb, v6_hook);

	if (!e)
		return;
	remember_segment(e, sock_netns_cookie(sk));
	event_submit(e);
}

static __always_inline void on_cookie_check_exit(const struct sock *sk, const struct sk_buff *skb,
						 const struct sock *ret, bool v6_hook)
{
	struct synshadow_event *e = cookie_check_record(SS_EVENT_COOKIE_CHECK_DONE, SS_HOOK_COOKIE_CHECK_EXIT, sk, skb,
							v6_hook);

	if (!e)
		return;
	e->result = (__u64)ret;
	if (ret && ret != sk)
		e->child = (__u64)ret;
	event_submit(e);
}

static __always_inline void submit_accept(struct synshadow_event *e, const struct sock *sk, __u64 ret)
{
	fill_listener(e, sk);
	e->child = ret;
	e->result = ret;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->flags |= SS_FLAG_OWNER_KNOWN;
	event_submit(e);
}

static __always_inline void on_csk_accept_exit(const struct sock *sk, __u64 ret)
{
	struct synshadow_event *e;

	stall_accept_exit();
	if (ret && listener_admits(sk)) {
		/* Out of the queue whether or not the record fits in the ring. */
		bpf_map_delete_elem(&queued_children, &ret);
		e = reserve_sock_record(SS_EVENT_ACCEPT, SS_HOOK_CSK_ACCEPT_EXIT, (struct sock_common *)ret, false);
		if (e)
			submit_accept(e, sk, ret);
	}
	/* Out of flight once the record is submitted (see on_accept_exit). */
	accept_finished();
}

/* fentry/fexit: BPF trampolines, typed arguments. */

/* tcp_v{4,6}_conn_request and cookie_v{4,6}_check take (listener, skb) in
 * both families and share their handlers (`v6`: which of the two ran). */
#define FENTRY_PAIR(function, name, v6, on_entry, on_exit, ret_type)                                    \
	SEC("fentry/" #function)                                                                        \
	int BPF_PROG(ss_fentry_##name, struct sock *sk, struct sk_buff *skb)                            \
	{                                                                                               \
		RETURN_IF_IDLE(0);                                                                      \
		on_entry(sk, skb, v6);                                                                  \
		return 0;                                                                               \
	}                                                                                               \
	SEC("fexit/" #function)                                                                         \
	int BPF_PROG(ss_fexit_##name, struct sock *sk, struct sk_buff *skb, ret_type ret)               \
	{                                                                                               \
		RETURN_IF_IDLE(0);                                                                      \
		on_exit(sk, skb, ret, v6);                                                              \
		return 0;                                                                               \
	}

FENTRY_PAIR(tcp_v4_conn_request, v4_conn_request, false, on_conn_request_entry, on_conn_request_exit, int)
FENTRY_PAIR(tcp_v6_conn_request, v6_conn_request, true, on_conn_request_entry, on_conn_request_exit, int)

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

FENTRY_PAIR(cookie_v4_check, cookie_v4_check, false, on_cookie_check_entry, on_cookie_check_exit, struct sock *)
FENTRY_PAIR(cookie_v6_check, cookie_v6_check, true, on_cookie_check_entry, on_cookie_check_exit, struct sock *)

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

/* The kprobe twins of FENTRY_PAIR: the entry keeps (sk, skb) for the return. */
#define KPROBE_PAIR(function, name, v6, hook, on_entry, on_exit, ret_type)                              \
	SEC("kprobe/" #function)                                                                        \
	int BPF_KPROBE(ss_kprobe_##name, struct sock *sk, struct sk_buff *skb)                          \
	{                                                                                               \
		RETURN_IF_IDLE(0);                                                                      \
		on_entry(sk, skb, v6);                                                                  \
		save_entry_args(hook, (__u64)sk, (__u64)skb, 0, 0, 0);                                  \
		return 0;                                                                               \
	}                                                                                               \
	SEC("kretprobe/" #function)                                                                     \
	int BPF_KRETPROBE(ss_kretprobe_##name, ret_type ret)                                            \
	{                                                                                               \
		RETURN_IF_IDLE(0);                                                                      \
		struct entry_args args;                                                                 \
                                                                                                        \
		if (take_entry_args(hook, &args))                                                       \
			on_exit((struct sock *)args.sk, (struct sk_buff *)args.skb, ret, v6);           \
		return 0;                                                                               \
	}

KPROBE_PAIR(tcp_v4_conn_request, v4_conn_request, false, SS_HOOK_CONN_REQUEST_ENTRY,
	    on_conn_request_entry, on_conn_request_exit, int)
KPROBE_PAIR(tcp_v6_conn_request, v6_conn_request, true, SS_HOOK_CONN_REQUEST_ENTRY,
	    on_conn_request_entry, on_conn_request_exit, int)

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

KPROBE_PAIR(cookie_v4_check, cookie_v4_check, false, SS_HOOK_COOKIE_CHECK_ENTRY,
	    on_cookie_check_entry, on_cookie_check_exit, void *)
KPROBE_PAIR(cookie_v6_check, cookie_v6_check, true, SS_HOOK_COOKIE_CHECK_ENTRY,
	    on_cookie_check_entry, on_cookie_check_exit, void *)

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

