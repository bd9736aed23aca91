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
 * So such a hook gets two programs, the primary attached first, and the
 * cover after it. The primary marks its CPU while it works and leaves a
 * receipt of each event it took for its context level (task, softirq, ...);
 * the cover takes the event only when its call interrupted the primary: it
 * finds the mark, or no receipt of its own event at its level. It is then
 * counted in `covered_runs`. The mark and the receipts, pure C the host tests
 * drive through every nesting, are cover/include/synshadow_cover_mark.h.
 *
 * The primary's skipped runs less the covered ones are the events really
 * lost (the loader reports that difference). The cover's own skipped runs
 * cost nothing: it is skipped only when it is itself interrupted, and the
 * interrupting run's primary is free then.
 */
#ifndef SYNSHADOW_COVER_BPF_H
#define SYNSHADOW_COVER_BPF_H

#include "event.bpf.h"
#include "synshadow_cover_mark.h"

/* One mark per covered hook, by the hook's pair number. */
enum cover_pair {
	SS_COVER_SET_STATE,
	SS_COVER_KFREE_SKB,
	SS_COVER_PAIRS,
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SS_COVER_PAIRS);
	__type(key, __u32);
	__type(value, struct cover_mark);
} cover_marks SEC(".maps");

/* The CPU's preempt count, where the kernel keeps it: in pcpu_hot (x86,
 * Linux 6.2 to 6.14) or in its own per-CPU variable (before and after).
 * Untyped symbols, from /proc/kallsyms: one the kernel does not list (6.18
 * lists neither) is 0, and the level is unknown there. A typed symbol would
 * fail the whole program's load when the kernel cannot find its address. */
extern const void __preempt_count __ksym __weak;
extern const void pcpu_hot __ksym __weak;
extern const void __per_cpu_offset __ksym __weak;
struct pcpu_hot___ss {
	int preempt_count;
} __attribute__((preserve_access_index));

/* This call's context level: 0 task, 1 softirq, 2 hardirq, 3 NMI (the
 * kernel's NMI_MASK, HARDIRQ_MASK and SOFTIRQ_OFFSET), or unknown. The
 * count's address on this CPU is worked out once and kept in the mark. */
static __always_inline int context_level(struct cover_mark *m)
{
#if defined(__TARGET_ARCH_x86)
	int count = 0;

	if (!m->count_address) {
		__u64 base = 0, offset = 0;
		__u32 cpu = bpf_get_smp_processor_id();

		if (!&__per_cpu_offset)
			return SS_COVER_LEVEL_UNKNOWN;
		if (&pcpu_hot && bpf_core_type_exists(struct pcpu_hot___ss))
			base = (__u64)&pcpu_hot + bpf_core_field_offset(struct pcpu_hot___ss, preempt_count);
		else if (&__preempt_count)
			base = (__u64)&__preempt_count;
		if (!base || bpf_probe_read_kernel(&offset, sizeof(offset),
						   (const char *)&__per_cpu_offset + (__u64)(cpu & 0xfff) * 8))
			return SS_COVER_LEVEL_UNKNOWN;
		m->count_address = base + offset;
	}
	if (bpf_probe_read_kernel(&count, sizeof(count), (const void *)m->count_address))
		return SS_COVER_LEVEL_UNKNOWN;
	if (count & 0x00f00000)
		return 3;
	if (count & 0x000f0000)
		return 2;
	if (count & 0x00000100)
		return 1;
	return 0;
#else
	return SS_COVER_LEVEL_UNKNOWN;
#endif
}

/* The primary's first step: marks this CPU. Pass the result to
 * primary_done() as its last step, with the hook's arguments. */
static __always_inline struct cover_mark *primary_start(__u32 pair)
{
	struct cover_mark *m = bpf_map_lookup_elem(&cover_marks, &pair);

	if (m)
		cover_mark_primary_start(m);
	return m;
}

static __always_inline void primary_done(struct cover_mark *m, __u64 key, __u64 detail)
{
	if (m)
		cover_mark_primary_end(m, context_level(m), key, detail);
}

/* The cover's first step and question: did the kernel skip the primary for
 * this call? Counts the run when it did. Its last step is cover_done(),
 * given the `level` this step read (read once: it costs a kernel read). */
static __always_inline bool primary_skipped(__u32 pair, __u8 hook, __u64 key, __u64 detail, int *level)
{
	struct cover_mark *m = bpf_map_lookup_elem(&cover_marks, &pair);
	struct synshadow_counters *c;

	*level = SS_COVER_LEVEL_UNKNOWN;
	if (!m)
		return false;
	cover_mark_cover_start(m);
	*level = context_level(m);
	if (!cover_mark_primary_skipped(m, *level, key, detail))
		return false;
	c = local_counters();
	if (c)
		c->covered_runs[hook & (SS_HOOK_MAX - 1)]++;
	return true;
}

static __always_inline void cover_done(__u32 pair, int level)
{
	struct cover_mark *m = bpf_map_lookup_elem(&cover_marks, &pair);

	if (m)
		cover_mark_cover_end(m, level);
}
#endif /* SYNSHADOW_COVER_BPF_H */
