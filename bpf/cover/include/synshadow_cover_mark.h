/*
 * synshadow_cover_mark.h — how the cover of a primary/cover pair (see
 * bpf/cover.bpf.h) knows that the kernel skipped the primary, as plain C
 * on one CPU's mark.
 *
 * The kernel skips a tracing program for one reason only: the same program
 * is already running on this CPU, and this hook call interrupted it.
 *
 * - While the primary does its work it marks the CPU: a cover finding the
 *   mark runs in a call that interrupted the primary, so the kernel skipped
 *   the primary for it, and the cover takes the event.
 * - A call can also interrupt the kernel's entry to or exit from the
 *   primary, outside the mark. For those the primary leaves a receipt of
 *   each event it took, one per context level (task, softirq, hardirq, NMI:
 *   a level never nests in itself on a CPU, and the hook's programs run with
 *   preemption off, so nothing of the same level comes between a call's two
 *   programs). The cover takes the event when its level's receipt is not for
 *   its own call.
 *
 * Neither can make the cover take an event the primary took: duplicates are
 * impossible. Where the level is unknown (the kernel does not list the
 * preempt count in /proc/kallsyms, as on 6.18 without KALLSYMS_ALL), the
 * receipts go in a small book instead (below), which could be overrun only
 * by more calls nested at one instant than a CPU makes; the loader counts
 * any event taken twice, so even that could not pass unseen.
 *
 * The design before this had receipts in a ring of four slots handed out in
 * turn: four state changes nested between the two programs wrote over the
 * task's receipt, and its cover took the task's event a second time (a
 * listener "closed twice" in a 6.12 guest).
 *
 * Pure: no BPF helper, no map. The BPF programs compile it with clang
 * -target bpf; the host compiles it too (the CoverMark module), so the tests
 * drive it through the nestings a CPU really goes through.
 */
#ifndef SYNSHADOW_COVER_MARK_H
#define SYNSHADOW_COVER_MARK_H

#include "synshadow_abi.h"

#if defined(__bpf__)
#define SS_COVER_INLINE static __always_inline
#else
#include <stdbool.h>
#define SS_COVER_INLINE static inline
#endif

/* Context levels with a receipt each: task, softirq, hardirq, NMI. */
#define SS_COVER_LEVELS 4
/* The level is not known on this kernel: see the book below. */
#define SS_COVER_LEVEL_UNKNOWN (-1)
/* Receipts kept where the level is unknown. */
#define SS_COVER_BOOK 8

/* One CPU's mark for one hook. */
struct cover_mark {
	/* Per level: the last event the primary took there (0: none, or taken back). */
	ss_u64 receipt_key[SS_COVER_LEVELS];
	ss_u64 receipt_detail[SS_COVER_LEVELS];
	/*
	 * Where the level is unknown, receipts go in a book instead: a free
	 * slot, else over the oldest, `order` counting from 1 (0: free). The
	 * receipts awaited are the newest, one per nesting level; a run nested
	 * in a cover has its own cover skipped and leaves none (`covering`).
	 * Only more than SS_COVER_BOOK calls nested in the few instructions
	 * before a cover's first step could write over an awaited receipt: the
	 * loader's duplicated-events count would show it.
	 */
	ss_u64 book_key[SS_COVER_BOOK];
	ss_u64 book_detail[SS_COVER_BOOK];
	ss_u64 book_order[SS_COVER_BOOK];
	ss_u64 book_left;
	/* Nonzero while the hook's primary does its work on this CPU. */
	ss_u32 primary_running;
	/* Covers running on this CPU now. */
	ss_u32 covering;
	/* Where this CPU's preempt count is (the BPF side's, for the level). */
	ss_u64 count_address;
};

/* The primary's first step. */
SS_COVER_INLINE void cover_mark_primary_start(struct cover_mark *m)
{
	m->primary_running = 1;
}

SS_COVER_INLINE void cover_book_leave(struct cover_mark *m, ss_u64 key, ss_u64 detail)
{
	ss_u64 oldest = m->book_order[0];
	ss_u32 slot = 0;

	if (m->covering)
		return;
#pragma unroll
	for (int i = 1; i < SS_COVER_BOOK; i++) {
		if (m->book_order[i] < oldest) {
			oldest = m->book_order[i];
			slot = i;
		}
	}
	slot &= SS_COVER_BOOK - 1;
	m->book_left++;
	m->book_key[slot] = key;
	m->book_detail[slot] = detail;
	m->book_order[slot] = m->book_left;
}

/* Takes back the newest receipt for the event. Leftovers (receipts whose
 * cover the kernel skipped) stay until they are the oldest and are written
 * over: clearing them here could clear an awaited receipt when a leftover
 * of the same socket and transition passed for this call's. */
SS_COVER_INLINE bool cover_book_take(struct cover_mark *m, ss_u64 key, ss_u64 detail)
{
	ss_u64 found = 0;
	ss_u32 slot = 0;

#pragma unroll
	for (int i = 0; i < SS_COVER_BOOK; i++) {
		if (m->book_order[i] > found && m->book_key[i] == key && m->book_detail[i] == detail) {
			found = m->book_order[i];
			slot = i;
		}
	}
	if (!found)
		return false;
	m->book_order[slot & (SS_COVER_BOOK - 1)] = 0;
	return true;
}

/* The primary's last step: it took the event (`key`, `detail`: the hook's
 * arguments, never both 0) at `level`. */
SS_COVER_INLINE void cover_mark_primary_end(struct cover_mark *m, int level, ss_u64 key, ss_u64 detail)
{
	if (level >= 0 && level < SS_COVER_LEVELS) {
		m->receipt_key[level] = key;
		m->receipt_detail[level] = detail;
	} else {
		cover_book_leave(m, key, detail);
	}
	m->primary_running = 0;
}

/* The cover's first step. */
SS_COVER_INLINE void cover_mark_cover_start(struct cover_mark *m)
{
	m->covering++;
}

/* The cover's last step. Receipts of levels above its own are of calls that
 * interrupted this one and are over: a receipt still there is one whose
 * cover the kernel skipped (it ran inside this cover). It goes, so that it
 * cannot pass for a later call's. */
SS_COVER_INLINE void cover_mark_cover_end(struct cover_mark *m, int level)
{
#pragma unroll
	for (int above = 1; above < SS_COVER_LEVELS; above++) {
		if (above > level && level >= 0) {
			m->receipt_key[above] = 0;
			m->receipt_detail[above] = 0;
		}
	}
	if (m->covering)
		m->covering--;
}

/* The cover's question: did the kernel skip the primary for this call? */
SS_COVER_INLINE bool cover_mark_primary_skipped(struct cover_mark *m, int level, ss_u64 key, ss_u64 detail)
{
	if (m->primary_running)
		return true;
	if (level < 0 || level >= SS_COVER_LEVELS)
		return !cover_book_take(m, key, detail);
	if (m->receipt_key[level] == key && m->receipt_detail[level] == detail) {
		m->receipt_key[level] = 0;
		m->receipt_detail[level] = 0;
		return false;
	}
	return true;
}

#endif /* SYNSHADOW_COVER_MARK_H */
