#define _GNU_SOURCE
#include "synshadow_system.h"

#include <errno.h>
#include <sched.h>
#include <unistd.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>

int ss_unshare_network_namespace(void)
{
	return unshare(CLONE_NEWNET) == 0 ? 0 : -errno;
}

int ss_enter_network_namespace(int fd)
{
	return setns(fd, CLONE_NEWNET) == 0 ? 0 : -errno;
}

_Static_assert(SS_NAMESPACE_NET == CLONE_NEWNET && SS_NAMESPACE_MNT == CLONE_NEWNS && SS_NAMESPACE_PID == CLONE_NEWPID &&
		       SS_NAMESPACE_UTS == CLONE_NEWUTS && SS_NAMESPACE_IPC == CLONE_NEWIPC &&
		       SS_NAMESPACE_USER == CLONE_NEWUSER && SS_NAMESPACE_CGROUP == CLONE_NEWCGROUP &&
		       SS_NAMESPACE_TIME == CLONE_NEWTIME,
	       "namespace kinds are the kernel's CLONE_* flags");

int ss_namespace_type(int fd)
{
	int type = ioctl(fd, NS_GET_NSTYPE);

	return type < 0 ? -errno : type;
}

int ss_thread_id(void)
{
	return (int)gettid();
}

int ss_mount_pseudo(const char *type, const char *target)
{
	return mount("none", target, type, 0, NULL) == 0 ? 0 : -errno;
}
