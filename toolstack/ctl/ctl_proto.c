// SPDX-License-Identifier: MIT
/* Framing for the pvisord control protocol (see ctl_proto.h). */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pvisor/ctl_proto.h"

/*
 * Every transfer runs against a deadline (CLOCK_MONOTONIC, ms; -1: none):
 * the daemon must not wait forever on a client that sends half a request
 * or never reads its reply. Sockets stay blocking for everyone else; the
 * calls here use MSG_DONTWAIT and poll() for the time that is left.
 */
static int64_t deadline_in(int timeout_ms)
{
	struct timespec ts;

	if (timeout_ms < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000 + timeout_ms;
}

static int wait_ready(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int ms = -1, n;

	if (deadline >= 0) {
		int64_t left = deadline - deadline_in(0);

		if (left <= 0)
			return -ETIMEDOUT;
		ms = left > INT_MAX ? INT_MAX : (int)left;
	}
	n = poll(&p, 1, ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	return n ? 0 : -ETIMEDOUT;
}

/*
 * After a non-blocking call failed: 0 to try it again (interrupted, or
 * the socket is ready now), else the error (a deadline too).
 */
static int io_retry(int fd, short events, int64_t deadline)
{
	if (errno == EINTR)
		return 0;
	if (errno != EAGAIN)
		return -errno;
	return wait_ready(fd, events, deadline);
}

static int write_all(int fd, const void *buf, size_t len, int64_t deadline)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		int rc;

		if (n < 0) {
			rc = io_retry(fd, POLLOUT, deadline);
			if (rc)
				return rc;
			continue;
		}
		p += n;
		len -= n;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len, int64_t deadline)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = recv(fd, p, len, MSG_DONTWAIT);
		int rc;

		if (n < 0) {
			rc = io_retry(fd, POLLIN, deadline);
			if (rc)
				return rc;
			continue;
		}
		if (n == 0)
			return -ECONNRESET;
		p += n;
		len -= n;
	}
	return 0;
}

/* The header, with any descriptors riding on its first byte. */
static int send_header(int fd, const struct ctl_header *h, const int *fds,
		       int nfds, int64_t deadline)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * CTL_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)h, .iov_len = sizeof(*h) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;
	int rc;

	if (nfds < 0 || nfds > CTL_MAX_FDS)
		return -EINVAL;
	if (nfds) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	while ((n = sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT)) < 0)
		if ((rc = io_retry(fd, POLLOUT, deadline)))
			return rc;
	/* The rest, if the kernel took only part: descriptors went first. */
	return write_all(fd, (const uint8_t *)h + n, sizeof(*h) - n, deadline);
}

static int send_msg(int fd, int status, const void *payload, size_t len,
		    const int *fds, int nfds, int64_t deadline)
{
	struct ctl_header h = {
		.magic = CTL_MAGIC, .version = CTL_VERSION,
		.status = status, .len = (uint32_t)len,
	};
	int rc;

	if (len > CTL_MAX_PAYLOAD)
		return -EMSGSIZE;
	rc = send_header(fd, &h, fds, nfds, deadline);
	if (!rc && len)
		rc = write_all(fd, payload, len, deadline);
	return rc;
}

static void close_fds(int *fds, int *nfds)
{
	for (int i = 0; i < *nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	*nfds = 0;
}

/*
 * The header and whatever descriptors came with it (close-on-exec; more
 * than CTL_MAX_FDS, or a truncated list, is a protocol error: all are
 * closed). Descriptors riding on later bytes are dropped by the kernel,
 * which closes them: only recvmsg() here takes any.
 */
static int recv_header(int fd, struct ctl_header *h, int *fds, int *nfds,
		       int64_t deadline)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * CTL_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = h, .iov_len = sizeof(*h) };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	bool bad = false;
	ssize_t n;
	int rc;

	*nfds = 0;
	while ((n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT)) < 0)
		if ((rc = io_retry(fd, POLLIN, deadline)))
			return rc;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int f;

			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*nfds < CTL_MAX_FDS)
				fds[(*nfds)++] = f;
			else
				close(f), bad = true;
		}
	}
	if (bad || (m.msg_flags & MSG_CTRUNC)) {
		close_fds(fds, nfds);
		return -EPROTO;
	}
	if (n == 0)
		rc = -ECONNRESET;
	else
		rc = read_all(fd, (uint8_t *)h + n, sizeof(*h) - n, deadline);
	if (rc)
		close_fds(fds, nfds);
	return rc;
}

/*
 * Read a header and its payload, NUL-terminated for convenience. With
 * fds NULL, descriptors that came along are closed.
 */
static int recv_msg(int fd, struct ctl_header *h, char **payload, int *fds,
		    int *nfds, int64_t deadline)
{
	int rc, ignored_n, ignored[CTL_MAX_FDS];

	*payload = NULL;
	if (!fds) {
		fds = ignored;
		nfds = &ignored_n;
	}
	rc = recv_header(fd, h, fds, nfds, deadline);
	if (!rc && h->magic != CTL_MAGIC)
		rc = -EPROTO;
	if (!rc && h->version != CTL_VERSION)
		rc = -EPROTONOSUPPORT;
	if (!rc && h->len > CTL_MAX_PAYLOAD)
		rc = -EMSGSIZE;
	if (!rc) {
		*payload = malloc(h->len + 1);
		rc = *payload ? read_all(fd, *payload, h->len, deadline) :
				-ENOMEM;
	}
	if (rc || fds == ignored)
		close_fds(fds, nfds);
	if (rc) {
		free(*payload);
		*payload = NULL;
		return rc;
	}
	(*payload)[h->len] = '\0';
	return 0;
}

int ctl_send_request(int fd, int argc, char *const argv[])
{
	return ctl_send_request_fds(fd, argc, argv, NULL, 0);
}

int ctl_send_request_fds(int fd, int argc, char *const argv[],
			 const int *fds, int nfds)
{
	size_t len = 0, off = 0;
	char *buf;
	int rc;

	if (argc < 1 || argc > CTL_MAX_ARGS)
		return -E2BIG;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if (len > CTL_MAX_PAYLOAD)
		return -EMSGSIZE;
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]) + 1;

		memcpy(buf + off, argv[i], n);
		off += n;
	}
	rc = send_msg(fd, 0, buf, len, fds, nfds, -1);
	free(buf);
	return rc;
}

int ctl_parse_request(char *payload, size_t len, struct ctl_request *req)
{
	/* The payload must be whole strings: it ends with a NUL. */
	if (len == 0 || payload[len - 1] != '\0')
		return -EPROTO;
	req->argc = 0;
	for (char *p = payload; p < payload + len; p += strlen(p) + 1) {
		if (req->argc == CTL_MAX_ARGS)
			return -EPROTO;
		req->argv[req->argc++] = p;
	}
	req->argv[req->argc] = NULL;
	return 0;
}

int ctl_recv_request(int fd, struct ctl_request *req, int timeout_ms)
{
	struct ctl_header h;
	int rc;

	req->argc = 0;
	req->argv[0] = NULL;
	req->nfds = 0;
	rc = recv_msg(fd, &h, &req->payload, req->fds, &req->nfds,
		      deadline_in(timeout_ms));
	if (!rc)
		rc = ctl_parse_request(req->payload, h.len, req);
	if (rc)
		ctl_request_free(req);
	return rc;
}

void ctl_request_free(struct ctl_request *req)
{
	close_fds(req->fds, &req->nfds);
	free(req->payload);
	req->payload = NULL;
}

int ctl_send_reply(int fd, int status, const char *text, size_t len,
		   int timeout_ms)
{
	return send_msg(fd, status, text, len, NULL, 0, deadline_in(timeout_ms));
}

int ctl_recv_reply(int fd, int *status, char **text, size_t *len)
{
	struct ctl_header h;
	int rc = recv_msg(fd, &h, text, NULL, NULL, -1);

	if (rc)
		return rc;
	*status = h.status;
	*len = h.len;
	return 0;
}
