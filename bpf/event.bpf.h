/* SPDX-License-Identifier: GPL-2.0 */
/*
 * event.bpf.h — the ring buffer, the per-CPU counters, and a record's life:
 * reserved (event_reserve), filled by the hook, then submitted
 * (event_submit) or, when a filter turns its flow away, discarded and
 * counted as `filtered` (event_discard_filtered).
 */
#ifndef SYNSHADOW_EVENT_BPF_H
#define SYNSHADOW_EVENT_BPF_H

#include "config.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SS_DEFAULT_RING_BYTES); /* the loader may resize it (ring_bytes) */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct synshadow_counters);
} counters SEC(".maps");

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

/*
 * `filtered` counts the records the session's filters kept out of the ring:
 * one for each record a hook would have written, had the traffic in front of
 * it not been turned away by the port, netns, address, family or owner
 * filters (or been another SynShadow's self-check). A hook counts it whether
 * the filter decided before the record was reserved (filtered_out) or after
 * (event_discard_filtered), so the figure means the same in every tier.
 */
static __always_inline void filtered_out(void)
{
	struct synshadow_counters *c = local_counters();

	if (c)
		c->filtered++;
}

/* A reserved record whose flow a filter turned away. */
static __always_inline void event_discard_filtered(struct synshadow_event *e)
{
	bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
	filtered_out();
}

/* A reserved record that turned out to be none (not a TCP segment, or not
 * the kind the hook reports): not filtered, simply not written. */
static __always_inline void event_cancel(struct synshadow_event *e)
{
	bpf_ringbuf_discard(e, BPF_RB_NO_WAKEUP);
}

#endif /* SYNSHADOW_EVENT_BPF_H */
