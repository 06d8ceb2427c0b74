/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_PV_MM_H
#define PVISOR_PV_MM_H

/*
 * The PV MMU of a domain: page types (page_type.h) tied to the domain's
 * vCPUs, locks and the in-VM page-table writer; page-table roots,
 * writable-page-table emulation, descriptor tables and the balloon.
 */
#include <stdbool.h>
#include <stdint.h>

struct domain;
struct vcpu;

/* No L4 held as a root. */
#define MM_NO_ROOT	(~0ull)

/* After the hypervisor region exists: frame state, reserved L4 slots. */
int pv_mm_init(struct domain *d);
void pv_mm_fini(struct domain *d);

/*
 * The builder's bootstrap tables: validate the tree under l4_mfn, pin
 * it (as Xen's toolstack does) and make it v's kernel page-table root.
 */
int pv_mm_build_root(struct domain *d, struct vcpu *v, uint64_t l4_mfn);

/*
 * MMUEXT_NEW_BASEPTR (user false) or MMUEXT_NEW_USER_BASEPTR (user
 * true, mfn 0 = none) for target, issued by caller (target itself, or
 * a vCPU setting up a stopped one).
 */
int pv_mm_set_root(struct vcpu *caller, struct vcpu *target, uint64_t mfn,
		   bool user);

/* Flush target's TLB: at once for caller itself, else before it re-enters. */
void pv_mm_flush_vcpu(struct vcpu *caller, struct vcpu *target);

/*
 * A #PF from the guest: emulate a write to a read-only mapped L1 page
 * table (ptwr). 1 = emulated (RIP advanced), 0 = the guest's fault.
 */
int pv_ptwr_fault(struct vcpu *v, uint64_t addr, uint32_t error_code);

/* The hypervisor's GDT frames 0-13 of a new vCPU: all empty. */
int pv_gdt_init_vcpu(struct domain *d, struct vcpu *v);
/* set_gdt for target (caller, or a stopped vCPU being initialised). */
int pv_set_gdt(struct vcpu *caller, struct vcpu *target,
	       const uint64_t *frames, unsigned int entries);

/*
 * A frame hypervisor code keeps writing on the guest's behalf (a
 * registered vcpu_info, say): hold it as a writable page, as Xen does,
 * so it cannot become a page table meanwhile. -EINVAL if it is one.
 */
int pv_mm_get_writable_frame(struct domain *d, uint64_t mfn);
void pv_mm_put_writable_frame(struct domain *d, uint64_t mfn);

/*
 * Grant maps (grant_pte.c), Xen's create/replace_grant_pv_mapping: write
 * the L1 entry for a grant of window frame mfn at addr (a linear address
 * in v's active tables, or with GNTMAP_contains_pte the entry's machine
 * address), or check it still maps mfn as flags say and clear it (or
 * move new_addr's entry there, clearing new_addr). GNTST_* results.
 * Neither flushes: pv_grant_flush_tlb() on all of v's domain does.
 */
int16_t pv_grant_pte_create(struct vcpu *v, uint64_t addr, uint64_t mfn,
			    uint32_t flags);
int16_t pv_grant_pte_replace(struct vcpu *v, uint64_t addr, uint64_t mfn,
			     uint64_t new_addr, uint32_t flags);
void pv_grant_flush_tlb(struct vcpu *v);

#endif
