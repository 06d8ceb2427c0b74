// SPDX-License-Identifier: MIT
/* pvctl: the pvisor command line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pvctl.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "run", cmd_run, "run one PV kernel in the foreground (no daemon)" },
	{ "info", cmd_info, "show what this host's KVM offers pvisor" },
	{ "create", cmd_create, "create a domain from an xl-style config file" },
	{ "xenstore", cmd_xenstore, "ls, read, write, rm, watch xenstore nodes" },
	{ "block-attach", cmd_block_attach, "hot-plug a disk into a running domain" },
	{ "network-attach", cmd_network_attach,
	  "hot-plug a network interface into a running domain" },
	{ "network-detach", cmd_network_detach,
	  "unplug a network interface once the guest lets go (--force: at once)" },
	{ "network-list", cmd_network_list,
	  "list a domain's network interfaces: MAC, tap, bridge, state, counters" },
};

const struct domain_cmd *find_cmd(const char *name);
void domain_cmds_usage(FILE *f);

static void usage(FILE *f)
{
	fprintf(f, "usage: pvctl COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	domain_cmds_usage(f);
	fprintf(f, "\n'pvctl COMMAND --help' describes each command.\n");
}

void *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	void *buf;

	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		fclose(f);
		errno = EINVAL;
		return NULL;
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (buf && fread(buf, 1, st.st_size, f) != (size_t)st.st_size) {
		free(buf);
		buf = NULL;
		errno = EIO;
	}
	fclose(f);
	*len = st.st_size;
	return buf;
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	if (find_cmd(argv[1]))
		return cmd_domain(argc - 1, argv + 1);
	fprintf(stderr, "pvctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
