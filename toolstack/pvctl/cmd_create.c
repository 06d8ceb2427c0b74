// SPDX-License-Identifier: MIT
/*
 * pvctl create [-c] [CONFIG] [key=value ...]: read an xl-style domain
 * configuration, apply command-line overrides, and ask pvisord to build
 * and start the domain. Paths are made absolute here, because the daemon
 * does not share our working directory.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvctl.h"

#define MAX_CREATE_ARGS 32

static void create_usage(FILE *f)
{
	fprintf(f,
		"usage: pvctl create [-c] [CONFIG] [key=value ...]\n\n"
		"Create a domain. Keys: name, kernel, ramdisk, cmdline, memory\n"
		"(MiB), vcpus, on_poweroff, on_reboot, on_crash (destroy,\n"
		"restart, preserve). key=value arguments override CONFIG.\n"
		"-c attaches to the console once the domain runs.\n");
}

static int absolutize(char *buf, size_t len, const char *path)
{
	char real[PATH_MAX];

	if (!realpath(path, real))
		return -errno;
	if (strlen(real) + 1 > len)
		return -ENAMETOOLONG;
	strcpy(buf, real);
	return 0;
}

int cmd_create(int argc, char **argv)
{
	char *req[MAX_CREATE_ARGS + 1] = { "create" };
	char name[256] = "";
	int n = 1, first = 1, rc;
	bool console = false;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		create_usage(stdout);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "-c")) {
		console = true;
		first = 2;
	}
	if (first < argc && !strchr(argv[first], '=')) {
		n = pvctl_config_to_args(argv[first], req, MAX_CREATE_ARGS);
		if (n < 0)
			return 1;
		first++;
	}
	for (int i = first; i < argc; i++) {
		char *arg = argv[i];

		if (!strchr(arg, '=')) {
			create_usage(stderr);
			return 2;
		}
		if (n == MAX_CREATE_ARGS) {
			fprintf(stderr, "pvctl create: too many settings\n");
			return 2;
		}
		req[n++] = arg;
	}
	/* Later settings win; make file paths absolute for the daemon. */
	for (int i = 1; i < n; i++) {
		const char *key = req[i], *val = strchr(key, '=') + 1;
		size_t klen = val - 1 - key;

		if ((klen == 6 && !strncmp(key, "kernel", 6)) ||
		    (klen == 7 && !strncmp(key, "ramdisk", 7))) {
			char abs[PATH_MAX];

			rc = absolutize(abs, sizeof(abs), val);
			if (rc) {
				fprintf(stderr, "pvctl create: %.*s '%s': %s\n",
					(int)klen, key, val, strerror(-rc));
				return 1;
			}
			if (asprintf(&req[i], "%.*s=%s", (int)klen, key, abs) < 0)
				return 1;
		}
		if (klen == 4 && !strncmp(key, "name", 4))
			snprintf(name, sizeof(name), "%s", val);
	}
	rc = pvctl_request(n, req, true);
	if (rc || !console)
		return rc;
	return pvctl_console(name);
}
