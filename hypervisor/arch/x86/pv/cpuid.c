// SPDX-License-Identifier: MIT
/* The CPUID policy PV guests see. */
#include <errno.h>
#include <string.h>

#include "pvisor/cpuid.h"

/* Leaf 1 */
#define F1_ECX_DTES64	(1u << 2)
#define F1_ECX_MONITOR	(1u << 3)
#define F1_ECX_VMX	(1u << 5)
#define F1_ECX_PDCM	(1u << 15)
#define F1_ECX_FMA	(1u << 12)
#define F1_ECX_PCID	(1u << 17)
#define F1_ECX_X2APIC	(1u << 21)
#define F1_ECX_TSCDL	(1u << 24)
#define F1_ECX_XSAVE	(1u << 26)
#define F1_ECX_OSXSAVE	(1u << 27)
#define F1_ECX_AVX	(1u << 28)
#define F1_ECX_F16C	(1u << 29)
#define F1_ECX_HV	(1u << 31)
#define F1_EDX_VME	(1u << 1)
#define F1_EDX_PSE	(1u << 3)
#define F1_EDX_MCE	(1u << 7)
#define F1_EDX_APIC	(1u << 9)
#define F1_EDX_MTRR	(1u << 12)
#define F1_EDX_PGE	(1u << 13)
#define F1_EDX_MCA	(1u << 14)
#define F1_EDX_PSE36	(1u << 17)
#define F1_EDX_ACPI	(1u << 22)
#define F1_EDX_DS	(1u << 21)
/* Leaf 7.0 */
#define F7_EBX_FSGSBASE	(1u << 0)
#define F7_EBX_AVX2	(1u << 5)
#define F7_EBX_SMEP	(1u << 7)
#define F7_EBX_INVPCID	(1u << 10)
#define F7_EBX_AVX512	0xdc230000u	/* F DQ IFMA PF ER CD BW VL */
#define F7_EBX_SMAP	(1u << 20)
#define F7_ECX_AVX512	0x00005c42u	/* VBMI VBMI2 VNNI BITALG VPOPCNTDQ */
#define F7_ECX_VAES_VPCLMUL (3u << 9)
#define F7_ECX_UMIP	(1u << 2)
#define F7_ECX_LA57	(1u << 16)
#define F7_ECX_PKU	(1u << 3)
#define F7_EDX_AVX512	0x0080010cu	/* 4VNNIW 4FMAPS VP2INTERSECT FP16 */
/* Leaf 7.1 */
#define F7S1_EAX_AVX	0x00000030u	/* AVX-VNNI, AVX512-BF16 */
/* Leaf 0x80000001 */
#define FX1_EDX_PDPE1GB	(1u << 26)
#define FX1_ECX_SVM	(1u << 2)
#define FX1_ECX_X2AVIC	(1u << 13)

static struct cpuid_leaf *policy_find(struct cpuid_policy *p, uint32_t leaf,
				      uint32_t subleaf)
{
	for (unsigned int i = 0; i < p->nr; i++) {
		struct cpuid_leaf *l = &p->leaves[i];

		if (l->leaf == leaf &&
		    (!(l->flags & CPUID_F_SUBLEAF) || l->subleaf == subleaf))
			return l;
	}
	return NULL;
}

static int policy_set(struct cpuid_policy *p, uint32_t leaf, uint32_t eax,
		      uint32_t ebx, uint32_t ecx, uint32_t edx)
{
	struct cpuid_leaf *l = policy_find(p, leaf, 0);

	if (!l) {
		if (p->nr == CPUID_MAX_LEAVES)
			return -ENOSPC;
		l = &p->leaves[p->nr++];
		l->leaf = leaf;
		l->subleaf = 0;
		l->flags = 0;
	}
	l->eax = eax;
	l->ebx = ebx;
	l->ecx = ecx;
	l->edx = edx;
	return 0;
}

/* "XenVMMXenVMM" as three little-endian registers. */
static const uint32_t xen_signature[3] = {
	0x566e6558, 0x65584d4d, 0x4d4d566e,
};

int cpuid_policy_build(struct cpuid_policy *p, const struct cpuid_leaf *host,
		       unsigned int nr_host)
{
	struct cpuid_leaf *l;

	memset(p, 0, sizeof(*p));
	for (unsigned int i = 0; i < nr_host; i++) {
		/* The host's own hypervisor leaves are not ours to show. */
		if ((host[i].leaf & 0xffff0000u) == XEN_CPUID_BASE)
			continue;
		/* No XSAVE: no extended-state enumeration either. */
		if (host[i].leaf == 0xd)
			continue;
		if (p->nr == CPUID_MAX_LEAVES)
			return -ENOSPC;
		p->leaves[p->nr++] = host[i];
	}

	l = policy_find(p, 1, 0);
	if (l) {
		l->ecx &= ~(F1_ECX_DTES64 | F1_ECX_MONITOR | F1_ECX_PDCM |
			    F1_ECX_VMX | F1_ECX_PCID | F1_ECX_X2APIC |
			    F1_ECX_TSCDL | F1_ECX_XSAVE | F1_ECX_OSXSAVE |
			    F1_ECX_AVX | F1_ECX_F16C | F1_ECX_FMA);
		l->ecx |= F1_ECX_HV;
		/* DE stays, as on Xen: CR4.DE is emulated (guest_cr4.c). */
		l->edx &= ~(F1_EDX_VME | F1_EDX_PSE | F1_EDX_MCE |
			    F1_EDX_MTRR | F1_EDX_PGE | F1_EDX_MCA |
			    F1_EDX_PSE36 | F1_EDX_ACPI | F1_EDX_DS |
			    F1_EDX_APIC);
	}
	l = policy_find(p, 7, 0);
	if (l) {
		l->ebx &= ~(F7_EBX_FSGSBASE | F7_EBX_AVX2 | F7_EBX_SMEP |
			    F7_EBX_INVPCID | F7_EBX_AVX512 | F7_EBX_SMAP);
		l->ecx &= ~(F7_ECX_AVX512 | F7_ECX_VAES_VPCLMUL | F7_ECX_UMIP |
			    F7_ECX_LA57 | F7_ECX_PKU);
		l->edx &= ~F7_EDX_AVX512;
	}
	l = policy_find(p, 7, 1);
	if (l)
		l->eax &= ~F7S1_EAX_AVX;
	l = policy_find(p, 0x80000001u, 0);
	if (l) {
		l->edx &= ~FX1_EDX_PDPE1GB;
		l->ecx &= ~(FX1_ECX_SVM | FX1_ECX_X2AVIC);
	}

	return cpuid_policy_set_xen_leaves(p);
}

/* Xen's hypervisor leaves, the same for PV, PVH and HVM guests. */
int cpuid_policy_set_xen_leaves(struct cpuid_policy *p)
{
	int rc;

	rc = policy_set(p, XEN_CPUID_BASE, XEN_CPUID_BASE + 2,
			xen_signature[0], xen_signature[1], xen_signature[2]);
	if (!rc)
		rc = policy_set(p, XEN_CPUID_BASE + 1,
				(PVISOR_XEN_MAJOR << 16) | PVISOR_XEN_MINOR,
				0, 0, 0);
	/* One hypercall page, installed through MSR 0x40000000. */
	if (!rc)
		rc = policy_set(p, XEN_CPUID_BASE + 2, 1, XEN_HYPERCALL_MSR,
				0, 0);
	return rc;
}

int cpuid_policy_set_leaf(struct cpuid_policy *p, uint32_t leaf, uint32_t eax,
			  uint32_t ebx, uint32_t ecx, uint32_t edx)
{
	return policy_set(p, leaf, eax, ebx, ecx, edx);
}

struct cpuid_leaf *cpuid_policy_find(struct cpuid_policy *p, uint32_t leaf,
				     uint32_t subleaf)
{
	return policy_find(p, leaf, subleaf);
}

void cpuid_policy_lookup(const struct cpuid_policy *p, uint32_t leaf,
			 uint32_t subleaf, uint32_t out[4])
{
	const struct cpuid_leaf *l =
		policy_find((struct cpuid_policy *)p, leaf, subleaf);

	if (!l) {
		out[0] = out[1] = out[2] = out[3] = 0;
		return;
	}
	out[0] = l->eax;
	out[1] = l->ebx;
	out[2] = l->ecx;
	out[3] = l->edx;
}
