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

/* mount(2) of a pseudo filesystem (cgroup2, tracefs) at `target`; 0 or -errno. */
int ss_mount_pseudo(const char *type, const char *target);

/* The calling thread's id (gettid). */
int ss_thread_id(void);

#endif
