// SPDX-License-Identifier: MIT
/*
 * Page types and reference counts of a PV domain's frames, with Xen's
 * rules and error codes (xen/arch/x86/mm.c is the specification): entry
 * validation per level, promotion and demotion of tables as their type
 * count goes 0 -> 1 -> 0, pinning, and validated entry updates.
 */
#include <errno.h>
#include <string.h>

#include "pvisor/page_type.h"

#define PTE_AD		(_PAGE_ACCESSED | _PAGE_DIRTY)
/* Bits that change what the MMU does with an entry beyond access. */
#define PTE_HW_ATTRS	(_PAGE_PWT | _PAGE_PCD | _PAGE_PSE | _PAGE_GLOBAL)
/* Changes Xen applies without re-validating (FASTPATH_*_WHITELIST). */
#define L1_FAST_FLAGS	(_PAGE_NX | _PAGE_AVAIL_HIGH | _PAGE_AVAIL | \
			 _PAGE_GLOBAL | _PAGE_DIRTY | _PAGE_ACCESSED | \
			 _PAGE_USER)
#define LX_FAST_FLAGS	L1_FAST_FLAGS

static uint64_t pte_mfn(uint64_t e)
{
	return (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
}

static uint64_t *entry_ptr(struct pv_mm *mm, uint64_t gpa)
{
	return (uint64_t *)(mm->mem->ram + (gpa & ~7ull));
}

static uint64_t read_entry(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void pt_mm_init(struct pv_mm *mm, const struct guest_mem *mem,
		struct pv_page *pages, uint8_t *absent, uint64_t nr_pages)
{
	memset(mm, 0, sizeof(*mm));
	mm->mem = mem;
	mm->pages = pages;
	mm->absent = absent;
	mm->nr_pages = nr_pages;
	mm->tot_pages = nr_pages;
	mm->max_pages = nr_pages;
	mm->free_hint = nr_pages;
	for (uint64_t i = 0; i < nr_pages; i++)
		pages[i].flags = PGF_ALLOCATED;
}

bool pt_entry_flags_ok(uint64_t e, unsigned int level)
{
	return !(e & ~(level == 1 ? L1_ALLOWED : LX_ALLOWED));
}

uint64_t pt_adjust_entry(uint64_t e, unsigned int level)
{
	if (!(e & _PAGE_PRESENT))
		return e;
	if (level == 1) {
		/*
		 * The guest kernel runs at CPL3, so its mappings need US too;
		 * bit 52 remembers they were the kernel's. Xen would also set
		 * GLOBAL on user mappings: the VM runs with CR4.PGE clear,
		 * where GLOBAL means nothing, so pvisor leaves it alone.
		 */
		if (!(e & _PAGE_USER))
			e |= _PAGE_USER | _PAGE_GUEST_KERNEL;
		return e;
	}
	e |= _PAGE_USER;
	if (level == 4)
		e |= _PAGE_ACCESSED;
	return e;
}

bool pt_store_is_widening(uint64_t old, uint64_t new)
{
	const uint64_t grant = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | PTE_AD;

	if (!(old & _PAGE_PRESENT))
		return true;
	if (!(new & _PAGE_PRESENT) || ((old ^ new) & PTE_ADDR_MASK))
		return false;
	if ((old & grant) & ~new)
		return false;	/* loses access, or A/D the MMU must set again */
	if ((new & _PAGE_NX) && !(old & _PAGE_NX))
		return false;
	return !((old ^ new) & PTE_HW_ATTRS);
}

/*
 * Store one entry. Stores that only widen access need no replay: a VM
 * MMU still holding the narrower entry faults and re-reads it. preserve
 * keeps the A/D bits the MMU may be setting concurrently.
 */
static int store_entry(struct pv_mm *mm, struct pt_writer *w, uint64_t gpa,
		       uint64_t new, bool preserve_ad, uint64_t *oldp)
{
	uint64_t *p = entry_ptr(mm, gpa);
	uint64_t old = read_entry(p), want;

	do {
		want = preserve_ad ? new | (old & PTE_AD) : new;
	} while (!__atomic_compare_exchange_n(p, &old, want, false,
					      __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	if (oldp)
		*oldp = old;
	if (!w || old == want)
		return 0;
	if (pt_store_is_widening(old, want)) {
		mm->skipped_touches++;
		return 0;
	}
	mm->touches++;
	return w->touch(w, gpa);
}

/* ---- general references ------------------------------------------- */

int pt_get_page(struct pv_mm *mm, uint64_t mfn, bool new_use)
{
	struct pv_page *pg;

	if (mfn >= mm->nr_pages)
		return -EINVAL;
	pg = &mm->pages[mfn];
	if (!(pg->flags & PGF_ALLOCATED) && (new_use || !pg->count))
		return -EINVAL;
	if (pg->count == UINT32_MAX)
		return -EINVAL;
	pg->count++;
	return 0;
}

void pt_put_page(struct pv_mm *mm, uint64_t mfn)
{
	struct pv_page *pg = &mm->pages[mfn];

	if (!pg->count)
		return;		/* cannot happen with a consistent guest */
	if (--pg->count || (pg->flags & PGF_ALLOCATED))
		return;
	/* Ballooned out and now unreferenced: it really goes away. */
	mm->tot_pages--;
	if (mm->release)
		mm->release(mm, mfn);
}

/* ---- what entries refer to ---------------------------------------- */

/*
 * An L1 entry's frame: the domain's own RAM (an RW mapping takes a
 * writable-type reference), or a hypervisor frame shared with it.
 * Errors as Xen's get_page_from_l1e: -EPERM for frames that do not
 * exist, -EBUSY for frames that are not the guest's to map that way.
 */
static int get_l1e_target(struct pv_mm *mm, uint64_t e)
{
	uint64_t mfn = pte_mfn(e);
	bool rw = e & _PAGE_RW;
	const struct guest_mem *m = mm->mem;

	if (mfn >= mm->nr_pages) {
		if (m->hv && mfn >= m->hv_base_pfn &&
		    mfn - m->hv_base_pfn < m->hv_nr_pages)
			return gmem_frame(m, mfn, rw) ? 0 : -EBUSY;
		return mfn == PT_INVALID_MFN ? -EINVAL : -EPERM;
	}
	if (pt_get_page(mm, mfn, true))
		return -EBUSY;
	if (rw && pt_get_type(mm, NULL, mfn, PGT_WRITABLE)) {
		pt_put_page(mm, mfn);
		return -EBUSY;
	}
	return 0;
}

static void put_l1e_target(struct pv_mm *mm, uint64_t e)
{
	uint64_t mfn = pte_mfn(e);

	if (!(e & _PAGE_PRESENT) || mfn >= mm->nr_pages)
		return;
	if (e & _PAGE_RW)
		pt_put_type(mm, mfn);
	pt_put_page(mm, mfn);
}

/* An L2-L4 entry's frame: a table one level down, validated as such. */
static int get_lxe_target(struct pv_mm *mm, struct pt_writer *w, uint64_t e,
			  unsigned int level)
{
	return pt_get_page_and_type(mm, w, pte_mfn(e), PGT_TABLE(level - 1));
}

static int get_entry_target(struct pv_mm *mm, struct pt_writer *w,
			    uint64_t e, unsigned int level)
{
	if (!pt_entry_flags_ok(e, level))
		return -EINVAL;
	return level == 1 ? get_l1e_target(mm, e)
			  : get_lxe_target(mm, w, e, level);
}

static void put_entry_target(struct pv_mm *mm, uint64_t e, unsigned int level)
{
	if (!(e & _PAGE_PRESENT))
		return;
	if (level == 1)
		put_l1e_target(mm, e);
	else if (pte_mfn(e) < mm->nr_pages)
		pt_put_page_and_type(mm, pte_mfn(e));
}

/* ---- promotion and demotion of tables ----------------------------- */

static bool slot_is_guest(unsigned int level, unsigned int i)
{
	return level != 4 || pt_guest_l4_slot(i);
}

/*
 * Validate every present entry, taking the references it implies, and
 * write the adjusted entries back. An L4 also gets the hypervisor's
 * slots, whatever the guest left there. On failure nothing is held.
 */
static int promote(struct pv_mm *mm, struct pt_writer *w, uint64_t mfn,
		   unsigned int level)
{
	uint64_t base = mfn << PAGE_SHIFT, *t = entry_ptr(mm, base);
	unsigned int i;
	int rc = 0;

	for (i = 0; i < 512; i++) {
		uint64_t e, ne;

		if (!slot_is_guest(level, i))
			continue;
		e = read_entry(&t[i]);
		if (!(e & _PAGE_PRESENT))
			continue;
		rc = get_entry_target(mm, w, e, level);
		if (rc)
			goto fail;
		ne = pt_adjust_entry(e, level);
		if (ne != e) {
			rc = store_entry(mm, w, base + i * 8, ne, false, NULL);
			if (rc) {
				put_entry_target(mm, ne, level);
				goto fail;
			}
		}
	}
	if (level == 4) {
		for (i = 0; i < PT_NR_RESERVED_L4; i++) {
			unsigned int s = PT_RESERVED_L4_FIRST + i;

			if (read_entry(&t[s]) == mm->reserved_l4e[i])
				continue;
			rc = store_entry(mm, w, base + s * 8,
					 mm->reserved_l4e[i], false, NULL);
			if (rc) {
				i = 512;
				goto fail;
			}
		}
	}
	return 0;

fail:
	while (i-- > 0)
		if (slot_is_guest(level, i))
			put_entry_target(mm, read_entry(&t[i]), level);
	return rc;
}

static void demote(struct pv_mm *mm, uint64_t mfn, unsigned int level)
{
	const uint64_t *t = entry_ptr(mm, mfn << PAGE_SHIFT);

	for (unsigned int i = 0; i < 512; i++)
		if (slot_is_guest(level, i))
			put_entry_target(mm, read_entry(&t[i]), level);
}

static int validate_segdesc(struct pv_mm *mm, uint64_t mfn)
{
	uint64_t *d = entry_ptr(mm, mfn << PAGE_SHIFT);

	for (unsigned int i = 0; i < 512; i++) {
		uint64_t desc = read_entry(&d[i]);

		if (!pv_check_descriptor(&desc))
			return -EINVAL;
		if (desc != d[i])
			__atomic_store_n(&d[i], desc, __ATOMIC_RELAXED);
	}
	return 0;
}

/* ---- type references ---------------------------------------------- */

int pt_get_type(struct pv_mm *mm, struct pt_writer *w, uint64_t mfn,
		enum pgt_type type)
{
	struct pv_page *pg = &mm->pages[mfn];
	int rc = 0;

	if (pg->type_count) {
		/* One type at a time: this is what the counts exist for. */
		if (pg->type != type || pg->type_count == UINT32_MAX)
			return -EINVAL;
		pg->type_count++;
		return 0;
	}
	/* Nobody outside the guest may be writing a table-to-be. */
	if (type != PGT_WRITABLE && mm->frames &&
	    !frame_protect(mm->frames, mfn))
		return -EINVAL;
	pg->type = type;
	pg->type_count = 1;
	if (PGT_IS_TABLE(type))
		rc = promote(mm, w, mfn, PGT_LEVEL(type));
	else if (type == PGT_SEG_DESC)
		rc = validate_segdesc(mm, mfn);
	if (rc) {
		pg->type = PGT_NONE;
		pg->type_count = 0;
		if (type != PGT_WRITABLE && mm->frames)
			frame_unprotect(mm->frames, mfn);
		return rc;
	}
	if (PGT_IS_TABLE(type))
		pg->flags |= PGF_WAS_TABLE;
	return 0;
}

void pt_put_type(struct pv_mm *mm, uint64_t mfn)
{
	struct pv_page *pg = &mm->pages[mfn];

	if (!pg->type_count)
		return;
	if (--pg->type_count)
		return;
	/* Tables release what they refer to as soon as nothing uses them. */
	if (PGT_IS_TABLE(pg->type))
		demote(mm, mfn, PGT_LEVEL(pg->type));
	if (pg->type != PGT_WRITABLE && mm->frames)
		frame_unprotect(mm->frames, mfn);
	pg->type = PGT_NONE;
}

int pt_get_page_and_type(struct pv_mm *mm, struct pt_writer *w, uint64_t mfn,
			 enum pgt_type type)
{
	int rc = pt_get_page(mm, mfn, true);

	if (rc)
		return rc;
	rc = pt_get_type(mm, w, mfn, type);
	if (rc)
		pt_put_page(mm, mfn);
	return rc;
}

void pt_put_page_and_type(struct pv_mm *mm, uint64_t mfn)
{
	pt_put_type(mm, mfn);
	pt_put_page(mm, mfn);
}

/* ---- pinning ------------------------------------------------------ */

int pt_pin(struct pv_mm *mm, struct pt_writer *w, uint64_t mfn,
	   unsigned int level)
{
	int rc;

	if (level < 1 || level > 4)
		return -EINVAL;
	rc = pt_get_page_and_type(mm, w, mfn, PGT_TABLE(level));
	if (rc)
		return rc;
	if (mm->pages[mfn].flags & PGF_PINNED) {
		pt_put_page_and_type(mm, mfn);
		return -EINVAL;
	}
	mm->pages[mfn].flags |= PGF_PINNED;
	return 0;
}

int pt_unpin(struct pv_mm *mm, uint64_t mfn)
{
	if (pt_get_page(mm, mfn, false))
		return -EINVAL;
	if (!(mm->pages[mfn].flags & PGF_PINNED)) {
		pt_put_page(mm, mfn);
		return -EINVAL;
	}
	mm->pages[mfn].flags &= ~PGF_PINNED;
	pt_put_page_and_type(mm, mfn);
	pt_put_page(mm, mfn);
	return 0;
}

/* ---- entry updates ------------------------------------------------ */

int pt_mod_entry(struct pv_mm *mm, struct pt_writer *w, uint64_t gpa,
		 uint64_t val, unsigned int level, bool preserve_ad)
{
	unsigned int slot = (gpa >> 3) & 511;
	uint64_t old, cur;
	int rc;

	if (level == 4 && !pt_guest_l4_slot(slot))
		return -EINVAL;		/* "L4 update in Xen-private area" */
	cur = read_entry(entry_ptr(mm, gpa));
	if (!(val & _PAGE_PRESENT))
		goto store;
	if (!pt_entry_flags_ok(val, level))
		return -EINVAL;
	val = pt_adjust_entry(val, level);
	/* Same frame, same presence and writability: no new references. */
	if (!((cur ^ val) & ~(level == 1 ? L1_FAST_FLAGS : LX_FAST_FLAGS)))
		return store_entry(mm, w, gpa, val, preserve_ad, NULL);
	rc = get_entry_target(mm, w, val, level);
	if (rc)
		return rc;
store:
	rc = store_entry(mm, w, gpa, val, preserve_ad, &old);
	put_entry_target(mm, old, level);
	return rc;
}

void pt_put_l1e(struct pv_mm *mm, uint64_t e)
{
	put_l1e_target(mm, e);
}

int pt_set_l1e_unchecked(struct pv_mm *mm, struct pt_writer *w, uint64_t gpa,
			 uint64_t val, bool put_old, uint64_t *oldp)
{
	uint64_t old;
	int rc = store_entry(mm, w, gpa, val, false, &old);

	if (put_old)
		put_l1e_target(mm, old);
	if (oldp)
		*oldp = old;
	return rc;
}

int pt_store_data(struct pv_mm *mm, struct pt_writer *w, uint64_t gpa,
		  uint64_t val)
{
	uint64_t mfn = gpa >> PAGE_SHIFT;

	/* Only a frame that once was a table can be cached by the MMU. */
	if (!(mm->pages[mfn].flags & PGF_WAS_TABLE))
		w = NULL;
	return store_entry(mm, w, gpa, val, false, NULL);
}

int pt_update(struct pv_mm *mm, struct pt_writer *w, uint64_t gpa,
	      uint64_t val, bool preserve_ad)
{
	uint64_t mfn = gpa >> PAGE_SHIFT;
	enum pgt_type type;
	int rc;

	if (pt_get_page(mm, mfn, false))
		return -EINVAL;
	type = pt_type_of(mm, mfn);
	if (PGT_IS_TABLE(type)) {
		rc = pt_mod_entry(mm, w, gpa, val, PGT_LEVEL(type), preserve_ad);
	} else if (type == PGT_SEG_DESC) {
		rc = -EINVAL;
	} else {
		/* Not a table (yet): Linux writes unpinned tables this way. */
		rc = pt_get_type(mm, w, mfn, PGT_WRITABLE);
		if (!rc) {
			rc = pt_store_data(mm, w, gpa, val);
			pt_put_type(mm, mfn);
		}
	}
	pt_put_page(mm, mfn);
	return rc;
}
