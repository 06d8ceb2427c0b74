// SPDX-License-Identifier: MIT
/*
 * The CPUID policy HVM and PVH guests see. They run at CPL0 with their
 * own page tables on a hardware-assisted host, so unlike PV (pv/cpuid.c)
 * they keep the host's features as KVM_GET_SUPPORTED_CPUID offers them;
 * only the hypervisor range is replaced by Xen's leaves (shared with PV).
 */
#include <errno.h>

#include "pvisor/cpuid.h"

#define F1_ECX_HV	(1u << 31)

int cpuid_policy_build_hvm(struct cpuid_policy *p,
			   const struct cpuid_leaf *host, unsigned int nr_host,
			   bool xen_leaves)
{
	struct cpuid_leaf *l;
	int rc;

	p->nr = 0;
	for (unsigned int i = 0; i < nr_host; i++) {
		/* KVM's own leaves ("KVMKVMKVM") would hide Xen's. */
		if ((host[i].leaf & 0xffff0000u) == XEN_CPUID_BASE)
			continue;
		if (p->nr == CPUID_MAX_LEAVES)
			return -ENOSPC;
		p->leaves[p->nr++] = host[i];
	}
	l = cpuid_policy_find(p, 1, 0);
	if (l)
		l->ecx |= F1_ECX_HV;
	if (!xen_leaves)
		return 0;
	rc = cpuid_policy_set_xen_leaves(p);
	/*
	 * The HVM leaf, up to which the range now reaches (leaf 3, time,
	 * stays all zero). Its one flag matters: Xen's global callback
	 * vector is injected past the LAPIC, so Linux never acknowledges
	 * it there; through KVM's LAPIC it would stay in service and block
	 * every later upcall. A per-vCPU vector, which Linux takes when
	 * this flag is set, is acknowledged like any interrupt.
	 */
	l = cpuid_policy_find(p, XEN_CPUID_BASE, 0);
	if (!rc && l)
		l->eax = XEN_CPUID_BASE + 4;
	if (!rc)
		rc = cpuid_policy_set_leaf(p, XEN_CPUID_BASE + 4,
					   XEN_HVM_CPUID_UPCALL_VECTOR, 0, 0, 0);
	return rc;
}
