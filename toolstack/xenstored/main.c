// SPDX-License-Identifier: MIT
/*
 * pvxenstored: the xenstore daemon for dom0 clients on a UNIX socket.
 * Guest rings are attached by pvisord, which links the same library.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenstored.h"

static volatile int stop;

static void on_signal(int sig)
{
	stop = 1;
}

static const char *const quota_names[XS_Q_COUNT] = {
	[XS_Q_NODES] = "nodes",
	[XS_Q_NODE_SIZE] = "node-size",
	[XS_Q_WATCHES] = "watches",
	[XS_Q_TRANSACTIONS] = "transactions",
	[XS_Q_OUTSTANDING] = "outstanding",
	[XS_Q_PERMS] = "permissions",
	[XS_Q_PATH] = "path-max",
	[XS_Q_TX_NODES] = "transaction-nodes",
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pvxenstored [-s SOCKET] [-Q NAME=N]... [-T]\n"
		"  -s, --socket PATH   listen here (default %s)\n"
		"  -Q, --quota NAME=N  per-domain quota, 0 = unlimited; NAME is one of\n"
		"                      nodes node-size watches transactions outstanding\n"
		"                      permissions path-max transaction-nodes\n"
		"  -T, --trace         log every request to stderr\n"
		"Runs in the foreground; SIGTERM or SIGINT stops it.\n",
		XS_DEFAULT_SOCKET);
}

static int set_quota(struct xs_store *st, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *end;
	unsigned long v;

	if (!eq)
		return -1;
	v = strtoul(eq + 1, &end, 10);
	if (*end || end == eq + 1 || v > 0x7fffffff)
		return -1;
	for (int i = 0; i < XS_Q_COUNT; i++) {
		if (strlen(quota_names[i]) == (size_t)(eq - arg) &&
		    !strncmp(arg, quota_names[i], (size_t)(eq - arg))) {
			xs_store_set_quota(st, i, (unsigned int)v);
			return 0;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "quota", required_argument, NULL, 'Q' },
		{ "trace", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = XS_DEFAULT_SOCKET;
	struct sigaction sa = { .sa_handler = on_signal };
	struct xs_socket *sock;
	struct xs_store *st;
	int c, r;

	st = xs_store_new(NULL);
	if (!st) {
		fprintf(stderr, "pvxenstored: out of memory\n");
		return 1;
	}
	while ((c = getopt_long(argc, argv, "s:Q:Th", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'Q':
			if (set_quota(st, optarg)) {
				fprintf(stderr, "pvxenstored: bad quota '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'T':
			xs_store_set_trace(st, 1);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	sock = xs_socket_open(st, path);
	if (!sock) {
		fprintf(stderr, "pvxenstored: cannot listen on %s: %s\n", path,
			strerror(errno));
		xs_store_free(st);
		return 1;
	}
	fprintf(stderr, "pvxenstored: listening on %s\n", path);
	r = xs_socket_run(sock, &stop);
	xs_socket_close(sock);
	xs_store_free(st);
	xs_thread_exit();
	if (r < 0) {
		fprintf(stderr, "pvxenstored: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}
