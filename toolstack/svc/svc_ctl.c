// SPDX-License-Identifier: MIT
/*
 * A service's end of its control socket (fd 3, SOCK_SEQPACKET): one
 * fixed-size message per packet, file descriptors by SCM_RIGHTS.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "svc.h"

int svc_ctl_send(int ctl, const void *msg, size_t len)
{
	return send(ctl, msg, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -EPIPE;
}

void svc_close_fds(int *fds, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		close(fds[i]);
}

ssize_t svc_ctl_recv(int ctl, void *msg, size_t len, int *fds,
		     unsigned int max, unsigned int *nfds)
{
	char cbuf[CMSG_SPACE(SVC_CTL_MAX_FDS * sizeof(int))];
	struct iovec iov = { .iov_base = msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	ssize_t n;

	*nfds = 0;
	do
		n = recvmsg(ctl, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); n > 0 && c;
	     c = CMSG_NXTHDR(&mh, c)) {
		unsigned int k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (unsigned int i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*nfds < max)
				fds[(*nfds)++] = fd;
			else
				close(fd);
		}
	}
	if (n > 0 && (size_t)n != len) {
		/* Not one of ours: nothing it carried is kept. */
		svc_close_fds(fds, *nfds);
		*nfds = 0;
		return -EPROTO;
	}
	return n;
}
