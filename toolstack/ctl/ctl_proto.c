// SPDX-License-Identifier: MIT
/* Framing for the pvisord control protocol (see ctl_proto.h). */
#include <errno.h>
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

static int send_msg(int fd, int status, const void *payload, size_t len)
{
	struct ctl_header h = {
		.magic = CTL_MAGIC, .version = CTL_VERSION,
		.status = status, .len = (uint32_t)len,
	};
	int rc;

	if (len > CTL_MAX_PAYLOAD)
		return -EMSGSIZE;
	rc = write_all(fd, &h, sizeof(h));
	if (!rc && len)
		rc = write_all(fd, payload, len);
	return rc;
}

/* Read a header and its payload, NUL-terminated for convenience. */
static int recv_msg(int fd, struct ctl_header *h, char **payload)
{
	int rc = read_all(fd, h, sizeof(*h));

	*payload = NULL;
	if (rc)
		return rc;
	if (h->magic != CTL_MAGIC)
		return -EPROTO;
	if (h->version != CTL_VERSION)
		return -EPROTONOSUPPORT;
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
	rc = send_msg(fd, 0, buf, len);
	free(buf);
	return rc;
}

int ctl_recv_request(int fd, struct ctl_request *req)
{
	struct ctl_header h;
	char *p;
	int rc = recv_msg(fd, &h, &req->payload);

	if (rc)
		return rc;
	/* The payload must be whole strings: it ends with a NUL. */
	if (h.len == 0 || req->payload[h.len - 1] != '\0')
		goto bad;
	req->argc = 0;
	for (p = req->payload; p < req->payload + h.len; p += strlen(p) + 1) {
		if (req->argc == CTL_MAX_ARGS)
			goto bad;
		req->argv[req->argc++] = p;
	}
	req->argv[req->argc] = NULL;
	return 0;
bad:
	free(req->payload);
	req->payload = NULL;
	return -EPROTO;
}

int ctl_send_reply(int fd, int status, const char *text, size_t len)
{
	return send_msg(fd, status, text, len);
}

int ctl_recv_reply(int fd, int *status, char **text, size_t *len)
{
	struct ctl_header h;
	int rc = recv_msg(fd, &h, text);

	if (rc)
		return rc;
	*status = h.status;
	*len = h.len;
	return 0;
}
