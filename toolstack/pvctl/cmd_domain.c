// SPDX-License-Identifier: MIT
/* pvctl commands that pvisord carries out: list, destroy, console, ... */
#include <stdio.h>
#include <string.h>

#include "pvctl.h"

struct domain_cmd {
	const char *name;
	const char *args;	/* usage after the command name */
	int min_args, max_args;
	const char *help;
};

static const struct domain_cmd domain_cmds[] = {
	{ "list", "", 0, 0,
	  "List domains: name, id, memory, vCPUs, state, CPU time." },
	{ "vcpu-list", "[DOMAIN]", 0, 1,
	  "List vCPUs: state, CPU time and exits taken." },
	{ "destroy", "DOMAIN", 1, 1,
	  "Kill a domain at once and release everything it holds." },
	{ "shutdown", "DOMAIN", 1, 1,
	  "Ask the guest to power off (through its xenstore control node)." },
	{ "reboot", "DOMAIN", 1, 1,
	  "Ask the guest to reboot (through its xenstore control node)." },
	{ "pause", "DOMAIN", 1, 1,
	  "Stop scheduling a domain's vCPUs; memory and state are kept." },
	{ "unpause", "DOMAIN", 1, 1, "Let a paused domain run again." },
	{ "console", "DOMAIN", 1, 1,
	  "Attach to a domain's console; Ctrl-] detaches, the domain runs on." },
	{ "mem-set", "DOMAIN MiB", 2, 2,
	  "Set the balloon target (memory/target); the guest's balloon driver acts on it." },
	{ "dmesg", "", 0, 0, "Print the hypervisor's message ring." },
	{ "block-list", "DOMAIN", 1, 1,
	  "List a domain's disks: state, backend process, requests served." },
	{ "block-detach", "DOMAIN VDEV [--force]", 2, 3,
	  "Unplug a disk once the guest lets go of it (--force: at once)." },
};

const struct domain_cmd *find_cmd(const char *name);

const struct domain_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < sizeof(domain_cmds) / sizeof(domain_cmds[0]); i++)
		if (!strcmp(domain_cmds[i].name, name))
			return &domain_cmds[i];
	return NULL;
}

void domain_cmds_usage(FILE *f);

void domain_cmds_usage(FILE *f)
{
	for (size_t i = 0; i < sizeof(domain_cmds) / sizeof(domain_cmds[0]); i++)
		fprintf(f, "  %-10s %s\n", domain_cmds[i].name,
			domain_cmds[i].help);
}

/* DOMAIN is an id or a name, as with xl. */
int cmd_domain(int argc, char **argv)
{
	const struct domain_cmd *c = find_cmd(argv[0]);
	int nargs = argc - 1;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: pvctl %s %s\n\n%s\nDOMAIN is an id or a name.\n",
		       c->name, c->args, c->help);
		return 0;
	}
	if (nargs < c->min_args || nargs > c->max_args) {
		fprintf(stderr, "usage: pvctl %s %s\n", c->name, c->args);
		return 2;
	}
	if (!strcmp(c->name, "console"))
		return pvctl_console(argv[1]);
	return pvctl_request(argc, argv, true);
}
