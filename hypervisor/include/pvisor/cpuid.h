/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_CPUID_H
#define PVISOR_CPUID_H

#include <stdbool.h>
#include <stdint.h>

#define CPUID_MAX_LEAVES	128
#define CPUID_F_SUBLEAF		1u	/* subleaf is significant */

struct cpuid_leaf {
	uint32_t leaf, subleaf, flags;
	uint32_t eax, ebx, ecx, edx;
};

/* What a PV guest sees from CPUID, native or through forced emulation. */
struct cpuid_policy {
	unsigned int nr;
	struct cpuid_leaf leaves[CPUID_MAX_LEAVES];
};

/*
 * Derive the PV policy from what the host can offer: Xen's hypervisor
 * leaves, the hypervisor bit, and no features a PV kernel must not use
 * (large pages, global pages, PCID, XSAVE state, SMEP/SMAP, VMX/SVM).
 */
int cpuid_policy_build(struct cpuid_policy *p, const struct cpuid_leaf *host,
		       unsigned int nr_host);
/* Look up a leaf: unknown leaves read as zeros, as on hardware. */
void cpuid_policy_lookup(const struct cpuid_policy *p, uint32_t leaf,
			 uint32_t subleaf, uint32_t out[4]);

/*
 * The policy an HVM or PVH guest sees (arch/x86/hvm/cpuid.c): the host's
 * features as KVM offers them, the hypervisor bit, and Xen's leaves if
 * xen_leaves (else no hypervisor leaves at all: a plain PC).
 */
int cpuid_policy_build_hvm(struct cpuid_policy *p,
			   const struct cpuid_leaf *host, unsigned int nr_host,
			   bool xen_leaves);
/* Xen's leaves at XEN_CPUID_BASE: signature, version, hypercall MSR. */
int cpuid_policy_set_xen_leaves(struct cpuid_policy *p);
/* Set (add or replace) subleaf 0 of leaf. */
int cpuid_policy_set_leaf(struct cpuid_policy *p, uint32_t leaf, uint32_t eax,
			  uint32_t ebx, uint32_t ecx, uint32_t edx);
/* The leaf as stored (NULL if absent), for builders to adjust. */
struct cpuid_leaf *cpuid_policy_find(struct cpuid_policy *p, uint32_t leaf,
				     uint32_t subleaf);

#define XEN_CPUID_BASE		0x40000000u
/* Writing a page's GPA here has the hypervisor fill a hypercall page. */
#define XEN_HYPERCALL_MSR	0x40000000u
/*
 * Xen's HVM leaf (XEN_CPUID_BASE + 4), EAX: the guest may ask for a
 * per-vCPU upcall vector (HVMOP_set_evtchn_upcall_vector), which it
 * acknowledges at its LAPIC like any interrupt.
 */
#define XEN_HVM_CPUID_UPCALL_VECTOR	(1u << 6)
#define PVISOR_XEN_MAJOR	4
#define PVISOR_XEN_MINOR	17

#endif
