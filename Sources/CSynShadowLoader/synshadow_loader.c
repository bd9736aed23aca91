// SPDX-License-Identifier: GPL-2.0
/*
 * synshadow_loader.c — opens, configures, loads and attaches the BPF object
 * with plain libbpf calls (no generated skeleton), and drains its ring buffer.
 */
#include "synshadow_loader.h"
#include "ring_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

/* One of the programs Swift asked for, once loaded. */
struct loaded_program {
	struct bpf_program *program;
	struct bpf_link *link;
	uint32_t hooks;		/* bits of 1 << enum synshadow_hook */
	uint32_t flags;		/* SS_PROGRAM_* */
};

struct ss_loader {
	struct bpf_object *object;
	struct ss_ring_reader ring;
	bool ring_open;
	ss_record_fn on_record;
	void *context;
	struct loaded_program *programs;	/* what Swift's tier table handed over */
	size_t program_count;
	struct bpf_link *iter_link;
	int cgroup_fd;			/* where sock_ops and cgroup_skb attach */
	struct bpf_link **extra_cgroup_links;	/* ss_loader_attach_cgroup_too */
	int counters_fd;
	int owners_fd;
	int cpu_count;
	uint32_t attached_hooks;
	struct btf *vmlinux_btf;
	const char *drop_reasons[SS_DROP_REASON_MAX];
	bool drop_reasons_loaded;
};

/* ---- libbpf diagnostics: kept, not printed, so callers decide ---------- */

static char last_log[16384];
static size_t last_log_length;

/* libbpf prints a failed program's whole verifier log in one call; its last
 * lines say what failed, so the tail of everything printed is kept. */
static int capture_libbpf_print(enum libbpf_print_level level, const char *format, va_list args)
{
	static char message[1 << 20];
	const char *text = message;
	int n;

	if (level == LIBBPF_DEBUG)
		return 0;
	n = vsnprintf(message, sizeof(message), format, args);
	if (n <= 0)
		return 0;
	if ((size_t)n >= sizeof(message))
		n = sizeof(message) - 1;
	if ((size_t)n >= sizeof(last_log) / 2) {
		text += n - sizeof(last_log) / 2;
		n = sizeof(last_log) / 2;
	}
	if (last_log_length + (size_t)n >= sizeof(last_log)) {
		size_t keep = sizeof(last_log) / 2 - 1;

		if (keep > last_log_length)
			keep = last_log_length;
		memmove(last_log, last_log + last_log_length - keep, keep);
		last_log_length = keep;
	}
	memcpy(last_log + last_log_length, text, (size_t)n);
	last_log_length += (size_t)n;
	last_log[last_log_length] = '\0';
	return 0;
}

const char *ss_loader_last_log(void)
{
	return last_log;
}

static int fail(char *error, size_t error_size, int err, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	vsnprintf(error, error_size, format, args);
	va_end(args);
	return err < 0 ? err : -err;
}

/* ---- configuration ----------------------------------------------------- */

/* A data section the BPF object keeps one variable in (".rodata.config",
 * ".data.idle"): libbpf makes each such section a map of its own. */
static struct bpf_map *section_map(struct bpf_object *object, const char *section, size_t size)
{
	struct bpf_map *map = bpf_object__find_map_by_name(object, section);
	size_t section_size = 0;

	if (!map || !bpf_map__initial_value(map, &section_size) || section_size != size)
		return NULL;
	return map;
}

/* ---- attach ------------------------------------------------------------ */

static bool is_cgroup_program(const struct bpf_program *program)
{
	enum bpf_prog_type type = bpf_program__type(program);

	return type == BPF_PROG_TYPE_CGROUP_SKB || type == BPF_PROG_TYPE_SOCK_OPS;
}

static bool is_iterator(const struct bpf_program *program)
{
	return bpf_program__expected_attach_type(program) == BPF_TRACE_ITER;
}

/* Attaches as the program's section says: a tracepoint, kprobe or fentry by
 * itself; sock_ops and cgroup_skb on the session's cgroup (the cgroup v2
 * root, or the one `--cgroup` names); iter/tcp as an
 * iterator, read on demand (ss_loader_snapshot). */
static int attach_program(struct ss_loader *loader, struct loaded_program *loaded, char *error, size_t error_size)
{
	struct bpf_link *link;
	int err;

	if (is_cgroup_program(loaded->program))
		link = bpf_program__attach_cgroup(loaded->program, loader->cgroup_fd);
	else if (is_iterator(loaded->program))
		link = bpf_program__attach_iter(loaded->program, NULL);
	else
		link = bpf_program__attach(loaded->program);
	err = -errno;
	if (!link)
		return fail(error, error_size, err, "attaching %s failed: %s", bpf_program__name(loaded->program),
			    strerror(-err));
	if (is_iterator(loaded->program))
		loader->iter_link = link;
	else
		loaded->link = link;
	loader->attached_hooks |= loaded->hooks;
	return 0;
}

/* Loads exactly the programs named: every other one stays out. */
static int select_programs(struct ss_loader *loader, const struct ss_loader_options *options, char *error,
			   size_t error_size)
{
	struct bpf_program *program;
	size_t i;

	bpf_object__for_each_program(program, loader->object)
		bpf_program__set_autoload(program, false);
	loader->programs = calloc(options->program_count, sizeof(*loader->programs));
	if (!loader->programs && options->program_count)
		return fail(error, error_size, -ENOMEM, "out of memory");
	for (i = 0; i < options->program_count; i++) {
		const struct ss_program *wanted = &options->programs[i];

		program = bpf_object__find_program_by_name(loader->object, wanted->name);
		if (!program)
			return fail(error, error_size, -ENOENT, "program %s missing from the BPF object", wanted->name);
		bpf_program__set_autoload(program, true);
		loader->programs[i].program = program;
		loader->programs[i].hooks = wanted->hooks;
		loader->programs[i].flags = wanted->flags;
		loader->program_count = i + 1;
	}
	return 0;
}

int ss_kernel_has_btf_tracepoint(const char *name)
{
	struct btf *btf = btf__load_vmlinux_btf();
	char typedef_name[128];
	int found;

	if (!btf)
		return -errno;
	snprintf(typedef_name, sizeof(typedef_name), "btf_trace_%s", name);
	found = btf__find_by_name_kind(btf, typedef_name, BTF_KIND_TYPEDEF) > 0;
	btf__free(btf);
	return found;
}

int ss_loader_open(const struct ss_loader_options *options, struct ss_loader **out,
		   char *error, size_t error_size)
{
	struct synshadow_config config = options->config;
	struct ss_loader *loader;
	struct bpf_map *events;
	struct bpf_map *config_map;
	size_t i;
	int err;

	*out = NULL;
	last_log_length = 0;
	last_log[0] = '\0';
	libbpf_set_print(capture_libbpf_print);
	if (!config.wakeup_bytes)
		config.wakeup_bytes = SS_DEFAULT_WAKEUP_BYTES;

	loader = calloc(1, sizeof(*loader));
	if (!loader)
		return fail(error, error_size, -ENOMEM, "out of memory");
	loader->cgroup_fd = -1;

	loader->object = bpf_object__open_mem(options->object, options->object_size, NULL);
	if (!loader->object) {
		err = -errno;
		free(loader);
		return fail(error, error_size, err, "the embedded BPF object did not open: %s", strerror(-err));
	}
	config_map = section_map(loader->object, ".rodata.config", sizeof(config));
	err = config_map ? bpf_map__set_initial_value(config_map, &config, sizeof(config)) : -ENOENT;
	if (err) {
		fail(error, error_size, err, "the BPF object has no .rodata.config section of struct synshadow_config: %s",
		     strerror(-err));
		goto fail_close;
	}
	events = bpf_object__find_map_by_name(loader->object, "events");
	if (events && config.ring_bytes)
		bpf_map__set_max_entries(events, config.ring_bytes);

	/* Kept: the drop-reason names come from it later. */
	loader->vmlinux_btf = btf__load_vmlinux_btf();
	err = select_programs(loader, options, error, error_size);
	if (err)
		goto fail_close;

	err = bpf_object__load(loader->object);
	if (err) {
		fail(error, error_size, err, "loading the BPF programs failed: %s", strerror(-err));
		goto fail_close;
	}

	loader->cgroup_fd = open(options->cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (loader->cgroup_fd < 0) {
		err = fail(error, error_size, -errno, "cannot open the cgroup %s to attach to: %s",
			   options->cgroup_path, strerror(errno));
		goto fail_close;
	}
	for (i = 0; i < loader->program_count; i++) {
		err = attach_program(loader, &loader->programs[i], error, error_size);
		if (err)
			goto fail_close;
	}

	err = ss_ring_reader_open(&loader->ring, bpf_map__fd(events));
	if (err) {
		fail(error, error_size, err, "ring buffer setup failed: %s", strerror(-err));
		goto fail_close;
	}
	loader->ring_open = true;
	loader->on_record = options->on_record;
	loader->context = options->context;
	loader->counters_fd = bpf_object__find_map_fd_by_name(loader->object, "counters");
	loader->owners_fd = bpf_object__find_map_fd_by_name(loader->object, "listener_owners");
	loader->cpu_count = libbpf_num_possible_cpus();
	*out = loader;
	return 0;

fail_close:
	ss_loader_close(loader);
	return err;
}

int ss_loader_drain(struct ss_loader *loader, int timeout_ms, struct ss_drain_result *result)
{
	int err;

	/* Producers rarely wake us: the wait is a bounded sleep, the drain
	 * collects whatever accumulated meanwhile. */
	if (timeout_ms > 0) {
		err = ss_ring_reader_wait(&loader->ring, timeout_ms);
		if (err)
			return err;
	}
	return ss_ring_reader_drain(&loader->ring, loader->on_record, loader->context, result);
}

int ss_loader_snapshot(struct ss_loader *loader)
{
	char buffer[256];
	ssize_t n;
	int fd;

	if (!loader->iter_link)
		return -ENOENT;
	fd = bpf_iter_create(bpf_link__fd(loader->iter_link));
	if (fd < 0)
		return -errno;
	/* The program emits ring-buffer records; the text stream is empty.
	 * They are read by the next drain, in order with everything else (a
	 * table larger than the ring is counted as lost, never dropped silently). */
	while ((n = read(fd, buffer, sizeof(buffer))) > 0)
		;
	close(fd);
	return n < 0 ? -errno : 0;
}

int ss_loader_counters(struct ss_loader *loader, struct synshadow_counters *sum)
{
	struct synshadow_counters *per_cpu;
	uint32_t zero = 0;
	int cpu, i;

	memset(sum, 0, sizeof(*sum));
	per_cpu = calloc((size_t)loader->cpu_count, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(loader->counters_fd, &zero, per_cpu)) {
		int err = -errno;

		free(per_cpu);
		return err;
	}
	for (cpu = 0; cpu < loader->cpu_count; cpu++) {
		for (i = 0; i < SS_HOOK_MAX; i++)
			sum->hook_hits[i] += per_cpu[cpu].hook_hits[i];
		sum->events += per_cpu[cpu].events;
		sum->lost += per_cpu[cpu].lost;
		sum->filtered += per_cpu[cpu].filtered;
		sum->correlation_misses += per_cpu[cpu].correlation_misses;
		sum->wakeups += per_cpu[cpu].wakeups;
		for (i = 0; i < SS_HOOK_MAX; i++)
			sum->covered_runs[i] += per_cpu[cpu].covered_runs[i];
		for (i = 0; i < SS_EVENT_KIND_MAX; i++)
			sum->lost_by_kind[i] += per_cpu[cpu].lost_by_kind[i];
	}
	free(per_cpu);
	return 0;
}

/* bpf_link_info with its perf_event.kprobe member (linux/bpf.h since 6.7;
 * Debian 12's headers predate it), mirrored here: `missed` is the kprobe's
 * nmissed, hits the kernel never handed to our program (the probe fired
 * inside another kprobe's handler on that CPU, or a kretprobe had no free
 * instance: every thread blocked in accept() holds one). Kernels before 6.7
 * leave it 0 (README, attach tiers: the kprobe tier cannot count them there). */
struct ss_perf_link_info {
	uint32_t type;
	uint32_t id;
	uint32_t prog_id;
	uint32_t padding;
	uint32_t perf_event_type;
	uint32_t padding2;
	uint64_t func_name;
	uint32_t name_len;
	uint32_t offset;
	uint64_t addr;
	uint64_t missed;
	uint64_t cookie;
};
_Static_assert(offsetof(struct ss_perf_link_info, perf_event_type) == 16, "bpf_link_info.perf_event.type");
_Static_assert(offsetof(struct ss_perf_link_info, missed) == 48, "bpf_link_info.perf_event.kprobe.missed");

enum {
	SS_LINK_TYPE_PERF_EVENT = 7,	/* BPF_LINK_TYPE_PERF_EVENT */
	SS_PERF_EVENT_KPROBE = 3,	/* BPF_PERF_EVENT_KPROBE */
	SS_PERF_EVENT_KRETPROBE = 4,	/* BPF_PERF_EVENT_KRETPROBE */
};

/* Hits of the kprobe behind `link` the kernel missed; 0 for other links. */
static uint64_t kprobe_missed(struct bpf_link *link)
{
	struct ss_perf_link_info info;
	uint32_t length = sizeof(info);
	int fd = link ? bpf_link__fd(link) : -1;

	if (fd < 0)
		return 0;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &length))
		return 0;
	if (info.type != SS_LINK_TYPE_PERF_EVENT ||
	    (info.perf_event_type != SS_PERF_EVENT_KPROBE && info.perf_event_type != SS_PERF_EVENT_KRETPROBE))
		return 0;
	return info.missed;
}

int ss_loader_skipped_runs(struct ss_loader *loader, uint64_t per_hook[SS_HOOK_MAX], uint64_t *total,
			   uint64_t *overcovered)
{
	struct synshadow_counters counters;
	size_t i;
	int hook;
	int err;

	memset(per_hook, 0, sizeof(uint64_t) * SS_HOOK_MAX);
	*total = 0;
	*overcovered = 0;
	err = ss_loader_counters(loader, &counters);
	if (err)
		return err;
	for (i = 0; i < loader->program_count; i++) {
		struct bpf_prog_info info;
		uint32_t length = sizeof(info);
		uint32_t flags = loader->programs[i].flags;
		int fd = bpf_program__fd(loader->programs[i].program);
		uint64_t lost;

		if (fd < 0 || (flags & SS_PROGRAM_COVER))
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &length))
			return -errno;
		lost = info.recursion_misses + kprobe_missed(loader->programs[i].link);
		if (flags & SS_PROGRAM_PRIMARY) {
			uint64_t covered = 0;

			for (hook = 0; hook < SS_HOOK_MAX; hook++)
				if (loader->programs[i].hooks & (1u << hook))
					covered += counters.covered_runs[hook];
			if (covered > lost)
				*overcovered += covered - lost;
			lost = lost > covered ? lost - covered : 0;
		}
		*total += lost;
		for (hook = 0; hook < SS_HOOK_MAX; hook++)
			if (loader->programs[i].hooks & (1u << hook))
				per_hook[hook] += lost;
	}
	return 0;
}

int ss_loader_set_listener_owner(struct ss_loader *loader, uint64_t listener,
				 uint32_t tgid, uint32_t netns, uint16_t port, const char *comm, int wanted)
{
	struct synshadow_listener_owner owner = { .tgid = tgid, .netns = netns, .port = port, .wanted = wanted != 0 };

	strncpy(owner.comm, comm, sizeof(owner.comm) - 1);
	return bpf_map_update_elem(loader->owners_fd, &listener, &owner, BPF_ANY) ? -errno : 0;
}

static void load_drop_reasons(struct ss_loader *loader)
{
	const struct btf_type *type;
	const struct btf_enum *value;
	int id, i;

	loader->drop_reasons_loaded = true;
	if (!loader->vmlinux_btf)
		return;
	id = btf__find_by_name_kind(loader->vmlinux_btf, "skb_drop_reason", BTF_KIND_ENUM);
	if (id < 0)
		return;
	type = btf__type_by_id(loader->vmlinux_btf, id);
	value = btf_enum(type);
	for (i = 0; i < btf_vlen(type); i++, value++) {
		const char *name = btf__name_by_offset(loader->vmlinux_btf, value->name_off);

		if (value->val < 0 || value->val >= SS_DROP_REASON_MAX || !name)
			continue;
		if (strncmp(name, "SKB_DROP_REASON_", 16) == 0)
			name += 16;
		loader->drop_reasons[value->val] = name;
	}
}

const char *ss_loader_drop_reason_name(struct ss_loader *loader, uint32_t reason)
{
	if (!loader->drop_reasons_loaded)
		load_drop_reasons(loader);
	return reason < SS_DROP_REASON_MAX ? loader->drop_reasons[reason] : NULL;
}

long long ss_loader_map_memory(struct ss_loader *loader)
{
	struct bpf_map *map;
	long long total = 0;

	bpf_object__for_each_map(map, loader->object) {
		char path[64], line[256];
		FILE *info;

		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", bpf_map__fd(map));
		info = fopen(path, "r");
		if (!info)
			continue;
		while (fgets(line, sizeof(line), info)) {
			long long bytes;

			if (sscanf(line, "memlock: %lld", &bytes) == 1)
				total += bytes;
		}
		fclose(info);
	}
	return total;
}

int ss_loader_hook_attached(struct ss_loader *loader, int hook)
{
	return hook >= 0 && hook < SS_HOOK_MAX && (loader->attached_hooks & (1u << hook)) != 0;
}

/* Detaches in the reverse of attach order: a cover program (see
 * bpf/cover.bpf.h) is attached after its primary and detached before it, so
 * it never runs alone and takes every event as one its primary skipped. */
static void detach_all(struct ss_loader *loader)
{
	size_t i;

	for (i = loader->program_count; i-- > 0;) {
		struct loaded_program *loaded = &loader->programs[i];

		if (is_iterator(loaded->program))
			continue;
		bpf_link__destroy(loaded->link);
		loaded->link = NULL;
		loader->attached_hooks &= ~loaded->hooks;
	}
}

int ss_loader_set_attached(struct ss_loader *loader, int attached, char *error, size_t error_size)
{
	size_t i;
	int err;

	if (!attached) {
		detach_all(loader);
		return 0;
	}
	for (i = 0; i < loader->program_count; i++) {
		struct loaded_program *loaded = &loader->programs[i];

		if (is_iterator(loaded->program) || loaded->link)
			continue;
		err = attach_program(loader, loaded, error, error_size);
		if (err)
			return err;
	}
	return 0;
}

int ss_loader_set_idle(struct ss_loader *loader, int idle)
{
	uint32_t value = idle ? 1 : 0;
	uint32_t zero = 0;
	struct bpf_map *map = section_map(loader->object, ".data.idle", sizeof(value));

	if (!map)
		return -ENOENT;
	/* Through the map itself: the image libbpf keeps is the kernel's
	 * memory only where a skeleton (or a newer libbpf) mapped it. */
	return bpf_map__update_elem(map, &zero, sizeof(zero), &value, sizeof(value), BPF_ANY);
}

int ss_loader_attach_cgroup_too(struct ss_loader *loader, const char *path, char *error, size_t error_size)
{
	size_t i;
	int fd;
	int err = 0;

	if (loader->extra_cgroup_links)
		return fail(error, error_size, -EBUSY, "the cgroup programs are already attached at a second cgroup");
	loader->extra_cgroup_links = calloc(loader->program_count ? loader->program_count : 1, sizeof(struct bpf_link *));
	if (!loader->extra_cgroup_links)
		return fail(error, error_size, -ENOMEM, "out of memory");
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = fail(error, error_size, -errno, "cannot open the cgroup %s: %s", path, strerror(errno));
		ss_loader_detach_cgroup_too(loader);
		return err;
	}
	for (i = 0; i < loader->program_count; i++) {
		struct loaded_program *loaded = &loader->programs[i];
		struct bpf_link *link;

		if (!is_cgroup_program(loaded->program))
			continue;
		link = bpf_program__attach_cgroup(loaded->program, fd);
		if (!link) {
			err = -errno;
			fail(error, error_size, err, "attaching %s at %s failed: %s", bpf_program__name(loaded->program),
			     path, strerror(-err));
			break;
		}
		loader->extra_cgroup_links[i] = link;
	}
	/* The links hold the cgroup; the descriptor is not needed past attach. */
	close(fd);
	if (err)
		ss_loader_detach_cgroup_too(loader);
	return err;
}

void ss_loader_detach_cgroup_too(struct ss_loader *loader)
{
	size_t i;

	if (!loader->extra_cgroup_links)
		return;
	for (i = loader->program_count; i-- > 0;)
		bpf_link__destroy(loader->extra_cgroup_links[i]);
	free(loader->extra_cgroup_links);
	loader->extra_cgroup_links = NULL;
}

size_t ss_loader_program_count(struct ss_loader *loader)
{
	return loader->program_count;
}

int ss_loader_program_stats(struct ss_loader *loader, size_t index, struct ss_program_stats *stats)
{
	struct bpf_prog_info info;
	__u32 length = sizeof(info);
	int err;

	if (index >= loader->program_count)
		return -EINVAL;
	memset(&info, 0, sizeof(info));
	err = bpf_obj_get_info_by_fd(bpf_program__fd(loader->programs[index].program), &info, &length);
	if (err)
		return err;
	memset(stats, 0, sizeof(*stats));
	snprintf(stats->name, sizeof(stats->name), "%s", info.name);
	stats->run_time_ns = info.run_time_ns;
	stats->run_count = info.run_cnt;
	stats->recursion_misses = info.recursion_misses;
	return 0;
}

int ss_enable_bpf_stats(void)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	return fd < 0 ? -errno : fd;
}

int ss_bpf_programs_run_time(const char *prefix, uint64_t loaded_since_ns, uint64_t *run_time_ns,
			     uint64_t *run_count)
{
	size_t prefix_length = strlen(prefix);
	__u32 id = 0;
	int found = 0;
	int err;

	*run_time_ns = 0;
	*run_count = 0;
	while ((err = bpf_prog_get_next_id(id, &id)) == 0) {
		struct bpf_prog_info info;
		__u32 length = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;	/* unloaded meanwhile */
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &length) == 0 && info.load_time >= loaded_since_ns &&
		    strncmp(info.name, prefix, prefix_length) == 0) {
			*run_time_ns += info.run_time_ns;
			*run_count += info.run_cnt;
			found++;
		}
		close(fd);
	}
	/* libbpf returns -ENOENT past the last program. */
	return err == -ENOENT ? found : err;
}

void ss_loader_close(struct ss_loader *loader)
{
	if (!loader)
		return;
	if (loader->ring_open)
		ss_ring_reader_close(&loader->ring);
	ss_loader_detach_cgroup_too(loader);
	detach_all(loader);
	free(loader->programs);
	bpf_link__destroy(loader->iter_link);
	if (loader->cgroup_fd >= 0)
		close(loader->cgroup_fd);
	bpf_object__close(loader->object);
	btf__free(loader->vmlinux_btf);
	free(loader);
}

int ss_kernel_has_member(const char *type_name, const char *member)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *type;
	const struct btf_member *m;
	int id, i, found = 0;

	if (!btf)
		return -errno;
	id = btf__find_by_name_kind(btf, type_name, BTF_KIND_STRUCT);
	if (id > 0) {
		type = btf__type_by_id(btf, id);
		m = btf_members(type);
		for (i = 0; i < btf_vlen(type); i++, m++) {
			if (strcmp(btf__name_by_offset(btf, m->name_off), member) == 0) {
				found = 1;
				break;
			}
		}
	}
	btf__free(btf);
	return found;
}
