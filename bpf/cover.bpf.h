/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cover.bpf.h — a second program on a hook, taking the runs the kernel skips.
 *
 * The kernel never runs a BPF tracing program nested in itself on a CPU: it
 * skips the inner run and counts it (bpf_prog_info.recursion_misses). A hook
 * that fires both in tasks and in softirqs loses the softirq's event whenever
 * the softirq interrupts the task's run of the program: a server closing one
 * socket while a packet changes another's state, for instance.
 *
 * So such a hook gets two programs, the primary attached first. Each run of
 * the primary that completes leaves a receipt for its event, per CPU; the
 * cover, running after it on the same hook, takes back the receipt of its
 * own event, or, finding none, knows the kernel skipped the primary for this
 * event and takes the event itself (counted in `covered_runs`). A receipt is
 * the hook's arguments (a socket and its transition: two runs nested on one
 * CPU never share them), and a few are kept because a receipt may wait while
 * an interrupt's run leaves another.
 *
 * The primary's skipped runs less the covered ones are the events really
 * lost (the loader reports that difference). The cover's own skipped runs
 * cost nothing: it is skipped only when it is itself interrupted, and the
 * interrupting run's primary is free then.
 */
#ifndef SYNSHADOW_COVER_BPF_H
#define SYNSHADOW_COVER_BPF_H

#include "event.bpf.h"

#define SS_RECEIPTS 4

struct cover_receipts {
	__u64 key[SS_RECEIPTS];
	__u64 detail[SS_RECEIPTS];
	__u32 next;
};

/* One set of receipts per covered hook, by the hook's pair number. */
enum cover_pair {
	SS_COVER_SET_STATE,
	SS_COVER_KFREE_SKB,
	SS_COVER_PAIRS,
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SS_COVER_PAIRS);
	__type(key, __u32);
	__type(value, struct cover_receipts);
} cover_receipts SEC(".maps");

/* The primary's last step: its event is taken. */
static __always_inline void leave_receipt(__u32 pair, __u64 key, __u64 detail)
{
	struct cover_receipts *r = bpf_map_lookup_elem(&cover_receipts, &pair);
	__u32 slot;

	if (!r)
		return;
	slot = r->next & (SS_RECEIPTS - 1);
	r->key[slot] = key;
	r->detail[slot] = detail;
	r->next = slot + 1;
}

/* The cover's question: did the kernel skip the primary for this event?
 * Takes the receipt back when it did not; counts the run when it did. */
static __always_inline bool primary_skipped(__u32 pair, __u8 hook, __u64 key, __u64 detail)
{
	struct cover_receipts *r = bpf_map_lookup_elem(&cover_receipts, &pair);
	struct synshadow_counters *c;

	if (!r)
		return false;
#pragma unroll
	for (int i = 0; i < SS_RECEIPTS; i++) {
		if (r->key[i] == key && r->detail[i] == detail) {
			r->key[i] = 0;
			return false;
		}
	}
	c = local_counters();
	if (c)
		c->covered_runs[hook & (SS_HOOK_MAX - 1)]++;
	return true;
}
#endif /* SYNSHADOW_COVER_BPF_H */
