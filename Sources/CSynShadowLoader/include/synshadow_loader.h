/*
 * synshadow_loader.h — a thin C layer over libbpf for the Swift side.
 *
 * It opens the embedded BPF object, writes the configuration Swift built
 * (struct synshadow_config, synshadow_abi.h) into it, loads and attaches
 * exactly the programs Swift names, and hands ring-buffer records to a
 * callback. Everything that decides anything (which tier, which programs,
 * what a record means) lives in Swift; this file only talks to libbpf, so
 * that Swift never has to.
 */
#ifndef SYNSHADOW_LOADER_H
#define SYNSHADOW_LOADER_H

#include <stddef.h>
#include <stdint.h>
#include "synshadow_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ss_loader;

/* Called for each ring-buffer record, in order, from ss_loader_drain(). */
typedef int (*ss_record_fn)(void *context, void *data, size_t size);

/* A BPF program to load and attach (its name in bpf/synshadow.bpf.c), and
 * the hooks whose records it makes: bits 1 << enum synshadow_hook. */
/* A primary/cover pair on one hook (bpf/cover.bpf.h): the primary's skipped
 * runs less the counters' `covered_runs` for its hook are lost; the cover's
 * cost nothing. */
#define SS_PROGRAM_PRIMARY 1u
#define SS_PROGRAM_COVER 2u

struct ss_program {
	const char *name;
	uint32_t hooks;
	uint32_t flags;		/* SS_PROGRAM_* */
};

struct ss_loader_options {
	const void *object;		/* the BPF ELF object */
	size_t object_size;
	struct synshadow_config config;	/* written whole into the object's .rodata.config */
	const struct ss_program *programs; /* the tier's programs (Swift's tier table): only these load */
	size_t program_count;
	const char *cgroup_path;	/* cgroup v2 directory to attach sock_ops/cgroup_skb at */
	ss_record_fn on_record;
	void *context;
};

/*
 * Opens, loads and attaches. On failure returns a negative errno, writes a
 * one-line reason into error, and leaves nothing attached.
 */
int ss_loader_open(const struct ss_loader_options *options, struct ss_loader **out,
		   char *error, size_t error_size);

/* What one drain read, and how far it proves the stream read. */
struct ss_drain_result {
	uint64_t records;	/* handed to on_record */
	int caught_up;		/* every record reserved before the drain began was read */
	uint64_t watermark_ns;	/* when caught up: no record stamped (CLOCK_MONOTONIC,
				 * bpf_ktime_get_ns) before this time remains unread */
	uint64_t busy_records;	/* a record another CPU was still writing ended the drain */
};

/* Sleeps up to timeout_ms unless woken (0: not at all), then consumes every
 * record committed before it began. Returns the number of records handed to
 * on_record, or a negative errno; `result` says whether it caught up. */
int ss_loader_drain(struct ss_loader *loader, int timeout_ms, struct ss_drain_result *result);

/* CLOCK_MONOTONIC in nanoseconds: the clock of bpf_ktime_get_ns(). */
uint64_t ss_monotonic_ns(void);

/*
 * A BPF ring buffer as the kernel lays it out in memory: the consumer
 * position (written by the reader), the producer position, and the data
 * area (mapped twice in a row, so a record that wraps reads contiguously).
 * ss_loader_drain() reads the session's ring through one; it is public so
 * the watermark proof can be exercised on memory laid out by hand.
 */
struct ss_ring_view {
	unsigned long *consumer_position;
	const unsigned long *producer_position;
	const uint8_t *data;
	size_t data_size;		/* a power of two */
};

/* Consumes every record committed before the producer position read at the
 * start (waiting up to 200 us for one still being written, then giving up
 * the proof), hands each to on_record, and fills `result`. Returns the
 * number of records handed over. */
int ss_ring_view_drain(const struct ss_ring_view *view, ss_record_fn on_record, void *context,
		       struct ss_drain_result *result);

/* Runs the iter/tcp snapshot: records for existing listeners, requests and
 * queued children enter the ring buffer like any other event. */
int ss_loader_snapshot(struct ss_loader *loader);

/* Sums the per-CPU counters. */
int ss_loader_counters(struct ss_loader *loader, struct synshadow_counters *sum);

/* Runs of our programs the kernel skipped (bpf_prog_info.recursion_misses):
 * it never runs a tracing program nested in another on the same CPU (a
 * softirq interrupting one, say), and counts the run it skipped instead.
 * Each skipped run is an event lost as surely as a full ring's, unless a
 * cover program took it (SS_PROGRAM_PRIMARY/COVER). A kprobe's own misses
 * (the kernel did not run it at all: nested in another kprobe, or a
 * kretprobe out of instances; from the link's info, kernels 6.7 and later)
 * count the same way. `per_hook` gets each
 * program's figure under every hook it serves; `total` counts each program
 * once. `overcovered`: runs its cover took beyond those the kernel skipped
 * for a primary, events taken twice; bpf/cover.bpf.h makes that impossible,
 * and this proves it on every run. 0, or a negative errno. */
int ss_loader_skipped_runs(struct ss_loader *loader, uint64_t per_hook[SS_HOOK_MAX], uint64_t *total,
			   uint64_t *overcovered);

/* Tells the kernel side who owns a listener found by the snapshot, and
 * whether it passes the owner filters (decided by user space from /proc). */
int ss_loader_set_listener_owner(struct ss_loader *loader, uint64_t listener,
				 uint32_t tgid, uint32_t netns, uint16_t port, const char *comm, int wanted);

/* Drop reasons with a name: values of enum skb_drop_reason below this bound
 * (the kernel's enum stays far below it). */
#define SS_DROP_REASON_MAX 512

/* Name of an skb_drop_reason value from the running kernel's BTF, without
 * the SKB_DROP_REASON_ prefix; NULL when unknown (and at SS_DROP_REASON_MAX or above). */
const char *ss_loader_drop_reason_name(struct ss_loader *loader, uint32_t reason);

/* Kernel memory charged to the session's maps ("memlock" in fdinfo), and
 * the largest entry count any of them may hold. */
long long ss_loader_map_memory(struct ss_loader *loader);

/* Whether a hook's program is attached now (ss_loader_set_attached detaches). */
int ss_loader_hook_attached(struct ss_loader *loader, int hook);

/* Detaches every hook (programs, maps and ring stay loaded) when `attached`
 * is 0, attaches them again when it is 1. `synshadow bench` alternates the
 * two within one load to compare traced and untraced windows side by side.
 * 0, or a negative errno with `error` filled. */
int ss_loader_set_attached(struct ss_loader *loader, int attached, char *error, size_t error_size);

/* Keeps every hook attached but makes each return at once when `idle` is 1
 * (0 resumes): what the kernel's dispatch of the hooks costs by itself,
 * apart from SynShadow's work, for `synshadow bench`. Takes effect on the
 * next hook run. 0, or a negative errno. */
int ss_loader_set_idle(struct ss_loader *loader, int idle);

/* Attaches the sock_ops and cgroup_skb programs at a second cgroup as well,
 * until ss_loader_detach_cgroup_too: the start-up self-check's own sockets
 * live in SynShadow's cgroup, which a `--cgroup` attach point may not cover.
 * The caller must choose a cgroup that neither contains nor lies inside the
 * session's, or a socket would run each program twice. 0, or a negative
 * errno with `error` filled (nothing stays attached at the second cgroup). */
int ss_loader_attach_cgroup_too(struct ss_loader *loader, const char *path, char *error, size_t error_size);

/* Undoes ss_loader_attach_cgroup_too; nothing when there is none. */
void ss_loader_detach_cgroup_too(struct ss_loader *loader);

/* One loaded program's run statistics, counted by the kernel while BPF
 * run-time statistics are on (ss_enable_bpf_stats). */
struct ss_program_stats {
	char name[16];
	uint64_t run_time_ns;
	uint64_t run_count;
	uint64_t recursion_misses;
};

/* The session's number of loaded programs. */
size_t ss_loader_program_count(struct ss_loader *loader);

/* Statistics of loaded program `index` (< ss_loader_program_count). 0, or
 * a negative errno. */
int ss_loader_program_stats(struct ss_loader *loader, size_t index, struct ss_program_stats *stats);

/* Turns on the kernel's BPF run-time statistics (run_time_ns, run_cnt) for
 * as long as the returned descriptor stays open; a negative errno when the
 * kernel refuses. They cost two clock reads per program run. */
int ss_enable_bpf_stats(void);

/* Sums the statistics of every BPF program on the machine whose name starts
 * with `prefix` and that was loaded at or after `loaded_since_ns` (boot-time
 * nanoseconds): another process's session, which `synshadow bench` measures
 * from outside. The number of programs summed, or a negative errno. */
int ss_bpf_programs_run_time(const char *prefix, uint64_t loaded_since_ns, uint64_t *run_time_ns,
			     uint64_t *run_count);

/* Detaches everything and frees. Safe on NULL. */
void ss_loader_close(struct ss_loader *loader);

/* Whether the running kernel's BTF has struct `type` with member `member`
 * (1/0), or a negative errno when there is no BTF to ask. */
int ss_kernel_has_member(const char *type, const char *member);

/* Whether the running kernel offers tracepoint `name` as a BTF raw
 * tracepoint (its btf_trace_<name> typedef is in vmlinux BTF): 1/0, or a
 * negative errno when there is no BTF to ask. */
int ss_kernel_has_btf_tracepoint(const char *name);

/* The last libbpf diagnostics (verifier log tail), for --verbose. */
const char *ss_loader_last_log(void);

#ifdef __cplusplus
}
#endif

#endif /* SYNSHADOW_LOADER_H */
