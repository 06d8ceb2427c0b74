// SPDX-License-Identifier: MIT
/*
 * Guest descriptor tables (Xen: pv/descriptor-tables.c): set_gdt maps
 * the guest's GDT frames at indexes 0-13 of the vCPU's real GDT (frames
 * 14-15 are the hypervisor's), update_descriptor changes one entry, and
 * every descriptor is checked and has its DPL forced to 3 on the way in,
 * since the guest kernel runs at CPL3 too.
 */
#include <errno.h>
#include <string.h>

#include "pvisor/hypercall.h"
#include "pvisor/layout.h"
#include "pvisor/log.h"
#include "descriptors.h"
#include "mm_internal.h"

/* High dword of a descriptor. */
#define SEG_TYPE	(15u << 8)
#define SEG_S		(1u << 12)
#define SEG_DPL		(3u << 13)
#define SEG_P		(1u << 15)
#define SEG_CALL_GATE	(12u << 8)	/* 64-bit call gate */

/* Selectors a call gate may target (Xen's guest_gate_selector_okay). */
static bool gate_selector_ok(uint16_t sel)
{
	return (sel >> 3) < GDT_FIRST_RESERVED_ENTRY ||
	       sel == FLAT_KERNEL_CS || (sel & 4);
}

bool pv_check_descriptor(uint64_t *desc)
{
	uint32_t a = (uint32_t)*desc, b = (uint32_t)(*desc >> 32);
	uint16_t cs;

	/* A not-present descriptor always faults, so it is harmless. */
	if (!(b & SEG_P))
		return true;
	/* The guest kernel is at CPL3: no descriptor may claim less. */
	b |= SEG_DPL;
	if (b & SEG_S)
		goto good;		/* code and data: no base/limit checks */
	if (!(b & SEG_TYPE))
		return true;		/* type 0: the upper half of a gate */
	if ((b & SEG_TYPE) != SEG_CALL_GATE)
		return false;		/* no TSS/LDT/interrupt gates */
	cs = a >> 16;
	if (!gate_selector_ok(cs))
		return false;
	/*
	 * A CPL3 kernel cannot use a gate to reach itself: DPL 0 makes every
	 * use fault (for emulation); the wanted DPL is kept in the RPL.
	 */
	b &= ~SEG_DPL;
	cs = (uint16_t)((cs & ~3u) | 3u);
	a = (a & 0xffffu) | ((uint32_t)cs << 16);
	if (b & 0xffu)
		return false;		/* reserved bits */
good:
	*desc = a | ((uint64_t)b << 32);
	return true;
}

int pv_guest_desc(const struct pv_vcpu *v, uint16_t sel, uint64_t *desc)
{
	unsigned int idx = sel >> 3;
	uint64_t d;

	if (sel & 4) {
		/* LDT: read through the guest's mapping, checked like a GDT. */
		if (idx >= v->ldt_ents ||
		    pv_read(v, v->ldt_base + idx * 8ull, &d, sizeof(d)) ||
		    !pv_check_descriptor(&d))
			return -EINVAL;
	} else {
		const uint64_t *frame;

		/* Entry 0 is the null selector: never a CS or SS. */
		if (!idx || idx >= v->gdt_ents)
			return -EINVAL;
		frame = (const uint64_t *)gmem_ram_frame(v->mem,
							 v->gdt_frames[idx / 512]);
		if (!frame)
			return -EINVAL;
		/* Validated when it became a descriptor page, and kept so. */
		d = __atomic_load_n(&frame[idx % 512], __ATOMIC_RELAXED);
	}
	*desc = d;
	return 0;
}

/* ---- the real GDT's guest frames ---------------------------------- */

/* The hv L1 entry that maps va in the hypervisor slot, as a gpa. */
static int hv_pte_gpa(struct domain *d, uint64_t va, uint64_t *gpa)
{
	uint64_t idx = d->hv_l3;

	for (int level = 3; level >= 1; level--) {
		const uint64_t *t = hv_page(&d->hv, idx);
		unsigned int slot = (va >> (PAGE_SHIFT + 9 * (level - 1))) & 511;

		if (level == 1) {
			*gpa = HV_GPA_BASE + (idx << PAGE_SHIFT) + slot * 8;
			return 0;
		}
		if (!(t[slot] & _PAGE_PRESENT) || (t[slot] & _PAGE_PSE))
			return -EINVAL;
		idx = ((t[slot] & PTE_ADDR_MASK) >> PAGE_SHIFT) -
		      (HV_GPA_BASE >> PAGE_SHIFT);
		if (idx >= d->hv.nr_pages)
			return -EINVAL;
	}
	return -EINVAL;
}

static uint64_t gdt_zero_pte(struct domain *d)
{
	return (d->gdt_zero_pfn << PAGE_SHIFT) | _PAGE_PRESENT | _PAGE_NX;
}

int pv_gdt_init_vcpu(struct domain *d, struct vcpu *v)
{
	uint64_t va = v->area_va + HV_VCPU_GDT_OFF;
	int rc = 0;

	if (!d->gdt_zero_pfn) {
		int64_t zero = hv_alloc(&d->hv, 1);

		if (zero < 0)
			return (int)zero;
		d->gdt_zero_pfn = hv_pfn(&d->hv, zero);
	}
	/* Unused guest frames read as not-present descriptors, as in Xen. */
	for (unsigned int i = 0; i < GDT_NR_GUEST_FRAMES && !rc; i++)
		rc = hv_map(&d->hv, d->hv_l3, va + i * PAGE_SIZE,
			    d->gdt_zero_pfn << PAGE_SHIFT,
			    _PAGE_PRESENT | _PAGE_NX);
	if (!rc)
		rc = hv_pte_gpa(d, va, &v->gdt_pte_gpa);
	return rc;
}

/* Point GDT frame i of target at pte, through the in-VM writer. */
static int set_gdt_pte(struct vcpu *caller, struct vcpu *target,
		       unsigned int i, uint64_t pte)
{
	uint64_t gpa = target->gdt_pte_gpa + i * 8;
	const uint64_t *cur = (const uint64_t *)
		((const uint8_t *)target->d->hv.base + (gpa - HV_GPA_BASE));

	if (*cur == pte)
		return 0;
	return vcpu_pt_write(caller, gpa, pte);
}

/* Call with the mm lock held. */
static int set_gdt_locked(struct vcpu *caller, struct vcpu *t,
			  const uint64_t *frames, unsigned int entries)
{
	struct domain *d = t->d;
	struct pv_vcpu *pv = &t->pv;
	unsigned int i, nr = (entries + 511) / 512, old_nr;
	int rc = 0;

	if (entries > GDT_FIRST_RESERVED_ENTRY)
		return -EINVAL;
	for (i = 0; i < nr; i++)
		if (pt_get_page_and_type(&d->mm, NULL, frames[i],
					 PGT_SEG_DESC))
			goto fail;

	old_nr = (pv->gdt_ents + 511) / 512;
	for (i = 0; i < GDT_NR_GUEST_FRAMES && !rc; i++)
		rc = set_gdt_pte(caller, t, i, i < nr ?
				 (frames[i] << PAGE_SHIFT) | _PAGE_PRESENT |
				 _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY |
				 _PAGE_NX : gdt_zero_pte(d));
	for (i = 0; i < old_nr; i++)
		pt_put_page_and_type(&d->mm, pv->gdt_frames[i]);
	memset(pv->gdt_frames, 0, sizeof(pv->gdt_frames));
	for (i = 0; i < nr; i++)
		pv->gdt_frames[i] = frames[i];
	pv->gdt_ents = entries;
	pv_mm_flush_vcpu(caller, t);
	return rc;

fail:
	while (i-- > 0)
		pt_put_page_and_type(&d->mm, frames[i]);
	return -EINVAL;
}

int pv_set_gdt(struct vcpu *caller, struct vcpu *target,
	       const uint64_t *frames, unsigned int entries)
{
	int rc;

	mm_lock(target->d);
	rc = set_gdt_locked(caller, target, frames, entries);
	mm_unlock(target->d);
	return rc;
}

long do_set_gdt(struct vcpu *v, const uint64_t a[6])
{
	uint32_t entries = (uint32_t)a[1];
	uint64_t frames[16];
	unsigned int nr = (entries + 511) / 512;

	/* Checked again below; bounds the copy first. */
	if (entries > GDT_FIRST_RESERVED_ENTRY)
		return -EINVAL;
	if (nr && pv_read(&v->pv, a[0], frames, nr * sizeof(frames[0])))
		return -EFAULT;
	return pv_set_gdt(v, v, frames, entries);
}

long do_update_descriptor(struct vcpu *v, const uint64_t a[6])
{
	struct domain *d = v->d;
	struct pv_mm *mm = &d->mm;
	uint64_t gaddr = a[0], desc = a[1], mfn = gaddr >> PAGE_SHIFT;
	enum pgt_type type;
	struct vcpu_pt_writer w;
	int rc;

	/* Misaligned would corrupt two descriptors. */
	if ((gaddr & 7) || !pv_check_descriptor(&desc))
		return -EINVAL;
	mm_writer_init(&w, v);
	mm_lock(d);
	rc = pt_get_page(mm, mfn, true);
	if (rc)
		goto out;
	/* A descriptor page, or an ordinary page (an LDT being built). */
	type = pt_type_of(mm, mfn) == PGT_SEG_DESC ? PGT_SEG_DESC
						   : PGT_WRITABLE;
	rc = pt_get_type(mm, NULL, mfn, type);
	if (!rc) {
		rc = pt_store_data(mm, &w.w, gaddr, desc);
		pt_put_type(mm, mfn);
	} else {
		rc = -EINVAL;
	}
	pt_put_page(mm, mfn);
out:
	mm_unlock(d);
	return rc;
}
