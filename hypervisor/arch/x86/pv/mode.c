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

/* What iretq to CPL3 accepts: present, non-system, DPL 3. */
static bool pv_ring3_desc(uint64_t desc)
{
	return (desc & DESC_PRESENT) && (desc & DESC_S) && DESC_DPL(desc) == 3;
}

int pv_load_segments(struct pv_vcpu *v, uint16_t cs, uint16_t ss)
{
	uint64_t cs_desc, ss_desc;

	if (pv_selector_desc(v, cs, &cs_desc) || !pv_ring3_desc(cs_desc) ||
	    !(cs_desc & DESC_CODE))
		return -EINVAL;
	/* SS: a writable data segment. */
	if (pv_selector_desc(v, ss, &ss_desc) || !pv_ring3_desc(ss_desc) ||
	    (ss_desc & DESC_CODE) || !(ss_desc & DESC_WRITABLE))
		return -EINVAL;
	v->cpu.cs = cs | 3;
	v->cpu.ss = ss | 3;
	v->cpu.cs_desc = cs_desc;
	v->cpu.ss_desc = ss_desc;
	v->cpu.dirty = true;
	return 0;
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
