// SPDX-License-Identifier: MIT
/* PV vCPU state: initial values, guest kernel/user mode, selectors. */
#include <errno.h>
#include <string.h>

#include "pvisor/pv_vcpu.h"
#include "descriptors.h"

void pv_vcpu_init(struct pv_vcpu *v, unsigned int id,
		  const struct guest_mem *mem, struct vcpu_info *vi)
{
	memset(v, 0, sizeof(*v));
	v->id = id;
	v->mem = mem;
	v->vcpu_info = vi;
	v->in_kernel = true;
	v->cpu.rflags = X86_EFLAGS_FIXED | X86_EFLAGS_IF;
	pv_debugreg_reset(v);
	pv_load_mode_segments(v, FLAT_KERNEL_CS, FLAT_KERNEL_SS);
}

/*
 * Descriptor for a selector the guest hands us for CS or SS: one of the
 * reserved flat selectors, or an entry of the guest's own GDT/LDT.
 */
static int pv_selector_desc(const struct pv_vcpu *v, uint16_t sel,
			    uint64_t *desc)
{
	switch (sel & ~3u) {
	case FLAT_RING3_CS32 & ~3u:
		*desc = DESC_RING3_CS32;
		return 0;
	case FLAT_RING3_DS32 & ~3u:
		*desc = DESC_RING3_DS;
		return 0;
	case FLAT_RING3_CS64 & ~3u:
		*desc = DESC_RING3_CS64;
		return 0;
	}
	return pv_guest_desc(v, sel, desc);
}

/* A fault with a selector error code: index and TI, EXT clear. */
static int sel_fault(struct pv_seg_fault *f, unsigned int vec, uint16_t sel)
{
	f->vec = vec;
	f->error_code = sel & ~3u;
	return -EINVAL;
}

/*
 * The checks iretq makes returning to CPL3 (RPL 3 forced, as Xen does),
 * in the order the SDM gives them: CS null #GP(0); CS outside the table,
 * not code, or nonconforming with DPL != 3, #GP(CS); not present #NP(CS);
 * SS null #GP(0); SS outside the table, not writable data or DPL != 3,
 * #GP(SS); not present #SS(SS).
 */
int pv_iret_segments(struct pv_vcpu *v, uint16_t cs, uint16_t ss,
		     struct pv_seg_fault *f)
{
	uint64_t cs_desc, ss_desc;

	if (!(cs & ~3u))
		return sel_fault(f, X86_VEC_GP, 0);
	if (pv_selector_desc(v, cs, &cs_desc) || !(cs_desc & DESC_S) ||
	    !(cs_desc & DESC_CODE) ||
	    (!(cs_desc & DESC_CONFORMING) && DESC_DPL(cs_desc) != 3))
		return sel_fault(f, X86_VEC_GP, cs);
	if (!(cs_desc & DESC_PRESENT))
		return sel_fault(f, X86_VEC_NP, cs);
	if (!(ss & ~3u))
		return sel_fault(f, X86_VEC_GP, 0);
	if (pv_selector_desc(v, ss, &ss_desc) || !(ss_desc & DESC_S) ||
	    (ss_desc & DESC_CODE) || !(ss_desc & DESC_WRITABLE) ||
	    DESC_DPL(ss_desc) != 3)
		return sel_fault(f, X86_VEC_GP, ss);
	if (!(ss_desc & DESC_PRESENT))
		return sel_fault(f, X86_VEC_SS, ss);
	v->cpu.cs = cs | 3;
	v->cpu.ss = ss | 3;
	v->cpu.cs_desc = cs_desc;
	v->cpu.ss_desc = ss_desc;
	v->cpu.dirty = true;
	return 0;
}

int pv_load_segments(struct pv_vcpu *v, uint16_t cs, uint16_t ss)
{
	struct pv_seg_fault f;

	return pv_iret_segments(v, cs, ss, &f);
}

void pv_load_mode_segments(struct pv_vcpu *v, uint16_t cs, uint16_t ss)
{
	/* Flat selectors always resolve. */
	(void)pv_load_segments(v, cs, ss);
}

int pv_toggle_guest_mode(struct pv_vcpu *v)
{
	if (v->in_kernel) {
		if (!v->user_cr3)
			return -EINVAL;	/* Xen crashes such a guest */
		v->gs_base_kernel = v->cpu.gs_base;
		v->cpu.gs_base = v->gs_base_user;
		v->cpu.cr3 = v->user_cr3;
	} else {
		v->gs_base_user = v->cpu.gs_base;
		v->cpu.gs_base = v->gs_base_kernel;
		v->cpu.cr3 = v->kernel_cr3;
	}
	v->in_kernel = !v->in_kernel;
	v->cpu.dirty = true;
	return 0;
}
