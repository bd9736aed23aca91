/* SPDX-License-Identifier: GPL-2.0 */
/*
 * segment.bpf.h — correlating a flow's steps on one CPU: the last segment
 * that reached a listener (last_segment), the last one the filters turned
 * away (filtered_flow), and the children still in an accept queue
 * (queued_children).
 */
#ifndef SYNSHADOW_SEGMENT_BPF_H
#define SYNSHADOW_SEGMENT_BPF_H

#include "config.bpf.h"

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
 * and find no last segment: this tells "filtered" from "lost" for them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flow_key);
} filtered_flow SEC(".maps");

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

#endif /* SYNSHADOW_SEGMENT_BPF_H */
