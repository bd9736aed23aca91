/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sock.bpf.h — reading a flow's identity: the network namespace of a sock,
 * and the 4-tuple of a sock_common, an inbound skb or a sock_ops context
 * (a v4 client of a dual-stack listener is an AF_INET flow everywhere).
 */
#ifndef SYNSHADOW_SOCK_BPF_H
#define SYNSHADOW_SOCK_BPF_H

#include "config.bpf.h"

static __always_inline __u32 sock_netns(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

static __always_inline __u64 sock_netns_cookie(const struct sock *sk)
{
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, net_cookie);
}

static __always_inline bool is_v4_mapped(const __u8 *a)
{
	return *(const __u64 *)a == 0 && *(const __u32 *)(a + 8) == bpf_htonl(0x0000ffff);
}

/* A v4 client of a dual-stack listener is an AF_INET flow everywhere. */
static __always_inline void normalize_family(struct synshadow_event *e)
{
	if (e->family == AF_INET6 && is_v4_mapped(e->local_addr) && is_v4_mapped(e->remote_addr)) {
		__builtin_memcpy(e->local_addr, e->local_addr + 12, 4);
		__builtin_memcpy(e->remote_addr, e->remote_addr + 12, 4);
		__builtin_memset(e->local_addr + 4, 0, 12);
		__builtin_memset(e->remote_addr + 4, 0, 12);
		e->family = AF_INET;
	}
}

/* 4-tuple of a sock_common (request sock, child or listener). */
static __always_inline void fill_tuple_from_sock(struct synshadow_event *e, const struct sock_common *skc)
{
	e->family = BPF_CORE_READ(skc, skc_family);
	e->local_port = BPF_CORE_READ(skc, skc_num);
	e->remote_port = bpf_ntohs(BPF_CORE_READ(skc, skc_dport));
	/* bpf_core_read with explicit sizes: BPF_CORE_READ_INTO on an array
	 * would copy only sizeof(element). */
	if (e->family == AF_INET) {
		bpf_core_read(e->local_addr, 4, &skc->skc_rcv_saddr);
		bpf_core_read(e->remote_addr, 4, &skc->skc_daddr);
	} else {
		bpf_core_read(e->local_addr, 16, &skc->skc_v6_rcv_saddr);
		bpf_core_read(e->remote_addr, 16, &skc->skc_v6_daddr);
		normalize_family(e);
	}
}

/* 4-tuple and TCP flags of an inbound segment, from its kernel skb. */
static __always_inline bool fill_tuple_from_skb(struct synshadow_event *e, const struct sk_buff *skb)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 network = BPF_CORE_READ(skb, network_header);
	__u16 transport = BPF_CORE_READ(skb, transport_header);
	__u16 protocol = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	struct tcphdr th;

	if (protocol == ETH_P_IP) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + network))
			return false;
		if (ip.protocol != IPPROTO_TCP)
			return false;
		e->family = AF_INET;
		__builtin_memcpy(e->local_addr, &ip.daddr, 4);
		__builtin_memcpy(e->remote_addr, &ip.saddr, 4);
	} else if (protocol == ETH_P_IPV6) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + network))
			return false;
		if (ip6.nexthdr != IPPROTO_TCP)
			return false;
		e->family = AF_INET6;
		__builtin_memcpy(e->local_addr, &ip6.daddr, 16);
		__builtin_memcpy(e->remote_addr, &ip6.saddr, 16);
	} else {
		return false;
	}
	if (bpf_probe_read_kernel(&th, sizeof(th), head + transport))
		return false;
	e->local_port = bpf_ntohs(th.dest);
	e->remote_port = bpf_ntohs(th.source);
	e->tcp_flags = ((__u8 *)&th)[13];
	normalize_family(e);
	return true;
}

static __always_inline void fill_tuple_from_sock_ops(struct synshadow_event *e, struct bpf_sock_ops *ops)
{
	e->family = ops->family;
	e->local_port = ops->local_port;
	e->remote_port = bpf_ntohl(ops->remote_port);
	if (e->family == AF_INET) {
		__u32 local = ops->local_ip4, remote = ops->remote_ip4;

		__builtin_memcpy(e->local_addr, &local, 4);
		__builtin_memcpy(e->remote_addr, &remote, 4);
	} else {
		__u32 local[4], remote[4];

		local[0] = ops->local_ip6[0];
		local[1] = ops->local_ip6[1];
		local[2] = ops->local_ip6[2];
		local[3] = ops->local_ip6[3];
		remote[0] = ops->remote_ip6[0];
		remote[1] = ops->remote_ip6[1];
		remote[2] = ops->remote_ip6[2];
		remote[3] = ops->remote_ip6[3];
		__builtin_memcpy(e->local_addr, local, 16);
		__builtin_memcpy(e->remote_addr, remote, 16);
		normalize_family(e);
	}
}

/* tcp_v6_conn_request hands IPv4 SYNs to tcp_v4_conn_request: the v4 hook
 * reports those, so the v6 hook skips them. */
static __always_inline bool skb_is_ipv4(const struct sk_buff *skb)
{
	return bpf_ntohs(BPF_CORE_READ(skb, protocol)) == ETH_P_IP;
}

#endif /* SYNSHADOW_SOCK_BPF_H */
