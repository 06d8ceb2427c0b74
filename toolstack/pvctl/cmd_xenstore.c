// SPDX-License-Identifier: MIT
/*
 * pvctl xenstore ls|read|write|rm|watch: a dom0 client of pvisord's
 * xenstore socket, speaking xs_wire as Xen's own tools do (which work
 * against the same socket: XENSTORED_PATH=... xenstore-ls).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pvabi/io/xs_wire.h>

#include "pvctl.h"

#define XS_SOCKET_DEFAULT "/run/pvisor/xenstored/socket"

static int xs_connect(void)
{
	const char *path = getenv("XENSTORED_PATH");
	int fd;

	if (!path || !*path)
		path = XS_SOCKET_DEFAULT;
	fd = unix_connect(path);
	if (fd < 0)
		fprintf(stderr, "pvctl xenstore: cannot reach xenstore at %s: %s "
			"(is pvisord running? XENSTORED_PATH overrides)\n",
			path, strerror(-fd));
	return fd;
}

static int xs_send(int fd, uint32_t type, const char *payload, uint32_t len)
{
	struct xsd_sockmsg h = { .type = type, .req_id = 1, .len = len };

	if (write(fd, &h, sizeof(h)) != sizeof(h) ||
	    (len && write(fd, payload, len) != (ssize_t)len))
		return -EIO;
	return 0;
}

static int read_full(int fd, void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = read(fd, (char *)buf + done, len - done);

		if (n <= 0)
			return -EIO;
		done += n;
	}
	return 0;
}

/* One reply (or watch event); *body is NUL-terminated, caller frees. */
static int xs_recv(int fd, struct xsd_sockmsg *h, char **body)
{
	if (read_full(fd, h, sizeof(*h)) || h->len > XENSTORE_PAYLOAD_MAX)
		return -EIO;
	*body = malloc(h->len + 1);
	if (!*body || read_full(fd, *body, h->len))
		return -EIO;
	(*body)[h->len] = '\0';
	return 0;
}

static int xs_request(int fd, uint32_t type, const char *payload, uint32_t len,
		      char **body, uint32_t *blen)
{
	struct xsd_sockmsg h;

	if (xs_send(fd, type, payload, len))
		return -EIO;
	do {
		if (xs_recv(fd, &h, body))
			return -EIO;
		if (h.type == XS_WATCH_EVENT)
			free(*body);
	} while (h.type == XS_WATCH_EVENT);
	*blen = h.len;
	if (h.type == XS_ERROR) {
		fprintf(stderr, "pvctl xenstore: %s\n", *body);
		free(*body);
		return -1;
	}
	return 0;
}

static int xs_ls(int fd, const char *path, int depth)
{
	char *body, *p, child[4096], *val;
	uint32_t blen, vlen;

	if (xs_request(fd, XS_DIRECTORY, path, strlen(path) + 1, &body, &blen))
		return 1;
	for (p = body; p < body + blen; p += strlen(p) + 1) {
		if (!*p)
			continue;
		snprintf(child, sizeof(child), "%s%s%s", path,
			 strcmp(path, "/") ? "/" : "", p);
		if (xs_request(fd, XS_READ, child, strlen(child) + 1, &val,
			       &vlen) == 0) {
			printf("%*s%s = \"%.*s\"\n", depth * 2, "", p, (int)vlen,
			       val);
			free(val);
		}
		xs_ls(fd, child, depth + 1);
	}
	free(body);
	return 0;
}

int cmd_xenstore(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";
	char *body, buf[8192];
	uint32_t blen;
	int fd, rc = 0;

	if (argc < 3 || !strcmp(op, "--help") || !strcmp(op, "-h")) {
		fprintf(argc < 3 && strcmp(op, "--help") ? stderr : stdout,
			"usage: pvctl xenstore ls PATH | read PATH | write PATH VALUE"
			" | rm PATH | watch PATH\n");
		return argc < 3 && strcmp(op, "--help") ? 2 : 0;
	}
	fd = xs_connect();
	if (fd < 0)
		return 1;
	if (!strcmp(op, "ls") && argc == 3) {
		rc = xs_ls(fd, argv[2], 0);
	} else if (!strcmp(op, "read") && argc == 3) {
		rc = xs_request(fd, XS_READ, argv[2], strlen(argv[2]) + 1, &body,
				&blen) ? 1 : 0;
		if (!rc) {
			printf("%.*s\n", (int)blen, body);
			free(body);
		}
	} else if (!strcmp(op, "write") && argc == 4) {
		size_t pl = strlen(argv[2]) + 1, vl = strlen(argv[3]);

		if (pl + vl > sizeof(buf)) {
			fprintf(stderr, "pvctl xenstore: value too long\n");
			rc = 1;
		} else {
			memcpy(buf, argv[2], pl);
			memcpy(buf + pl, argv[3], vl);
			rc = xs_request(fd, XS_WRITE, buf, pl + vl, &body, &blen) ?
			     1 : 0;
			if (!rc)
				free(body);
		}
	} else if (!strcmp(op, "rm") && argc == 3) {
		rc = xs_request(fd, XS_RM, argv[2], strlen(argv[2]) + 1, &body,
				&blen) ? 1 : 0;
		if (!rc)
			free(body);
	} else if (!strcmp(op, "watch") && argc == 3) {
		struct xsd_sockmsg h;
		size_t pl = strlen(argv[2]) + 1;

		memcpy(buf, argv[2], pl);
		memcpy(buf + pl, "pvctl", 6);
		if (xs_send(fd, XS_WATCH, buf, pl + 6))
			rc = 1;
		/* Events until interrupted: "path" per line, as xenstore-watch. */
		while (!rc && xs_recv(fd, &h, &body) == 0) {
			if (h.type == XS_WATCH_EVENT) {
				printf("%s\n", body);
				fflush(stdout);
			} else if (h.type == XS_ERROR) {
				fprintf(stderr, "pvctl xenstore: %s\n", body);
				rc = 1;
			}
			free(body);
		}
	} else {
		fprintf(stderr, "pvctl xenstore: bad arguments for '%s'\n", op);
		rc = 2;
	}
	close(fd);
	return rc;
}
