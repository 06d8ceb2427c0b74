// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: arbitrary bytes as what a client sends pvisord on the
 * control socket (ctl_recv_request), or what pvisord sends pvctl
 * (ctl_recv_reply). The bytes go through a real socketpair, so the
 * framing runs as in the daemon: a header split across reads,
 * descriptors riding along, EOF anywhere.
 *
 * The first byte steers: bit 0 reply instead of request, bits 1-3
 * pick one of 8 descriptor counts to pass (0-3, or CTL_MAX_FDS - 1 to
 * CTL_MAX_FDS + 3: more than CTL_MAX_FDS is refused),
 * bits 4-7 how many bytes go in the first send (0: all at once).
 *
 * Checked beyond ASan/UBSan: a decoded request is well formed (argc in
 * range, every argv inside the payload, every descriptor open and
 * close-on-exec), and no descriptor leaks whatever the outcome.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pvisor/ctl_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int null_fd = -1;

/*
 * Which descriptors are open from the lowest free one up: every
 * descriptor an input makes (2 for the socketpair, at most 7 passed)
 * lands there, so a leak changes the picture.
 */
struct fd_picture {
	int base;
	uint16_t open;
};

static struct fd_picture fd_picture(void)
{
	struct fd_picture p = { .base = dup(null_fd) };

	if (p.base < 0)
		abort();
	close(p.base);
	for (int i = 0; i < 16; i++)
		if (fcntl(p.base + i, F_GETFD) >= 0)
			p.open |= 1u << i;
	return p;
}

/* Write the input as a client would, then EOF. */
static void send_input(int fd, const uint8_t *data, size_t size, int nfds,
		      size_t first)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * (CTL_MAX_FDS + 3))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)data, .iov_len = first };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds && first) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		for (int i = 0; i < nfds; i++)
			memcpy(CMSG_DATA(c) + i * sizeof(int), &null_fd,
			       sizeof(int));
	}
	if (first) {
		n = sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0)
			size = 0;
		data += n > 0 ? n : 0;
		size -= n > 0 ? (size_t)n : 0;
	}
	/* What does not fit the socket's buffer is cut: a truncation too. */
	while (size) {
		n = send(fd, data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n <= 0)
			break;
		data += n;
		size -= n;
	}
	shutdown(fd, SHUT_WR);
}

static void check_request(const struct ctl_request *q, size_t payload_max)
{
	size_t total = 0;

	if (q->argc < 1 || q->argc > CTL_MAX_ARGS || q->argv[q->argc])
		abort();
	for (int i = 0; i < q->argc; i++) {
		size_t len = strlen(q->argv[i]) + 1;

		if (q->argv[i] != q->payload + total)
			abort();
		total += len;
	}
	if (total > payload_max)
		abort();
	if (q->nfds < 0 || q->nfds > CTL_MAX_FDS)
		abort();
	for (int i = 0; i < q->nfds; i++) {
		int fl = fcntl(q->fds[i], F_GETFD);

		if (fl < 0 || !(fl & FD_CLOEXEC))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fd_picture before, after;
	int sv[2], mode, nfds;
	size_t first;

	if (null_fd < 0) {
		null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null_fd < 0)
			abort();
	}
	if (!size)
		return 0;
	mode = data[0];
	data++;
	size--;
	{	/* a few, or around the limit, or over it */
		static const int counts[8] = { 0, 1, 2, 3, CTL_MAX_FDS - 1,
					       CTL_MAX_FDS, CTL_MAX_FDS + 1,
					       CTL_MAX_FDS + 3 };

		nfds = counts[(mode >> 1) & 7];
	}
	first = (mode >> 4) ? (size_t)(mode >> 4) : size;
	if (first > size)
		first = size;
	if (!first)
		nfds = 0;

	before = fd_picture();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		abort();
	send_input(sv[0], data, size, nfds, first);
	if (mode & 1) {
		char *text = NULL;
		size_t len;
		int status;

		if (!ctl_recv_reply(sv[1], &status, &text, &len)) {
			if (!text || text[len] != '\0')
				abort();
			free(text);
		}
	} else {
		struct ctl_request q;

		/* All bytes are there and EOF is set: never waits. */
		if (!ctl_recv_request(sv[1], &q, 1000)) {
			check_request(&q, size);
			/* As cmd_create does: take the first descriptor. */
			if (q.nfds) {
				close(q.fds[0]);
				q.fds[0] = -1;
			}
			ctl_request_free(&q);
		}
	}
	close(sv[0]);
	close(sv[1]);
	after = fd_picture();
	if (after.base != before.base || after.open != before.open)
		abort();	/* a descriptor leaked */

	/* The payload parser alone, on the raw bytes. */
	{
		struct ctl_request q;
		char *copy = malloc(size ? size : 1);

		if (!copy)
			return 0;
		memcpy(copy, data, size);
		if (!ctl_parse_request(copy, size, &q)) {
			q.payload = copy;
			q.nfds = 0;
			check_request(&q, size);
		}
		free(copy);
	}
	return 0;
}
