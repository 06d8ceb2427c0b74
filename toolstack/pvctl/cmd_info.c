// SPDX-License-Identifier: MIT
/* pvctl info: the host facts pvisor probed at start-up. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pvisor/layout.h"
#include "pvisor/platform.h"
#include "pvctl.h"

int cmd_info(int argc, char **argv)
{
	struct plat_info info;
	int fd;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: pvctl info\n\nProbe /dev/kvm and print what "
		       "pvisor can use: module, TSC rate,\nusable reserved L4 "
		       "slots and the measured exit round trip; then, if\n"
		       "pvisord is running, what it reports.\n");
		return 0;
	}
	if (plat_probe(&info)) {
		fprintf(stderr, "pvctl: KVM unavailable: %s\n", info.reason);
		return 1;
	}
	printf("kvm_module          : %s\n", info.kvm_module);
	printf("kvm_api_version     : %d\n", info.api_version);
	printf("tsc_khz             : %u\n", info.tsc_khz);
	printf("phys_bits           : %u\n", info.phys_bits);
	printf("xen_reserved_slots  :");
	for (int s = XEN_RESERVED_SLOT_FIRST; s <= XEN_RESERVED_SLOT_LAST; s++)
		if (!(info.usable_slots & (1u << (s - XEN_RESERVED_SLOT_FIRST))))
			printf(" %d(host-owned)", s);
	printf(" others usable\n");
	printf("exit_roundtrip_us   : %.1f\n", info.exit_roundtrip_us);
	printf("virt_caps           : pv\n");
	/* With a daemon running, its view too (quietly skipped without). */
	fd = pvctl_connect(true);
	if (fd >= 0) {
		char *req[] = { "info" };

		close(fd);
		printf("\npvisord (%s):\n", pvctl_socket_path());
		return pvctl_request(1, req, true);
	}
	return 0;
}
