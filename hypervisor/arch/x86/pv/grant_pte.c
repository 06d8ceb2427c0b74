// SPDX-License-Identifier: MIT
/*
 * The PV side of grant maps: the L1 entries GNTTABOP_map_grant_ref,
 * unmap_grant_ref and unmap_and_replace write into the caller's page
 * tables, with the behaviour and statuses of Xen's
 * create_grant_pv_mapping/replace_grant_pv_mapping (xen/arch/x86/pv/
 * grant_table.c). The frame an entry names is the mapper's own grant-map
 * window frame (core/gnttab_map.c), which validation never lets the
 * guest map by itself, so these entries are stored without validation
 * and hold no page references.
 */
#include <errno.h>

#include <pvabi/grant_table.h>

#include "pvisor/log.h"
#include "mm_internal.h"

/* What Xen's grant_to_pte_flags makes of the map flags (no cache attrs). */
static uint64_t grant_pte(uint64_t mfn, uint32_t flags)
{
	uint64_t e = (mfn << PAGE_SHIFT) | _PAGE_PRESENT | _PAGE_ACCESSED |
		     _PAGE_DIRTY | _PAGE_NX;

	if (flags & GNTMAP_application_map)
		e |= _PAGE_USER;
	if (!(flags & GNTMAP_readonly))
		e |= _PAGE_RW;
	e |= ((uint64_t)(flags >> _GNTMAP_guest_avail0) << 9) & _PAGE_AVAIL;
	/* The kernel runs at CPL3: USER too, as validation adds. */
	return pt_adjust_entry(e, 1);
}

/*
 * The entry addr names, in an L1-typed frame of the caller: the PTE's
 * machine address (contains_pte) or the L1 entry of a linear address in
 * the active tables. Call with the mm lock held; a page reference on the
 * L1 is held on success (pt_put_page it).
 */
static int grant_l1e(struct vcpu *v, uint64_t addr, bool contains_pte,
		     uint64_t *gpa, uint64_t *l1)
{
	struct pv_mm *mm = &v->d->mm;

	if (contains_pte) {
		if (addr & 7)	/* would write across two entries */
			return -EINVAL;
		*l1 = addr >> PAGE_SHIFT;
		*gpa = addr;
	} else {
		if (mm_find_l1(v, addr, l1))
			return -EINVAL;
		*gpa = (*l1 << PAGE_SHIFT) + ((addr >> PAGE_SHIFT) & 511) * 8;
	}
	if (pt_get_page(mm, *l1, false))
		return -EINVAL;
	if (pt_type_of(mm, *l1) != PGT_L1) {
		pt_put_page(mm, *l1);
		return -EINVAL;
	}
	return 0;
}

int16_t pv_grant_pte_create(struct vcpu *v, uint64_t addr, uint64_t mfn,
			    uint32_t flags)
{
	struct domain *d = v->d;
	struct vcpu_pt_writer w;
	uint64_t gpa, l1;
	int rc;

	mm_writer_init(&w, v);
	mm_lock(d);
	rc = grant_l1e(v, addr, flags & GNTMAP_contains_pte, &gpa, &l1);
	if (!rc) {
		/* Whatever was mapped there is replaced, as by Xen. */
		rc = pt_set_l1e_unchecked(&d->mm, &w.w, gpa,
					  grant_pte(mfn, flags), true, NULL);
		pt_put_page(&d->mm, l1);
	}
	mm_unlock(d);
	if (rc)
		dom_log(d, LOG_DEBUG, "grant map: no L1 entry for %#llx\n",
			(unsigned long long)addr);
	return rc ? GNTST_general_error : GNTST_okay;
}

/* unmap_and_replace's new_addr: clear its entry, keep what it held. */
static int steal_l1e(struct vcpu *v, struct vcpu_pt_writer *w,
		     uint64_t va, uint64_t *e)
{
	struct pv_mm *mm = &v->d->mm;
	uint64_t gpa, l1;
	int rc = grant_l1e(v, va, false, &gpa, &l1);

	if (rc)
		return rc;
	rc = pt_set_l1e_unchecked(mm, &w->w, gpa, 0, false, e);
	pt_put_page(mm, l1);
	return rc;
}

int16_t pv_grant_pte_replace(struct vcpu *v, uint64_t addr, uint64_t mfn,
			     uint64_t new_addr, uint32_t flags)
{
	const uint64_t match = PTE_ADDR_MASK | _PAGE_PRESENT | _PAGE_RW;
	struct domain *d = v->d;
	struct pv_mm *mm = &d->mm;
	struct vcpu_pt_writer w;
	uint64_t gpa, l1, old, ne = 0;
	int16_t st = GNTST_general_error;

	/* No replacing in the contains_pte mode (Xen's rule). */
	if ((flags & GNTMAP_contains_pte) && new_addr)
		return GNTST_general_error;
	mm_writer_init(&w, v);
	mm_lock(d);
	if (new_addr && steal_l1e(v, &w, new_addr, &ne))
		goto out;
	if (grant_l1e(v, addr, flags & GNTMAP_contains_pte, &gpa, &l1))
		goto out;
	old = __atomic_load_n((uint64_t *)(mm->mem->ram + gpa),
			     __ATOMIC_RELAXED);
	/* The entry must still be this grant's, as mapped. */
	if (!((old ^ grant_pte(mfn, flags)) & match) &&
	    !pt_set_l1e_unchecked(mm, &w.w, gpa, ne, false, NULL)) {
		ne = 0;		/* moved: its references go with it */
		st = GNTST_okay;
	} else {
		dom_log(d, LOG_DEBUG, "grant unmap: PTE %#llx at %#llx does "
			"not map frame %#llx\n", (unsigned long long)old,
			(unsigned long long)addr, (unsigned long long)mfn);
	}
	pt_put_page(mm, l1);
out:
	/* A stolen entry that found no new home loses its references. */
	if (ne)
		pt_put_l1e(mm, ne);
	mm_unlock(d);
	return st;
}

void pv_grant_flush_tlb(struct vcpu *v)
{
	mm_flush_all(v);
}
