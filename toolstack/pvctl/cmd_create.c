// SPDX-License-Identifier: MIT
/*
 * pvctl create [-c] [CONFIG] [key=value ...]: read an xl-style domain
 * configuration (toolstack/config), apply command-line overrides, and ask
 * pvisord to build and start the domain. Paths are made absolute here,
 * because the daemon does not share our working directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pvconfig.h"
#include "pvctl.h"

static void create_usage(FILE *f)
{
	fprintf(f,
		"usage: pvctl create [-c] [CONFIG] [key=value ...]\n\n"
		"Create a domain from an xl-style CONFIG file. key=value arguments\n"
		"override it (or stand alone without a file). Keys: name, kernel,\n"
		"ramdisk, cmdline (or root + extra), memory (MiB), vcpus,\n"
		"on_poweroff, on_reboot, on_crash (destroy, restart, preserve),\n"
		"disk, vif (xl-network-configuration: mac, bridge, ip, vifname,\n"
		"script, rate, mtu, ...). -c attaches to the console once the\n"
		"domain runs.\n");
}

static const char *action_arg(enum cfg_action a)
{
	switch (a) {
	case CFG_ACT_DESTROY:
		return "destroy";
	case CFG_ACT_RESTART:
		return "restart";
	case CFG_ACT_PRESERVE:
		return "preserve";
	default:
		return NULL;	/* rename-restart, coredump-*, soft-reset */
	}
}

static int add(char **req, int *n, const char *key, const char *val)
{
	if (*n >= 32 || asprintf(&req[*n], "%s=%s", key, val) < 0)
		return -1;
	(*n)++;
	return 0;
}

/*
 * A file the domain needs, opened here with the caller's own rights and
 * passed to pvisord as a descriptor: the daemon runs as root and opens
 * nothing on anyone's behalf. The path still goes along, as its name.
 */
static int add_file(char **req, int *n, const char *key, const char *path,
		    int *fd)
{
	char real[PATH_MAX];
	struct stat st;

	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (*fd < 0 || fstat(*fd, &st)) {
		fprintf(stderr, "pvctl create: cannot open %s '%s': %s\n", key,
			path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "pvctl create: %s '%s' is not a regular file\n",
			key, path);
		return -1;
	}
	if (!realpath(path, real)) {
		fprintf(stderr, "pvctl create: %s '%s': %s\n", key, path,
			strerror(errno));
		return -1;
	}
	return add(req, n, key, real);
}

/*
 * key=value on the command line: the value is config syntax, but a bare
 * word (kernel=/path, name=web) is what people type; quote it for them.
 */
static char *quote_bare(const char *kv)
{
	const char *v = strchr(kv, '=') + 1;
	size_t klen = v - kv;
	char *out, *o;

	if (*v == '"' || *v == '\'' || *v == '[' || !*v ||
	    strspn(v, "0123456789") == strlen(v))
		return strdup(kv);
	out = malloc(klen + 2 * strlen(v) + 3);
	if (!out)
		return NULL;
	memcpy(out, kv, klen);
	o = out + klen;
	*o++ = '"';
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			*o++ = '\\';
		*o++ = *v;
	}
	*o++ = '"';
	*o = '\0';
	return out;
}

int cmd_create(int argc, char **argv)
{
	static struct cfg_domain cfg;
	const char *file = NULL, *acts[3];
	char *req[33 + CFG_MAX_DISKS + CFG_MAX_VIFS] = { "create" };
	char err[512], num[32];
	int n = 1, first = 1, rc, fds[2 + CFG_MAX_DISKS], nfds = 0;
	bool console = false;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		create_usage(stdout);
		return 0;
	}
	if (first < argc && !strcmp(argv[first], "-c")) {
		console = true;
		first++;
	}
	if (first < argc && !strchr(argv[first], '='))
		file = argv[first++];
	for (int i = first; i < argc; i++) {
		if (!strchr(argv[i], '=')) {
			create_usage(stderr);
			return 2;
		}
		argv[i] = quote_bare(argv[i]);
		if (!argv[i])
			return 1;
	}
	if (file)
		rc = cfg_load_file(file, (const char *const *)argv + first,
				   argc - first, &cfg, err, sizeof(err));
	else
		rc = cfg_load_buf("command line", "", 0,
				  (const char *const *)argv + first,
				  argc - first, &cfg, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "pvctl create: %s\n", err);
		return 1;
	}
	if (!cfg.name[0] || !cfg.kernel[0]) {
		fprintf(stderr, "pvctl create: %s: 'name' and 'kernel' are "
			"required\n", file ? file : "command line");
		return 1;
	}
	acts[0] = action_arg(cfg.on_poweroff);
	acts[1] = action_arg(cfg.on_reboot);
	acts[2] = action_arg(cfg.on_crash);
	for (int i = 0; i < 3; i++)
		if (!acts[i]) {
			fprintf(stderr, "pvctl create: on_%s: pvisord supports "
				"destroy, restart and preserve only\n",
				i == 0 ? "poweroff" : i == 1 ? "reboot" : "crash");
			return 1;
		}
	if (add(req, &n, "name", cfg.name) ||
	    add_file(req, &n, "kernel", cfg.kernel, &fds[nfds++]) ||
	    (cfg.ramdisk[0] &&
	     add_file(req, &n, "ramdisk", cfg.ramdisk, &fds[nfds++])) ||
	    (cfg.cmdline[0] && add(req, &n, "cmdline", cfg.cmdline)) ||
	    (cfg.type != CFG_TYPE_PV &&
	     add(req, &n, "type", cfg_type_name(cfg.type))))
		return 1;	/* what is open closes as pvctl exits */
	snprintf(num, sizeof(num), "%llu", (unsigned long long)cfg.memory_mb);
	if (add(req, &n, "memory", num))
		return 1;
	snprintf(num, sizeof(num), "%u", cfg.vcpus);
	if (add(req, &n, "vcpus", num) || add(req, &n, "on_poweroff", acts[0]) ||
	    add(req, &n, "on_reboot", acts[1]) || add(req, &n, "on_crash", acts[2]))
		return 1;
	if (cfg.console_log_max_kb) {
		snprintf(num, sizeof(num), "%llu",
			 (unsigned long long)cfg.console_log_max_kb);
		if (add(req, &n, "console_log_max", num))
			return 1;
	}
	for (unsigned int i = 0; i < cfg.ndisks; i++)
		if (n >= 32 + CFG_MAX_DISKS ||
		    pvctl_open_disk(&cfg.disks[i], &fds[nfds++], &req[n++]))
			return 1;
	for (unsigned int i = 0; i < cfg.nvifs; i++)
		if (pvctl_vif_arg(&cfg.vifs[i], &req[n++]))
			return 1;
	rc = pvctl_request_fds(n, req, fds, nfds, true);
	if (rc || !console)
		return rc;
	return pvctl_console(cfg.name);
}
