// SPDX-License-Identifier: MIT
/* A domain's PV MMU state: frame table, reserved L4 slots, lifetime. */
#include <errno.h>
#include <stdlib.h>

#include "pvisor/grant_table.h"
#include "pvisor/layout.h"
#include "mm_internal.h"

static void release_frame(struct pv_mm *mm, uint64_t mfn)
{
	domain_release_frame(mm->opaque, mfn);
}

int pv_mm_init(struct domain *d)
{
	const uint64_t flags = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER |
			       _PAGE_ACCESSED;
	uint64_t n = d->mem.nr_pages;
	struct pv_page *pages = calloc(n, sizeof(*pages));
	uint8_t *absent = calloc(n, 1);

	if (!pages || !absent) {
		free(pages);
		free(absent);
		return -ENOMEM;
	}
	pthread_mutex_init(&d->mm_lock, NULL);
	pt_mm_init(&d->mm, &d->mem, pages, absent, n);
	d->mm.release = release_frame;
	d->mm.opaque = d;
	/* Tables and foreign writers exclude each other (frame_state.h). */
	if (d->gnttab)
		d->mm.frames = &d->gnttab->shm.frames;
	d->mem.absent = absent;
	/* What every validated L4 holds in Xen's slots: the M2P, the entry area. */
	d->mm.reserved_l4e[((d->m2p_slot_va >> L4_SLOT_SHIFT) & 511) -
			   PT_RESERVED_L4_FIRST] =
		(hv_pfn(&d->hv, d->m2p_l3) << PAGE_SHIFT) | flags;
	d->mm.reserved_l4e[((d->hv_slot_va >> L4_SLOT_SHIFT) & 511) -
			   PT_RESERVED_L4_FIRST] =
		(hv_pfn(&d->hv, d->hv_l3) << PAGE_SHIFT) | flags;
	return 0;
}

void pv_mm_fini(struct domain *d)
{
	if (!d->mm.pages)
		return;
	d->mem.absent = NULL;
	free(d->mm.pages);
	free(d->mm.absent);
	d->mm.pages = NULL;
	d->mm.absent = NULL;
	pthread_mutex_destroy(&d->mm_lock);
}

int pv_mm_get_writable_frame(struct domain *d, uint64_t mfn)
{
	int rc;

	mm_lock(d);
	rc = pt_get_page_and_type(&d->mm, NULL, mfn, PGT_WRITABLE);
	mm_unlock(d);
	return rc;
}

void pv_mm_put_writable_frame(struct domain *d, uint64_t mfn)
{
	mm_lock(d);
	pt_put_page_and_type(&d->mm, mfn);
	mm_unlock(d);
}
