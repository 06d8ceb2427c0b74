// SPDX-License-Identifier: MIT
/*
 * HVM/PVH domains: one KVM VM in its normal (hardware-assisted) mode,
 * guest RAM at guest-physical 0, Xen's CPUID leaves and hypercall MSR.
 * None of PV's hypervisor region (entry area, M2P, reserved L4 slots):
 * the guest owns its whole address space.
 */
#include <errno.h>

#include "pvisor/domain.h"
#include "pvisor/gnttab_peer.h"
#include "pvisor/grant_table.h"
#include "pvisor/hvm.h"
#include "pvisor/hvm_pc.h"
#include "pvisor/log.h"

const char *hvm_refusal(int type, const struct plat_info *host)
{
	if (type == DOMAIN_TYPE_PV)
		return NULL;
	if (host && host->available && !host->hvm_capable)
		return host->hvm_reason;
	return NULL;
}

bool hvm_sees_xen(int type, const struct plat_info *host)
{
	if (type == DOMAIN_TYPE_PVH)
		return true;
	/*
	 * Linux since XSA-466 (6.1.119, 6.6.64, 6.12.5) calls vmcall or
	 * vmmcall itself, not the hypercall page: only KVM's Xen support
	 * hands those to us. Plain KVM answers them as its own, so an HVM
	 * guest that found Xen there would die at its first hypercall; it
	 * gets a plain PC instead.
	 */
	return type == DOMAIN_TYPE_HVM && host &&
	       host->hvm_hcall == PLAT_HVM_HCALL_KVM_XEN;
}

_Static_assert((HVM_PCI_MMIO_BASE >> 20) == 3840, "hvm_config_problem's text");

const char *hvm_config_problem(const struct domain_config *cfg)
{
	/* Not yet: RAM above the MMIO window (PVH) or PCI hole (HVM). */
	if (cfg->type == DOMAIN_TYPE_PVH && cfg->memory_mb > (PVH_MMIO_BASE >> 20))
		return "PVH guests have at most 4032 MiB for now "
		       "(no RAM above the MMIO window yet)";
	if (cfg->type == DOMAIN_TYPE_HVM &&
	    cfg->memory_mb > (HVM_PCI_MMIO_BASE >> 20))
		return "HVM guests have at most 3840 MiB for now "
		       "(no RAM above the PCI hole yet)";
	return NULL;
}

int hvm_domain_create(struct domain *d, const struct domain_config *cfg,
		      const struct plat_info *host)
{
	uint64_t nr_pages = cfg->memory_mb << (20 - PAGE_SHIFT);
	bool hvm = cfg->type == DOMAIN_TYPE_HVM;
	bool xen = hvm_sees_xen(cfg->type, host);
	const char *no = hvm_refusal(cfg->type, host);
	int rc;

	/* Before anything can fail: domain_destroy looks at these. */
	d->hvm.shinfo_fd = -1;
	d->hvm.sees_xen = xen;
	pthread_mutex_init(&d->hvm.lock, NULL);

	if (no) {
		pr_err("d%u: %s\n", d->id, no);
		return -EOPNOTSUPP;
	}
	no = hvm_config_problem(cfg);
	if (no) {
		pr_err("d%u: %s\n", d->id, no);
		return -EOPNOTSUPP;
	}
	rc = cpuid_policy_build_hvm(&d->cpuid, host->cpuid, host->nr_cpuid,
				    xen);
	if (!rc)
		rc = plat_vm_create(&d->vm);
	if (!rc)
		rc = domain_setup_ram(d, nr_pages);
	if (!rc)
		rc = hvm_balloon_init(d);
	if (!rc)
		rc = plat_vm_setup_hvm(d->vm, host->hvm_hcall,
				       XEN_HYPERCALL_MSR);
	/*
	 * The interrupt controllers before any vCPU exists: the LAPICs take
	 * event upcalls by vector and wake APs. PVH has the PC's power
	 * control too (its ACPI tables name it), but no serial port.
	 */
	if (!rc)
		rc = plat_vm_setup_irqchip(d->vm);
	if (!rc)
		rc = hvm_pc_create(d, hvm ? HVM_PC_COM1 | HVM_PC_PCI |
				   (xen ? HVM_PC_XEN_PLATFORM : 0) : 0);
	if (rc)
		return rc;
	/* hvm_sees_xen: PVH guests see Xen even so; say what follows. */
	if (!hvm && host->hvm_hcall == PLAT_HVM_HCALL_PORT)
		pr_warn("d%u: this host's KVM has no Xen hypercall support "
			"(CONFIG_KVM_XEN): PVH kernels that call vmcall/vmmcall "
			"directly (Linux since XSA-466) fail at their first "
			"hypercall; only the hypercall page works\n", d->id);
	if (hvm && !xen)
		pr_info("d%u: HVM guest without Xen (no PV drivers): this "
			"host's KVM has no Xen hypercall support\n", d->id);
	pr_debug("d%u: %s domain, hypercalls through %s\n", d->id,
		 domain_type_name(d->type), plat_hvm_hcall_name(host->hvm_hcall));
	/* The builder puts the vCPUs on KVM: it knows their entry state. */
	d->nr_vcpus = cfg->vcpus;
	for (unsigned int i = 0; i < d->nr_vcpus; i++) {
		d->vcpus[i] = hvm_vcpu_new(d, i);
		if (!d->vcpus[i])
			return -ENOMEM;
	}
	rc = hvm_events_init(d, cfg, host);
	if (rc)
		return rc;
	/* The grant table: the guest places its frames; backends find it. */
	rc = gnttab_domain_init(d);
	if (!rc)
		rc = hvm_grant_frames_init(d);
	if (!rc)
		rc = gnttab_peer_register(d);
	if (rc)
		return rc;
	d->state = DOMAIN_CREATED;
	return 0;
}
