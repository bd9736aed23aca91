/*
 * synshadow_system.h — Linux calls Swift's Glibc module does not expose
 * (they need _GNU_SOURCE): namespaces, thread ids.
 */
#ifndef SYNSHADOW_SYSTEM_H
#define SYNSHADOW_SYSTEM_H

/* unshare(CLONE_NEWNET) for the calling thread; 0 or -errno. */
int ss_unshare_network_namespace(void);

/* setns(fd, CLONE_NEWNET) for the calling thread; 0 or -errno. */
int ss_enter_network_namespace(int fd);

/* The namespace type (CLONE_NEWNET, CLONE_NEWNS, ...) of an open nsfs file
 * (NS_GET_NSTYPE), or -errno (ENOTTY: not a namespace file at all). */
int ss_namespace_type(int fd);

/* The CLONE_* flags ss_namespace_type returns, for Swift. */
enum ss_namespace_kind {
	SS_NAMESPACE_NET = 0x40000000,
	SS_NAMESPACE_MNT = 0x00020000,
	SS_NAMESPACE_PID = 0x20000000,
	SS_NAMESPACE_UTS = 0x04000000,
	SS_NAMESPACE_IPC = 0x08000000,
	SS_NAMESPACE_USER = 0x10000000,
	SS_NAMESPACE_CGROUP = 0x02000000,
	SS_NAMESPACE_TIME = 0x00000080,
};

/* mount(2) of a pseudo filesystem (cgroup2, tracefs) at `target`; 0 or -errno. */
int ss_mount_pseudo(const char *type, const char *target);

/* The calling thread's id (gettid). */
int ss_thread_id(void);

/* A TCP socket (SOCK_CLOEXEC) that belongs to another cgroup v2 directory:
 * a short-lived child process joins the cgroup (`cgroup_procs`, the path of
 * its cgroup.procs file), creates the socket in the calling thread's network
 * namespace and hands it back over a socketpair. A socket keeps the cgroup
 * of the task that created it, so programs attached at that cgroup see its
 * traffic while the caller stays where it is. The descriptor, or -errno. */
int ss_socket_in_cgroup(const char *cgroup_procs, int family);

#endif
