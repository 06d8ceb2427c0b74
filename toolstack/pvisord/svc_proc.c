// SPDX-License-Identifier: MIT
/* Device service processes (svc_proc.h): start, talk to, reap. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "svc_proc.h"

const char *svc_exe_path(const char *exe, char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	char *slash;

	if (n <= 0 || (size_t)n + strlen(exe) + 2 > len) {
		snprintf(buf, len, "%s", exe);
		return buf;
	}
	buf[n] = '\0';
	slash = strrchr(buf, '/');
	snprintf(slash ? slash + 1 : buf, len - (slash ? (size_t)(slash + 1 - buf) : 0),
		 "%s", exe);
	return buf;
}

int svc_spawn(struct svc_proc *p, const char *exe)
{
	char path[PATH_MAX];
	char *argv[] = { (char *)exe, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dfl;
	int sv[2], rc;

	p->pid = 0;
	p->ctl = -1;
	p->note[0] = '\0';
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	sigemptyset(&none);
	sigfillset(&dfl);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], SVC_CTL_FD);
	posix_spawn_file_actions_addclosefrom_np(&fa, SVC_CTL_FD + 1);
	posix_spawnattr_init(&at);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
				 POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
	rc = posix_spawn(&p->pid, svc_exe_path(exe, path, sizeof(path)), &fa,
			 &at, argv, NULL);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(sv[1]);
	if (rc) {
		close(sv[0]);
		p->pid = 0;
		return -rc;
	}
	p->ctl = sv[0];
	return 0;
}

int svc_send(struct svc_proc *p, const void *msg, size_t len,
	     const int *fds, unsigned int nfds)
{
	char cbuf[CMSG_SPACE(SVC_MAX_FDS * sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (p->ctl < 0)
		return -EPIPE;
	if (nfds > SVC_MAX_FDS)
		return -E2BIG;
	if (nfds) {
		struct cmsghdr *c;

		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	return sendmsg(p->ctl, &mh, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -EPIPE;
}

int svc_call(struct svc_proc *p, const void *req, size_t len,
	     const int *fds, unsigned int nfds, uint32_t want, void *rep,
	     uint32_t log_type, void (*log)(void *arg, const void *msg),
	     void *arg)
{
	struct timespec t0, t;
	int rc = svc_send(p, req, len, fds, nfds);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!rc) {
		struct pollfd pf = { .fd = p->ctl, .events = POLLIN };
		uint32_t type;
		long left;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = SVC_CTL_TIMEOUT_MS - ((t.tv_sec - t0.tv_sec) * 1000 +
					     (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&pf, 1, (int)left) <= 0)
			continue;
		n = recv(p->ctl, rep, len, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return -EPIPE;
		if (n != (ssize_t)len)
			continue;
		memcpy(&type, rep, sizeof(type));
		if (type == log_type && log)
			log(arg, rep);
		else if (type == want)
			return 0;
	}
	return rc;
}

void svc_reap(struct svc_proc *p, bool kill_it)
{
	int status = 0;

	if (p->ctl >= 0)
		close(p->ctl);	/* EOF: a healthy service exits on it */
	p->ctl = -1;
	if (!p->pid)
		return;
	for (int i = 0; i < 200; i++) {
		if (waitpid(p->pid, &status, WNOHANG) == p->pid)
			goto reaped;
		if (i == 100 || kill_it) {
			kill(p->pid, SIGKILL);
			kill_it = false;
		}
		usleep(10000);
	}
	kill(p->pid, SIGKILL);
	waitpid(p->pid, &status, 0);
reaped:
	if (WIFSIGNALED(status))
		snprintf(p->note, sizeof(p->note), "backend killed by signal "
			 "%d (%s)%s", WTERMSIG(status), strsignal(WTERMSIG(status)),
			 WTERMSIG(status) == SIGSYS ? ": seccomp" : "");
	else if (WEXITSTATUS(status))
		snprintf(p->note, sizeof(p->note), "backend exited with "
			 "status %d", WEXITSTATUS(status));
	p->pid = 0;
}
