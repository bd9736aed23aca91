/*
 * core_fixes.bpf.h — kernel layout and signature changes the probes must survive.
 *
 * Each change is named here once, with the kernel release that made it, so the
 * probes read only what is stable and decide the rest with CO-RE checks
 * against the running kernel's BTF.
 *
 * - tcp_check_req(sk, skb, req, fastopen, req_stolen[, drop_reason]):
 *   req_stolen arrived in 4.16, drop_reason in 6.15. The first five
 *   arguments are read (req_stolen through bpf_get_func_arg() at fexit), and
 *   the result comes from bpf_get_func_ret() (fexit) or the return register
 *   (kretprobe), so a sixth does not matter.
 * - inet_csk_accept(sk, flags, err, kern) became inet_csk_accept(sk,
 *   struct proto_accept_arg *) in 6.10. Only sk (argument 0) and the result
 *   are read, which both shapes share.
 * - inet_csk_reqsk_queue_hash_add(sk, req, timeout) returns bool from 6.12
 *   and loses its timeout in 6.19: only sk and req are read.
 * - skb:kfree_skb gained `reason` in 5.17 and `rx_sk` in 6.11: both read
 *   only when bpf_core_field_exists() says the running kernel has them.
 * - struct net's cookie is `net_cookie` (u64) from 5.14; earlier kernels are
 *   not supported (the loader requires BTF and ring buffers anyway).
 */
#ifndef SYNSHADOW_CORE_FIXES_BPF_H
#define SYNSHADOW_CORE_FIXES_BPF_H

#include <bpf/bpf_core_read.h>

/* skb:kfree_skb as it was before 6.11 (no rx_sk) and before 5.17 (no reason). */
struct trace_event_raw_kfree_skb___flexible {
	void *skbaddr;
	void *location;
	void *rx_sk;
	unsigned short protocol;
	/* The kernel's own enum type: CO-RE does not match an int to it. */
	enum skb_drop_reason reason;
} __attribute__((preserve_access_index));

static __always_inline int kfree_skb_reason(void *ctx)
{
	struct trace_event_raw_kfree_skb___flexible *args = ctx;

	if (bpf_core_field_exists(args->reason))
		return BPF_CORE_READ(args, reason);
	return 0;
}

static __always_inline void *kfree_skb_rx_sk(void *ctx)
{
	struct trace_event_raw_kfree_skb___flexible *args = ctx;

	if (bpf_core_field_exists(args->rx_sk))
		return BPF_CORE_READ(args, rx_sk);
	return NULL;
}

#endif /* SYNSHADOW_CORE_FIXES_BPF_H */
