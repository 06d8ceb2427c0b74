// SPDX-License-Identifier: MIT
/* A blocking xs_wire client with a queue for watch events (xs_client.h). */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <pvabi/io/xs_wire.h>

#include "pvisor/xs_client.h"

struct xs_event {
	struct xs_event *next;
	char *path, *token;		/* one allocation, path first */
};

struct xs_client {
	int fd;
	uint32_t next_req;
	struct xs_event *head, **tail;
	bool broken;
};

int xs_client_open(const char *socket_path, struct xs_client **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct xs_client *c;

	if (strlen(socket_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, socket_path);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->tail = &c->head;
	c->next_req = 1;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = errno;

		if (c->fd >= 0)
			close(c->fd);
		free(c);
		return -err;
	}
	*out = c;
	return 0;
}

void xs_client_close(struct xs_client *c)
{
	if (!c)
		return;
	while (c->head) {
		struct xs_event *e = c->head;

		c->head = e->next;
		free(e->path);
		free(e);
	}
	close(c->fd);
	free(c);
}

int xs_client_fd(const struct xs_client *c)
{
	return c->fd;
}

static int io_full(struct xs_client *c, void *buf, size_t len, bool wr)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = wr ? send(c->fd, (char *)buf + done, len - done,
				      MSG_NOSIGNAL)
			       : read(c->fd, (char *)buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			c->broken = true;
			return -EIO;
		}
		done += n;
	}
	return 0;
}

static int from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (!strcmp(name, xsd_errors[i].errstring))
			return -xsd_errors[i].errnum;
	return -EIO;
}

/* One message off the socket; its body NUL-terminated. */
static int recv_msg(struct xs_client *c, struct xsd_sockmsg *h, char **body)
{
	if (io_full(c, h, sizeof(*h), false))
		return -EIO;
	if (h->len > XENSTORE_PAYLOAD_MAX) {
		c->broken = true;
		return -EIO;
	}
	*body = malloc(h->len + 1);
	if (!*body)
		return -ENOMEM;
	if (io_full(c, *body, h->len, false)) {
		free(*body);
		return -EIO;
	}
	(*body)[h->len] = '\0';
	return 0;
}

/* Queue a watch event: "path\0token\0". */
static void queue_event(struct xs_client *c, char *body, uint32_t len)
{
	struct xs_event *e = malloc(sizeof(*e));
	size_t plen = strnlen(body, len);

	if (!e || plen >= len) {
		free(e);
		free(body);
		return;
	}
	e->path = body;
	e->token = body + plen + 1;
	e->next = NULL;
	*c->tail = e;
	c->tail = &e->next;
}

static int request(struct xs_client *c, uint32_t type, const void *payload,
		   size_t len, char **reply, size_t *rlen)
{
	struct xsd_sockmsg h = { .type = type, .len = (uint32_t)len };
	char *body;
	int rc;

	if (c->broken)
		return -EIO;
	if (len > XENSTORE_PAYLOAD_MAX)
		return -E2BIG;
	h.req_id = c->next_req++;
	if (io_full(c, &h, sizeof(h), true) ||
	    io_full(c, (void *)payload, len, true))
		return -EIO;
	for (;;) {
		rc = recv_msg(c, &h, &body);
		if (rc)
			return rc;
		if (h.type != XS_WATCH_EVENT)
			break;
		queue_event(c, body, h.len);
	}
	if (h.type == XS_ERROR) {
		rc = from_name(body);
		free(body);
		return rc;
	}
	if (rlen)
		*rlen = h.len;
	if (reply)
		*reply = body;
	else
		free(body);
	return 0;
}

/* Up to three strings, each with its NUL but the last's optional. */
static int request_strs(struct xs_client *c, uint32_t type, const char *a,
			const char *b, bool b_nul)
{
	char buf[XENSTORE_PAYLOAD_MAX];
	size_t la = strlen(a) + 1, lb = b ? strlen(b) + b_nul : 0;

	if (la + lb > sizeof(buf))
		return -E2BIG;
	memcpy(buf, a, la);
	if (b)
		memcpy(buf + la, b, lb);
	return request(c, type, buf, la + lb, NULL, NULL);
}

int xs_client_read(struct xs_client *c, const char *path, char **val,
		   size_t *len)
{
	return request(c, XS_READ, path, strlen(path) + 1, val, len);
}

int xs_client_directory(struct xs_client *c, const char *path, char **list,
			size_t *len)
{
	return request(c, XS_DIRECTORY, path, strlen(path) + 1, list, len);
}

int xs_client_write(struct xs_client *c, const char *path, const char *val)
{
	return request_strs(c, XS_WRITE, path, val, false);
}

int xs_client_printf(struct xs_client *c, const char *path, const char *fmt,
		     ...)
{
	char val[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(val))
		return -E2BIG;
	return xs_client_write(c, path, val);
}

int xs_client_mkdir(struct xs_client *c, const char *path)
{
	return request(c, XS_MKDIR, path, strlen(path) + 1, NULL, NULL);
}

int xs_client_rm(struct xs_client *c, const char *path)
{
	return request(c, XS_RM, path, strlen(path) + 1, NULL, NULL);
}

int xs_client_set_perms(struct xs_client *c, const char *path,
			const char *const *perms, unsigned int n)
{
	char buf[XENSTORE_PAYLOAD_MAX];
	size_t len = strlen(path) + 1;

	if (len > sizeof(buf))
		return -E2BIG;
	memcpy(buf, path, len);
	for (unsigned int i = 0; i < n; i++) {
		size_t l = strlen(perms[i]) + 1;

		if (len + l > sizeof(buf))
			return -E2BIG;
		memcpy(buf + len, perms[i], l);
		len += l;
	}
	return request(c, XS_SET_PERMS, buf, len, NULL, NULL);
}

int xs_client_watch(struct xs_client *c, const char *path, const char *token)
{
	return request_strs(c, XS_WATCH, path, token, true);
}

int xs_client_unwatch(struct xs_client *c, const char *path,
		      const char *token)
{
	return request_strs(c, XS_UNWATCH, path, token, true);
}

int xs_client_event(struct xs_client *c, bool wait, char **path, char **token)
{
	while (!c->head) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		struct xsd_sockmsg h;
		char *body;

		if (c->broken)
			return -EIO;
		if (!wait && poll(&p, 1, 0) <= 0)
			return 0;
		if (recv_msg(c, &h, &body))
			return -EIO;
		if (h.type == XS_WATCH_EVENT)
			queue_event(c, body, h.len);
		else
			free(body);	/* a stray reply: nothing waits for it */
	}
	struct xs_event *e = c->head;

	c->head = e->next;
	if (!c->head)
		c->tail = &c->head;
	*path = e->path;
	*token = e->token;
	free(e);
	return 1;
}
