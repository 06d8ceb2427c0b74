// SPDX-License-Identifier: MIT
/* Framing for the pvisord control protocol (see ctl_proto.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pvisor/ctl_proto.h"

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
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
		       int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * CTL_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)h, .iov_len = sizeof(*h) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

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
	do
		n = sendmsg(fd, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* The rest, if the kernel took only part: descriptors went first. */
	return write_all(fd, (const uint8_t *)h + n, sizeof(*h) - n);
}

static int send_msg_fds(int fd, int status, const void *payload, size_t len,
			const int *fds, int nfds)
{
	struct ctl_header h = {
		.magic = CTL_MAGIC, .version = CTL_VERSION,
		.status = status, .len = (uint32_t)len,
	};
	int rc;

	if (len > CTL_MAX_PAYLOAD)
		return -EMSGSIZE;
	rc = send_header(fd, &h, fds, nfds);
	if (!rc && len)
		rc = write_all(fd, payload, len);
	return rc;
}

static int send_msg(int fd, int status, const void *payload, size_t len)
{
	return send_msg_fds(fd, status, payload, len, NULL, 0);
}

/*
 * The header and whatever descriptors came with it (close-on-exec; more
 * than CTL_MAX_FDS, or a truncated list, is a protocol error: all are
 * closed).
 */
static int recv_header(int fd, struct ctl_header *h, int *fds, int *nfds)
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

	*nfds = 0;
	do
		n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ECONNRESET;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		int k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (int i = 0; i < k; i++) {
			int f;

			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*nfds < CTL_MAX_FDS)
				fds[(*nfds)++] = f;
			else
				close(f), bad = true;
		}
	}
	if (bad || (m.msg_flags & MSG_CTRUNC)) {
		for (int i = 0; i < *nfds; i++)
			close(fds[i]);
		*nfds = 0;
		return -EPROTO;
	}
	return read_all(fd, (uint8_t *)h + n, sizeof(*h) - n);
}

/* Read a header and its payload, NUL-terminated for convenience. */
static int recv_msg(int fd, struct ctl_header *h, char **payload, int *fds,
		    int *nfds)
{
	int rc, ignored_n, ignored[CTL_MAX_FDS];

	if (!fds) {
		fds = ignored;
		nfds = &ignored_n;
	}
	rc = recv_header(fd, h, fds, nfds);
	*payload = NULL;
	if (!rc && h->magic != CTL_MAGIC)
		rc = -EPROTO;
	if (!rc && h->version != CTL_VERSION)
		rc = -EPROTONOSUPPORT;
	if (rc || fds == ignored) {
		/* Descriptors nobody asked for are never kept. */
		for (int i = 0; i < *nfds; i++)
			close(fds[i]);
		*nfds = 0;
	}
	if (rc)
		return rc;
	if (h->len > CTL_MAX_PAYLOAD)
		return -EMSGSIZE;
	*payload = malloc(h->len + 1);
	if (!*payload)
		return -ENOMEM;
	rc = read_all(fd, *payload, h->len);
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
	rc = send_msg_fds(fd, 0, buf, len, fds, nfds);
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

int ctl_recv_request(int fd, struct ctl_request *req)
{
	struct ctl_header h;
	int rc;

	req->nfds = 0;
	rc = recv_msg(fd, &h, &req->payload, req->fds, &req->nfds);
	if (!rc)
		rc = ctl_parse_request(req->payload, h.len, req);
	if (rc)
		ctl_request_free(req);
	return rc;
}

void ctl_request_free(struct ctl_request *req)
{
	for (int i = 0; i < req->nfds; i++)
		if (req->fds[i] >= 0)
			close(req->fds[i]);
	req->nfds = 0;
	free(req->payload);
	req->payload = NULL;
}

int ctl_send_reply(int fd, int status, const char *text, size_t len)
{
	return send_msg(fd, status, text, len);
}

int ctl_recv_reply(int fd, int *status, char **text, size_t *len)
{
	struct ctl_header h;
	int rc = recv_msg(fd, &h, text, NULL, NULL);

	if (rc)
		return rc;
	*status = h.status;
	*len = h.len;
	return 0;
}
