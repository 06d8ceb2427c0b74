// SPDX-License-Identifier: MIT
/*
 * Network interfaces from the command line, as xl's network-* commands:
 *   pvctl network-attach DOMAIN VIFSPEC          hot-plug a vif
 *   pvctl network-detach DOMAIN DEVID|MAC [--force]
 *   pvctl network-list DOMAIN
 * A spec is checked here first (the same parser as config files), so a
 * mistake is explained before pvisord is asked; pvisord gets the
 * canonical spec and fills in what is left out (devid, MAC, script).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvconfig.h"
#include "pvctl.h"

int pvctl_vif_arg(const struct cfg_vif *v, char **arg)
{
	/* Every field of a cfg_vif, with its key: ample. */
	char spec[sizeof(*v) + 256];

	if (cfg_vif_format(v, spec, sizeof(spec)) ||
	    asprintf(arg, "vif=%s", spec) < 0) {
		fprintf(stderr, "pvctl: cannot format a vif spec\n");
		return -1;
	}
	return 0;
}

static bool help(int argc, char **argv, const char *usage, const char *text)
{
	if (argc < 2 || (strcmp(argv[1], "--help") && strcmp(argv[1], "-h")))
		return false;
	printf("usage: pvctl %s\n\n%s", usage, text);
	return true;
}

int cmd_network_attach(int argc, char **argv)
{
	static const char usage[] = "network-attach DOMAIN VIFSPEC";
	struct cfg_vif v;
	char err[512], *req[3];
	int rc;

	if (help(argc, argv, usage,
		 "Hot-plug a network interface into a running domain. VIFSPEC "
		 "as in a config\nfile's vif list (xl-network-configuration): "
		 "e.g. 'bridge=xenbr0' or\n'mac=00:16:3e:00:00:01,bridge=br0,"
		 "rate=10Mb/s@20ms'. Without devid the first\nfree number is "
		 "taken; without mac one is made from the domain's name and\n"
		 "the devid. DOMAIN is an id or a name.\n"))
		return 0;
	if (argc != 3) {
		fprintf(stderr, "usage: pvctl %s\n", usage);
		return 2;
	}
	if (cfg_parse_vif(argv[2], &v, err, sizeof(err))) {
		fprintf(stderr, "pvctl network-attach: '%s': %s\n", argv[2],
			err);
		return 1;
	}
	if (pvctl_vif_arg(&v, &req[2]))
		return 1;
	req[0] = "network-attach";
	req[1] = argv[1];
	rc = pvctl_request(3, req, true);
	free(req[2]);
	return rc;
}

/* A vif as network-detach names it: its devid, or its MAC. */
static bool vif_id_ok(const char *id)
{
	size_t len = strlen(id);
	struct cfg_vif v;
	char spec[32], err[128];

	if (len && len <= 5 && strspn(id, "0123456789") == len)
		return atoi(id) <= 65535;
	if (len != 17)
		return false;
	snprintf(spec, sizeof(spec), "mac=%s", id);
	return !cfg_parse_vif(spec, &v, err, sizeof(err));
}

int cmd_network_detach(int argc, char **argv)
{
	static const char usage[] = "network-detach DOMAIN DEVID|MAC [--force]";
	char *req[4] = { "network-detach" }, *args[2];
	bool force = false;
	int nargs = 0;

	if (help(argc, argv, usage,
		 "Unplug a network interface, named by its devid or its MAC, "
		 "once the guest\nlets go of it (pvisord waits 10 s); --force "
		 "takes it away at once.\nDOMAIN is an id or a name.\n"))
		return 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--force") || !strcmp(argv[i], "-f")) {
			force = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "pvctl network-detach: unknown option "
				"'%s'\n", argv[i]);
			return 2;
		} else if (nargs == 2) {
			fprintf(stderr, "usage: pvctl %s\n", usage);
			return 2;
		} else {
			args[nargs++] = argv[i];
		}
	}
	if (nargs != 2) {
		fprintf(stderr, "usage: pvctl %s\n", usage);
		return 2;
	}
	if (!vif_id_ok(args[1])) {
		fprintf(stderr, "pvctl network-detach: '%s' is neither a device "
			"number (0..65535) nor a MAC (xx:xx:xx:xx:xx:xx)\n",
			args[1]);
		return 1;
	}
	req[1] = args[0];
	req[2] = args[1];
	req[3] = "--force";
	return pvctl_request(force ? 4 : 3, req, true);
}

int cmd_network_list(int argc, char **argv)
{
	static const char usage[] = "network-list DOMAIN";
	char *req[2] = { "network-list" };

	if (help(argc, argv, usage,
		 "List a domain's network interfaces: devid, MAC, tap device, "
		 "bridge, xenbus\nstate, backend process, packets and bytes "
		 "each way. DOMAIN is an id or a name.\n"))
		return 0;
	if (argc != 2) {
		fprintf(stderr, "usage: pvctl %s\n", usage);
		return 2;
	}
	req[1] = argv[1];
	return pvctl_request(2, req, true);
}
