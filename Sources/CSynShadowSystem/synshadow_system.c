#define _GNU_SOURCE
#include "synshadow_system.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>

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

/* The child's side: only async-signal-safe calls (the parent has threads). */
static void make_socket_in_cgroup(int channel, const char *cgroup_procs, int family)
{
	char control[CMSG_SPACE(sizeof(int))];
	struct msghdr message;
	struct cmsghdr *header;
	struct iovec part;
	int status = 0;
	int procs;
	int fd = -1;

	procs = open(cgroup_procs, O_WRONLY | O_CLOEXEC);
	if (procs < 0 || write(procs, "0", 1) != 1)
		status = errno ? errno : EIO;
	if (!status) {
		fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			status = errno;
	}
	memset(&message, 0, sizeof(message));
	memset(control, 0, sizeof(control));
	part.iov_base = &status;
	part.iov_len = sizeof(status);
	message.msg_iov = &part;
	message.msg_iovlen = 1;
	if (fd >= 0) {
		message.msg_control = control;
		message.msg_controllen = sizeof(control);
		header = CMSG_FIRSTHDR(&message);
		header->cmsg_level = SOL_SOCKET;
		header->cmsg_type = SCM_RIGHTS;
		header->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(header), &fd, sizeof(int));
	}
	_exit(sendmsg(channel, &message, 0) < 0 ? 1 : 0);
}

int ss_socket_in_cgroup(const char *cgroup_procs, int family)
{
	char control[CMSG_SPACE(sizeof(int))];
	struct msghdr message;
	struct cmsghdr *header;
	struct iovec part;
	int channel[2];
	int status = EIO;
	int fd = -1;
	ssize_t received;
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, channel) < 0)
		return -errno;
	child = fork();
	if (child < 0) {
		status = errno;
		close(channel[0]);
		close(channel[1]);
		return -status;
	}
	if (child == 0)
		make_socket_in_cgroup(channel[1], cgroup_procs, family);
	close(channel[1]);
	memset(&message, 0, sizeof(message));
	part.iov_base = &status;
	part.iov_len = sizeof(status);
	message.msg_iov = &part;
	message.msg_iovlen = 1;
	message.msg_control = control;
	message.msg_controllen = sizeof(control);
	do {
		received = recvmsg(channel[0], &message, MSG_CMSG_CLOEXEC);
	} while (received < 0 && errno == EINTR);
	if (received != (ssize_t)sizeof(status))
		status = received < 0 ? errno : EIO;
	header = CMSG_FIRSTHDR(&message);
	if (received == (ssize_t)sizeof(status) && header && header->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(header), sizeof(int));
	close(channel[0]);
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
	if (fd >= 0 && status == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -(status ? status : EIO);
}
