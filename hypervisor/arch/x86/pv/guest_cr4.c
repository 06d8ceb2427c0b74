// SPDX-License-Identifier: MIT
/*
 * CR4 as a PV guest sees it (Xen: pv_fixup_guest_cr4). The guest owns a
 * few bits, as far as its CPUID policy offers the feature; a few more
 * show the VM's real CR4; everything else reads 0. A write never faults:
 * bits the guest may not own are dropped, as on Xen.
 */
#include "pvisor/pv_vcpu.h"

/*
 * What the guest may set. Xen also hands out TSD, FSGSBASE and OSXSAVE,
 * which only mean something once they reach the real CR4 (Xen's
 * pv_make_cr4); pvisor's policy hides FSGSBASE and XSAVE, and TSD would
 * fault the guest kernel's own rdtsc at CPL3, so only DE is offered. DE
 * needs no hardware: every debug register access is emulated (debugreg.c).
 */
#define GUEST_MASK	X86_CR4_DE
/* What the guest may observe of the real CR4 (Xen's visible mask). */
#define VISIBLE_MASK	(X86_CR4_PAE | X86_CR4_MCE | X86_CR4_OSFXSR | \
			 X86_CR4_OSXMMEXCPT)

#define CPUID1_EDX_DE	(1u << 2)

uint64_t pv_fixup_guest_cr4(const struct pv_vcpu *v, uint64_t cr4)
{
	uint32_t leaf1[4] = { 0 };

	if (v->cpuid)
		cpuid_policy_lookup(v->cpuid, 1, 0, leaf1);
	if (!(leaf1[3] & CPUID1_EDX_DE))
		cr4 &= ~(uint64_t)X86_CR4_DE;
	return (cr4 & GUEST_MASK) | (v->cpu.cr4 & VISIBLE_MASK);
}
