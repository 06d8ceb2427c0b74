// SPDX-License-Identifier: MIT
/*
 * pvctl xenstore ls|read|write|rm|watch: a dom0 client of pvisord's
 * xenstore socket (toolstack/xsclient), speaking xs_wire as Xen's own
 * tools do (which work against the same socket: XENSTORED_PATH=...
 * xenstore-ls).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pvabi/io/xs_wire.h>

#include "pvisor/xs_client.h"
#include "pvctl.h"

#define XS_SOCKET_DEFAULT "/run/pvisor/xenstored/socket"

/* The daemon's own word for an error (ENOENT, EACCES, ...). */
static int complain(int rc)
{
	const char *name = strerror(-rc);

	for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (xsd_errors[i].errnum == -rc)
			name = xsd_errors[i].errstring;
	fprintf(stderr, "pvctl xenstore: %s\n", name);
	return 1;
}

static int xs_ls(struct xs_client *c, const char *path, int depth)
{
	char *list, *p, child[4096], *val;
	size_t len;
	int rc = xs_client_directory(c, path, &list, &len);

	if (rc)
		return complain(rc);
	for (p = list; p < list + len; p += strlen(p) + 1) {
		if (!*p)
			continue;
		snprintf(child, sizeof(child), "%s%s%s", path,
			 strcmp(path, "/") ? "/" : "", p);
		if (xs_client_read(c, child, &val, NULL) == 0) {
			printf("%*s%s = \"%s\"\n", depth * 2, "", p, val);
			free(val);
		}
		xs_ls(c, child, depth + 1);
	}
	free(list);
	return 0;
}

int cmd_xenstore(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";
	const char *path = getenv("XENSTORED_PATH");
	struct xs_client *c;
	char *val, *ev, *token;
	int rc;

	if (argc < 3 || !strcmp(op, "--help") || !strcmp(op, "-h")) {
		fprintf(argc < 3 && strcmp(op, "--help") ? stderr : stdout,
			"usage: pvctl xenstore ls PATH | read PATH | write PATH VALUE"
			" | rm PATH | watch PATH\n");
		return argc < 3 && strcmp(op, "--help") ? 2 : 0;
	}
	if (!path || !*path)
		path = XS_SOCKET_DEFAULT;
	rc = xs_client_open(path, &c);
	if (rc) {
		fprintf(stderr, "pvctl xenstore: cannot reach xenstore at %s: %s "
			"(is pvisord running? XENSTORED_PATH overrides)\n",
			path, strerror(-rc));
		return 1;
	}
	if (!strcmp(op, "ls") && argc == 3) {
		rc = xs_ls(c, argv[2], 0);
	} else if (!strcmp(op, "read") && argc == 3) {
		rc = xs_client_read(c, argv[2], &val, NULL);
		if (!rc) {
			printf("%s\n", val);
			free(val);
		}
		rc = rc ? complain(rc) : 0;
	} else if (!strcmp(op, "write") && argc == 4) {
		rc = xs_client_write(c, argv[2], argv[3]);
		rc = rc ? complain(rc) : 0;
	} else if (!strcmp(op, "rm") && argc == 3) {
		rc = xs_client_rm(c, argv[2]);
		rc = rc ? complain(rc) : 0;
	} else if (!strcmp(op, "watch") && argc == 3) {
		rc = xs_client_watch(c, argv[2], "pvctl");
		rc = rc ? complain(rc) : 0;
		/* Events until interrupted: "path" per line, as xenstore-watch. */
		while (!rc && xs_client_event(c, true, &ev, &token) == 1) {
			printf("%s\n", ev);
			fflush(stdout);
			free(ev);
		}
	} else {
		fprintf(stderr, "pvctl xenstore: bad arguments for '%s'\n", op);
		rc = 2;
	}
	xs_client_close(c);
	return rc;
}
