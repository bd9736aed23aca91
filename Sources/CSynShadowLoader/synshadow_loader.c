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
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#define TIER_BIT(tier) (1u << (tier))
#define ALL_TIERS (TIER_BIT(SS_TIER_TRACEPOINT) | TIER_BIT(SS_TIER_KPROBE) | TIER_BIT(SS_TIER_FENTRY))

enum attach_kind {
	ATTACH_AUTO,	/* SEC() says how: tracepoint, kprobe, fentry */
	ATTACH_CGROUP,	/* sock_ops and cgroup_skb, on the cgroup v2 root */
	ATTACH_ITER,	/* iter/tcp: attached, then read on demand */
};

/* A hook served by a BTF raw tracepoint where the kernel has one, and by
 * the classic tracepoint of the same name otherwise: exactly one loads. */
enum hook_variant {
	VARIANT_SOLE,
	VARIANT_BTF,	 /* tp_btf/<tracepoint> */
	VARIANT_CLASSIC, /* tracepoint/<group>/<tracepoint> */
};

struct program_spec {
	const char *name;
	unsigned tiers;
	int hook;
	enum attach_kind attach;
	enum hook_variant variant;
	const char *tracepoint; /* for the variants: the tracepoint's name */
};

/* Which program serves which tier. Hooks served by sock_ops are listed once. */
static const struct program_spec program_specs[] = {
	{ "ss_cgroup_skb_ingress", TIER_BIT(SS_TIER_TRACEPOINT), SS_HOOK_CGROUP_SKB_INGRESS, ATTACH_CGROUP },
	{ "ss_sock_ops", ALL_TIERS, SS_HOOK_SOCKOPS_LISTEN, ATTACH_CGROUP },
	{ "ss_btf_inet_sock_set_state", ALL_TIERS, SS_HOOK_TP_INET_SOCK_SET_STATE, ATTACH_AUTO, VARIANT_BTF,
	  "inet_sock_set_state" },
	{ "ss_inet_sock_set_state", ALL_TIERS, SS_HOOK_TP_INET_SOCK_SET_STATE, ATTACH_AUTO, VARIANT_CLASSIC,
	  "inet_sock_set_state" },
	{ "ss_retransmit_synack", ALL_TIERS, SS_HOOK_TP_RETRANSMIT_SYNACK, ATTACH_AUTO },
	{ "ss_kfree_skb", ALL_TIERS, SS_HOOK_TP_KFREE_SKB, ATTACH_AUTO },
	{ "ss_sys_exit_accept4", TIER_BIT(SS_TIER_TRACEPOINT), SS_HOOK_TP_SYS_EXIT_ACCEPT, ATTACH_AUTO },
	{ "ss_sys_exit_accept", TIER_BIT(SS_TIER_TRACEPOINT), SS_HOOK_TP_SYS_EXIT_ACCEPT, ATTACH_AUTO },
	{ "ss_sys_enter_accept4", TIER_BIT(SS_TIER_TRACEPOINT), -1, ATTACH_AUTO },
	{ "ss_sys_enter_accept", TIER_BIT(SS_TIER_TRACEPOINT), -1, ATTACH_AUTO },
	{ "ss_iter_tcp", ALL_TIERS, SS_HOOK_ITER_TCP, ATTACH_ITER },
	{ "ss_fentry_v4_conn_request", TIER_BIT(SS_TIER_FENTRY), SS_HOOK_CONN_REQUEST_ENTRY, ATTACH_AUTO },
	{ "ss_fexit_v4_conn_request", TIER_BIT(SS_TIER_FENTRY), SS_HOOK_CONN_REQUEST_EXIT, ATTACH_AUTO },
	{ "ss_fentry_v6_conn_request", TIER_BIT(SS_TIER_FENTRY), SS_HOOK_CONN_REQUEST_ENTRY, ATTACH_AUTO },
	{ "ss_fexit_v6_conn_request", TIER_BIT(SS_TIER_FENTRY), SS_HOOK_CONN_REQUEST_EXIT, ATTACH_AUTO },
	{ "ss_fentry_reqsk_hash_add", TIER_BIT(SS_TIER_FENTRY), SS_HOOK_REQSK_HASH_ADD, ATTACH_AUTO },
	{ "ss_fentry_check_req", TIER_BIT(SS_TIER_FENTRY), SS_HOOK_CHECK_REQ_ENTRY, ATTACH_AUTO },
	{ "ss_fexit_check_req", TIER_BIT(SS_TIER_FENTRY), SS_HOOK_CHECK_REQ_EXIT, ATTACH_AUTO },
	{ "ss_fentry_csk_accept", TIER_BIT(SS_TIER_FENTRY), -1, ATTACH_AUTO },
	{ "ss_fentry_req_err", TIER_BIT(SS_TIER_FENTRY), SS_HOOK_REQUEST_ERROR, ATTACH_AUTO },
	{ "ss_kprobe_req_err", TIER_BIT(SS_TIER_KPROBE), SS_HOOK_REQUEST_ERROR, ATTACH_AUTO },
	{ "ss_fexit_csk_accept", TIER_BIT(SS_TIER_FENTRY), SS_HOOK_CSK_ACCEPT_EXIT, ATTACH_AUTO },
	{ "ss_fentry_cookie_v4_check", TIER_BIT(SS_TIER_FENTRY), SS_HOOK_COOKIE_CHECK_ENTRY, ATTACH_AUTO },
	{ "ss_fexit_cookie_v4_check", TIER_BIT(SS_TIER_FENTRY), SS_HOOK_COOKIE_CHECK_EXIT, ATTACH_AUTO },
	{ "ss_fentry_cookie_v6_check", TIER_BIT(SS_TIER_FENTRY), SS_HOOK_COOKIE_CHECK_ENTRY, ATTACH_AUTO },
	{ "ss_fexit_cookie_v6_check", TIER_BIT(SS_TIER_FENTRY), SS_HOOK_COOKIE_CHECK_EXIT, ATTACH_AUTO },
	{ "ss_kprobe_v4_conn_request", TIER_BIT(SS_TIER_KPROBE), SS_HOOK_CONN_REQUEST_ENTRY, ATTACH_AUTO },
	{ "ss_kretprobe_v4_conn_request", TIER_BIT(SS_TIER_KPROBE), SS_HOOK_CONN_REQUEST_EXIT, ATTACH_AUTO },
	{ "ss_kprobe_v6_conn_request", TIER_BIT(SS_TIER_KPROBE), SS_HOOK_CONN_REQUEST_ENTRY, ATTACH_AUTO },
	{ "ss_kretprobe_v6_conn_request", TIER_BIT(SS_TIER_KPROBE), SS_HOOK_CONN_REQUEST_EXIT, ATTACH_AUTO },
	{ "ss_kprobe_reqsk_hash_add", TIER_BIT(SS_TIER_KPROBE), SS_HOOK_REQSK_HASH_ADD, ATTACH_AUTO },
	{ "ss_kprobe_check_req", TIER_BIT(SS_TIER_KPROBE), SS_HOOK_CHECK_REQ_ENTRY, ATTACH_AUTO },
	{ "ss_kretprobe_check_req", TIER_BIT(SS_TIER_KPROBE), SS_HOOK_CHECK_REQ_EXIT, ATTACH_AUTO },
	{ "ss_kprobe_cookie_v4_check", TIER_BIT(SS_TIER_KPROBE), SS_HOOK_COOKIE_CHECK_ENTRY, ATTACH_AUTO },
	{ "ss_kretprobe_cookie_v4_check", TIER_BIT(SS_TIER_KPROBE), SS_HOOK_COOKIE_CHECK_EXIT, ATTACH_AUTO },
	{ "ss_kprobe_cookie_v6_check", TIER_BIT(SS_TIER_KPROBE), SS_HOOK_COOKIE_CHECK_ENTRY, ATTACH_AUTO },
	{ "ss_kretprobe_cookie_v6_check", TIER_BIT(SS_TIER_KPROBE), SS_HOOK_COOKIE_CHECK_EXIT, ATTACH_AUTO },
	{ "ss_kprobe_csk_accept", TIER_BIT(SS_TIER_KPROBE), -1, ATTACH_AUTO },
	{ "ss_kretprobe_csk_accept", TIER_BIT(SS_TIER_KPROBE), SS_HOOK_CSK_ACCEPT_EXIT, ATTACH_AUTO },
};

#define PROGRAM_COUNT (sizeof(program_specs) / sizeof(program_specs[0]))

struct ss_loader {
	struct bpf_object *object;
	struct ss_ring_reader ring;
	bool ring_open;
	ss_record_fn on_record;
	void *context;
	struct bpf_link *links[PROGRAM_COUNT];
	struct bpf_link *iter_link;
	int cgroup_fd;
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

/* One of the object's data sections (".rodata", ".bss") and a global
 * variable in it, located through the object's BTF. */
struct global_variable {
	struct bpf_map *map;
	char *section;		/* libbpf's image of the whole section */
	size_t section_size;
	size_t offset;
};

static int find_global_variable(struct bpf_object *object, const char *section, const char *name, size_t size,
				struct global_variable *found)
{
	struct btf *btf = bpf_object__btf(object);
	size_t suffix_length = strlen(section);
	const struct btf_type *datasec;
	const struct btf_var_secinfo *var;
	int datasec_id;
	int i;

	memset(found, 0, sizeof(*found));
	bpf_object__for_each_map(found->map, object) {
		const char *map_name = bpf_map__name(found->map);
		size_t length = strlen(map_name);

		if (bpf_map__is_internal(found->map) && length >= suffix_length &&
		    strcmp(map_name + length - suffix_length, section) == 0) {
			found->section = (char *)bpf_map__initial_value(found->map, &found->section_size);
			break;
		}
	}
	if (!found->section || !btf)
		return -ENOENT;
	datasec_id = btf__find_by_name_kind(btf, section, BTF_KIND_DATASEC);
	if (datasec_id < 0)
		return -ENOENT;
	datasec = btf__type_by_id(btf, datasec_id);
	var = btf_var_secinfos(datasec);
	for (i = 0; i < btf_vlen(datasec); i++, var++) {
		const struct btf_type *type = btf__type_by_id(btf, var->type);

		if (strcmp(btf__name_by_offset(btf, type->name_off), name) != 0)
			continue;
		if (var->offset + size > found->section_size)
			return -EOVERFLOW;
		found->offset = var->offset;
		return 0;
	}
	return -ENOENT;
}

/* Writes ss_config into the object's .rodata before load. */
static int write_config(struct bpf_object *object, const struct synshadow_config *config)
{
	struct global_variable found;
	int err = find_global_variable(object, ".rodata", "ss_config", sizeof(*config), &found);

	if (!err)
		memcpy(found.section + found.offset, config, sizeof(*config));
	return err;
}

/* ---- attach ------------------------------------------------------------ */

/* The hooks a program serves (sock_ops serves four callbacks). */
static uint32_t hook_bits(const struct program_spec *spec)
{
	if (spec->hook < 0)
		return 0;
	if (spec->hook == SS_HOOK_SOCKOPS_LISTEN)
		return (1u << SS_HOOK_SOCKOPS_LISTEN) | (1u << SS_HOOK_SOCKOPS_RWND_INIT) |
		       (1u << SS_HOOK_SOCKOPS_TIMEOUT_INIT) | (1u << SS_HOOK_SOCKOPS_PASSIVE_ESTABLISHED);
	return 1u << spec->hook;
}

static int attach_program(struct ss_loader *loader, size_t index, struct bpf_program *program,
			  char *error, size_t error_size)
{
	const struct program_spec *spec = &program_specs[index];
	struct bpf_link *link;
	int err;

	switch (spec->attach) {
	case ATTACH_CGROUP:
		link = bpf_program__attach_cgroup(program, loader->cgroup_fd);
		break;
	case ATTACH_ITER:
		link = bpf_program__attach_iter(program, NULL);
		break;
	default:
		link = bpf_program__attach(program);
		break;
	}
	err = -errno;
	if (!link)
		return fail(error, error_size, err, "attaching %s failed: %s", spec->name, strerror(-err));
	if (spec->attach == ATTACH_ITER)
		loader->iter_link = link;
	else
		loader->links[index] = link;
	loader->attached_hooks |= hook_bits(spec);
	return 0;
}

/* Whether the running kernel offers tracepoint `name` as a BTF raw
 * tracepoint (its btf_trace_<name> typedef is in vmlinux BTF). */
static bool kernel_has_btf_tracepoint(const struct btf *vmlinux, const char *name)
{
	char typedef_name[128];

	if (!vmlinux)
		return false;
	snprintf(typedef_name, sizeof(typedef_name), "btf_trace_%s", name);
	return btf__find_by_name_kind(vmlinux, typedef_name, BTF_KIND_TYPEDEF) > 0;
}

/* Whether the program serves this tier on this kernel. */
static bool program_selected(const struct program_spec *spec, int tier, const struct btf *vmlinux)
{
	if (!(spec->tiers & TIER_BIT(tier)))
		return false;
	switch (spec->variant) {
	case VARIANT_BTF:
		return kernel_has_btf_tracepoint(vmlinux, spec->tracepoint);
	case VARIANT_CLASSIC:
		return !kernel_has_btf_tracepoint(vmlinux, spec->tracepoint);
	default:
		return true;
	}
}

int ss_loader_open(const struct ss_loader_options *options, struct ss_loader **out,
		   char *error, size_t error_size)
{
	struct ss_loader *loader;
	struct synshadow_config config = {
		.netns = options->netns,
		.port = options->port,
		.tier = (uint16_t)options->tier,
		.wakeup_bytes = options->wakeup_bytes ? options->wakeup_bytes : (1u << 20),
		.self_check_port = options->self_check_port,
		.self_check_netns = options->self_check_netns,
		.filters = options->filters,
		.family = options->family,
		.cgroup_level = options->cgroup_level,
		.pid = options->pid,
		.cgroup_id = options->cgroup_id,
	};
	struct bpf_map *events;
	size_t i;
	int err;

	memcpy(config.comm, options->comm, sizeof(config.comm));
	memcpy(config.local_addr, options->local_addr, sizeof(config.local_addr));
	*out = NULL;
	last_log_length = 0;
	last_log[0] = '\0';
	libbpf_set_print(capture_libbpf_print);
	if (options->tier < SS_TIER_TRACEPOINT || options->tier > SS_TIER_FENTRY)
		return fail(error, error_size, -EINVAL, "unknown tier %d", options->tier);

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
	err = write_config(loader->object, &config);
	if (err) {
		fail(error, error_size, err, "the BPF object has no ss_config in .rodata: %s", strerror(-err));
		goto fail_close;
	}
	events = bpf_object__find_map_by_name(loader->object, "events");
	if (events && options->ring_bytes)
		bpf_map__set_max_entries(events, options->ring_bytes);

	/* Kept: the drop-reason names come from it later. */
	loader->vmlinux_btf = btf__load_vmlinux_btf();
	for (i = 0; i < PROGRAM_COUNT; i++) {
		struct bpf_program *program = bpf_object__find_program_by_name(loader->object, program_specs[i].name);

		if (!program) {
			err = fail(error, error_size, -ENOENT, "program %s missing from the BPF object", program_specs[i].name);
			goto fail_close;
		}
		bpf_program__set_autoload(program, program_selected(&program_specs[i], options->tier, loader->vmlinux_btf));
	}

	err = bpf_object__load(loader->object);
	if (err) {
		fail(error, error_size, err, "loading the BPF programs failed: %s", strerror(-err));
		goto fail_close;
	}

	loader->cgroup_fd = open(options->cgroup_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (loader->cgroup_fd < 0) {
		err = fail(error, error_size, -errno, "cannot open the cgroup v2 root %s: %s",
			   options->cgroup_path, strerror(errno));
		goto fail_close;
	}
	for (i = 0; i < PROGRAM_COUNT; i++) {
		struct bpf_program *program;

		program = bpf_object__find_program_by_name(loader->object, program_specs[i].name);
		if (!bpf_program__autoload(program))
			continue;
		err = attach_program(loader, i, program, error, error_size);
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
		for (i = 0; i < SS_EVENT_KIND_MAX; i++)
			sum->lost_by_kind[i] += per_cpu[cpu].lost_by_kind[i];
	}
	free(per_cpu);
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

int ss_loader_set_attached(struct ss_loader *loader, int attached, char *error, size_t error_size)
{
	size_t i;
	int err;

	for (i = 0; i < PROGRAM_COUNT; i++) {
		struct bpf_program *program;

		if (program_specs[i].attach == ATTACH_ITER)
			continue;
		if (!attached) {
			bpf_link__destroy(loader->links[i]);
			loader->links[i] = NULL;
			loader->attached_hooks &= ~hook_bits(&program_specs[i]);
			continue;
		}
		program = bpf_object__find_program_by_name(loader->object, program_specs[i].name);
		if (loader->links[i] || !program || !bpf_program__autoload(program))
			continue;
		err = attach_program(loader, i, program, error, error_size);
		if (err)
			return err;
	}
	return 0;
}

int ss_loader_set_idle(struct ss_loader *loader, int idle)
{
	struct global_variable found;
	uint32_t value = idle ? 1 : 0;
	uint32_t zero = 0;
	int err = find_global_variable(loader->object, ".bss", "ss_idle", sizeof(value), &found);

	if (err)
		return err;
	/* Through the map itself: the image libbpf keeps is the kernel's
	 * memory only where a skeleton (or a newer libbpf) mapped it. */
	memcpy(found.section + found.offset, &value, sizeof(value));
	return bpf_map__update_elem(found.map, &zero, sizeof(zero), found.section, found.section_size, BPF_ANY);
}

void ss_loader_close(struct ss_loader *loader)
{
	size_t i;

	if (!loader)
		return;
	if (loader->ring_open)
		ss_ring_reader_close(&loader->ring);
	for (i = 0; i < PROGRAM_COUNT; i++)
		bpf_link__destroy(loader->links[i]);
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

int ss_count_loaded_programs(const char *prefix)
{
	__u32 id = 0;
	int count = 0;

	while (bpf_prog_get_next_id(id, &id) == 0) {
		struct bpf_prog_info info;
		__u32 length = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &length) == 0 &&
		    strncmp(info.name, prefix, strlen(prefix)) == 0)
			count++;
		close(fd);
	}
	return errno == ENOENT || errno == 0 ? count : -errno;
}
