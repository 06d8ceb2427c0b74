// SPDX-License-Identifier: MIT
/* pvctl info: the host facts pvisor probed at start-up. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pvisor/layout.h"
#include "pvisor/platform.h"
#include "pvctl.h"

static const char *outer_name(const char *sig)
{
	if (!strcmp(sig, "TCGTCGTCGTCG"))
		return "QEMU TCG (emulated: slow)";
	if (!strcmp(sig, "KVMKVMKVM"))
		return "KVM";
	if (!strcmp(sig, "Microsoft Hv"))
		return "Hyper-V";
	if (!strcmp(sig, "VMwareVMware"))
		return "VMware";
	return sig;
}

/* Tell the user how to get a KVM pvisor can use, and what works without. */
static void explain_no_kvm(const struct plat_info *info)
{
	fprintf(stderr, "\n");
	switch (info->err) {
	case ENOENT:
		fprintf(stderr,
			"No /dev/kvm: the KVM module is not loaded, or this "
			"machine cannot run one.\n"
			"  - load it: modprobe kvm_intel (Intel) or modprobe "
			"kvm_amd (AMD)\n"
			"  - enable VT-x / AMD-V (SVM) in the firmware setup\n"
			"  - %s\n",
			info->outer_hypervisor[0] ?
			"this machine is itself a VM: enable nested "
			"virtualization on its host (cloud providers call it "
			"nested virtualization; QEMU: -cpu host, kvm_intel "
			"nested=1 / kvm_amd nested=1)" :
			"in a cloud VM, choose an instance type with nested "
			"virtualization");
		break;
	case EACCES:
	case EPERM:
		fprintf(stderr,
			"/dev/kvm exists but this user may not open it: add "
			"the user to its group\n  (usually: usermod -aG kvm "
			"$USER, then log in again) or run as root.\n");
		break;
	default:
		break;
	}
	fprintf(stderr,
		"\nWithout KVM, `make check` and `make demo` run pvisor in a "
		"nested VM\n(QEMU TCG with an emulated AMD-V CPU, 10-50x "
		"slower): see tests/vm/run.sh.\n");
}

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
		explain_no_kvm(&info);
		return 1;
	}
	printf("platform            : %s (%s)%s%s\n", plat_kind_name(info.kind),
	       info.kvm_module, info.outer_hypervisor[0] ? ", nested under " : "",
	       outer_name(info.outer_hypervisor));
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
	printf("exit_cpl0_us        : %.1f\n", info.exit_cpl0_us);
	printf("syscall_entry       : %s\n", info.syscall_to_cpl0 ?
	       "CPL0 (entry stubs and exit page are supervisor-only)" :
	       "CPL3 (stubs user-reachable; guest misuse is its own #PF)");
	printf("cpuid_faulting      : %s\n", info.cpuid_faulting ?
	       "yes (guest user CPUID sees the domain policy)" :
	       "no (plain CPUID sees the host's KVM view)");
	/* xl info's virt_caps: guest types this host can run. */
	printf("virt_caps           : pv%s\n", info.hvm_capable ? " pvh hvm" : "");
	if (info.hvm_capable)
		printf("hvm_hypercalls      : %s\n",
		       plat_hvm_hcall_name(info.hvm_hcall));
	else
		printf("hvm_hypercalls      : none (%s)\n", info.hvm_reason);
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
