/* SPDX-License-Identifier: GPL-2.0 */
/*
 * config.bpf.h — what every probe shares: kernel types, constants, the
 * load-time configuration and the idle switch.
 *
 * Both live in data sections of their own, so the loader finds each as a
 * whole map by its section name (no walk through the object's BTF):
 * `.rodata.config` holds struct synshadow_config (bpf/abi/include/
 * synshadow_abi.h, the one definition Swift and the loader share), written
 * before load; `.data.idle` holds the switch `synshadow bench` flips while
 * loaded.
 */
#ifndef SYNSHADOW_CONFIG_BPF_H
#define SYNSHADOW_CONFIG_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "synshadow_abi.h"

#define AF_INET 2
#define AF_INET6 10
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IPPROTO_TCP 6
#define SOCK_STREAM 1

#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_ACK 0x10

/* Written by the loader before load (ss_loader_open): the whole section. */
const volatile struct synshadow_config ss_config SEC(".rodata.config") = {};

/* Written by the loader while loaded (ss_loader_set_idle): every hook still
 * runs but returns at once. `synshadow bench` measures with it what the
 * kernel's dispatch of these hooks costs by itself, apart from SynShadow's
 * own work in them. */
volatile __u32 ss_idle SEC(".data.idle") = 0;

#define RETURN_IF_IDLE(value)          \
	do {                           \
		if (ss_idle)           \
			return (value); \
	} while (0)

#endif /* SYNSHADOW_CONFIG_BPF_H */
