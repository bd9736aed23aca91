#define _GNU_SOURCE
#include "synshadow_system.h"

#include <errno.h>
#include <sched.h>
#include <unistd.h>
#include <sys/mount.h>

int ss_unshare_network_namespace(void)
{
	return unshare(CLONE_NEWNET) == 0 ? 0 : -errno;
}

int ss_enter_network_namespace(int fd)
{
	return setns(fd, CLONE_NEWNET) == 0 ? 0 : -errno;
}

int ss_thread_id(void)
{
	return (int)gettid();
}

int ss_mount_pseudo(const char *type, const char *target)
{
	return mount("none", target, type, 0, NULL) == 0 ? 0 : -errno;
}
