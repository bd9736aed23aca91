#define _GNU_SOURCE
#include "synshadow_system.h"

#include <errno.h>
#include <sched.h>
#include <unistd.h>

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
