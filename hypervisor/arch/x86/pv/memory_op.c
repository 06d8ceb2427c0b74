// SPDX-License-Identifier: MIT
/*
 * memory_op: the domain's memory as the guest sees it (where the M2P
 * is, the memory map, the reservation) and the balloon, both ways:
 * decrease_reservation gives frames back, populate_physmap and
 * increase_reservation take free ones again (Xen: common/memory.c).
 *
 * Guest RAM is one memfd and machine frame = guest frame, so a frame
 * given back keeps its number: it is marked absent (no new mapping, no
 * hypercall access, M2P invalid) and its memory is punched out of the
 * memfd once nothing refers to it any more. Until then existing
 * mappings keep it alive, as Xen keeps a page with references alive.
 */
#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include <pvabi/memory.h>

#include "pvisor/domain.h"
#include "pvisor/hypercall.h"
#include "pvisor/log.h"
#include "mm_internal.h"

#define MEMOP_EXTENT_SHIFT	6
#define MEMOP_CMD_MASK		((1u << MEMOP_EXTENT_SHIFT) - 1)
#define DOMU_MAX_ORDER		9	/* Xen's CONFIG_DOMU_MAX_ORDER */
#define INVALID_M2P_ENTRY	(~0ull)

struct memop {
	struct vcpu *v;
	struct xen_memory_reservation r;
	uint64_t limit;			/* frames must lie below (address bits) */
	uint64_t done;			/* extents completed */
};

static bool range_free(const struct pv_mm *mm, uint64_t mfn, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		const struct pv_page *pg = &mm->pages[mfn + i];

		if ((pg->flags & PGF_ALLOCATED) || pg->count)
			return false;
	}
	return true;
}

/*
 * 2^order free frames, aligned; the guest's own frame number first,
 * else the lowest (the hint keeps repeated searches linear overall).
 */
static int64_t find_free(struct pv_mm *mm, uint64_t want, unsigned int order,
			 uint64_t limit)
{
	uint64_t n = 1ull << order;

	if (want < limit && !(want & (n - 1)) && want + n <= limit &&
	    range_free(mm, want, n))
		return (int64_t)want;
	while (mm->free_hint < mm->nr_pages &&
	       (mm->pages[mm->free_hint].flags & PGF_ALLOCATED))
		mm->free_hint++;
	for (uint64_t mfn = mm->free_hint & ~(n - 1); mfn + n <= limit; mfn += n)
		if (range_free(mm, mfn, n))
			return (int64_t)mfn;
	return -1;
}

static void take_frames(struct domain *d, uint64_t mfn, unsigned int order,
			uint64_t gpfn, bool set_m2p)
{
	struct pv_mm *mm = &d->mm;

	for (uint64_t i = 0; i < (1ull << order); i++) {
		mm->pages[mfn + i].flags |= PGF_ALLOCATED;
		mm->absent[mfn + i] = 0;
		if (mm->frames)
			frame_set_owned(mm->frames, mfn + i, true);
		mm->tot_pages++;
		/* Fresh frames are zero, whatever the guest left in them. */
		domain_release_frame(d, mfn + i);
		d->m2p[mfn + i] = set_m2p ? gpfn + i : INVALID_M2P_ENTRY;
	}
}

/* Xen's guest_remove_page for a PV domain: one frame back to the host. */
static int remove_frame(struct domain *d, uint64_t mfn)
{
	struct pv_mm *mm = &d->mm;
	struct pv_page *pg;

	if (mfn >= mm->nr_pages)
		return -EINVAL;
	pg = &mm->pages[mfn];
	if (!(pg->flags & PGF_ALLOCATED))
		return -ENXIO;
	d->m2p[mfn] = INVALID_M2P_ENTRY;
	mm->absent[mfn] = 1;
	pg->flags &= ~PGF_ALLOCATED;
	/* Grant copies and maps refuse it from now on (GNTST_bad_page). */
	if (mm->frames)
		frame_set_owned(mm->frames, mfn, false);
	if (mfn < mm->free_hint)
		mm->free_hint = mfn;
	if (!pg->count) {
		mm->tot_pages--;
		domain_release_frame(d, mfn);
	}
	return 0;
}

static void decrease_reservation(struct memop *a)
{
	struct vcpu *v = a->v;

	for (; a->done < a->r.nr_extents; a->done++) {
		uint64_t gmfn;

		if (domain_is_dying(v->d))
			return;
		if (pv_read(&v->pv, a->r.extent_start + a->done * 8, &gmfn,
			    sizeof(gmfn)))
			return;
		for (uint64_t j = 0; j < (1ull << a->r.extent_order); j++)
			if (remove_frame(v->d, gmfn + j))
				return;
	}
}

/* populate_physmap (gpfns in, frames out) and increase_reservation. */
static void populate(struct memop *a, bool populate_physmap)
{
	struct vcpu *v = a->v;
	struct domain *d = v->d;

	for (; a->done < a->r.nr_extents; a->done++) {
		uint64_t slot = a->r.extent_start + a->done * 8, gpfn = 0, mfn;
		int64_t found;

		if (domain_is_dying(d))
			return;
		if (populate_physmap &&
		    pv_read(&v->pv, slot, &gpfn, sizeof(gpfn)))
			return;
		found = find_free(&d->mm, populate_physmap ? gpfn : 0,
				  a->r.extent_order, a->limit);
		if (found < 0) {
			dom_log(d, LOG_DEBUG, "no free order-%u extent (%llu of "
				"%llu)\n", a->r.extent_order,
				(unsigned long long)a->done,
				(unsigned long long)a->r.nr_extents);
			return;
		}
		mfn = (uint64_t)found;
		take_frames(d, mfn, a->r.extent_order, gpfn, populate_physmap);
		/* The guest learns the machine frames it now owns. */
		if ((populate_physmap || a->r.extent_start) &&
		    pv_write(&v->pv, slot, &mfn, sizeof(mfn)))
			return;
	}
}

static unsigned int order_of(uint64_t n)
{
	unsigned int o = 0;

	while ((1ull << o) < n)
		o++;
	return o;
}

static long reservation_op(struct vcpu *v, unsigned int op, uint64_t start,
			   uint64_t arg)
{
	struct domain *d = v->d;
	struct memop a = { .v = v, .done = start };
	unsigned int bits;

	/* Anything wrong: Xen reports the extents done so far, no error. */
	if (pv_read(&v->pv, arg, &a.r, sizeof(a.r)))
		return (long)start;
	if (a.r.nr_extents > (UINT_MAX >> MEMOP_EXTENT_SHIFT) ||
	    start >= a.r.nr_extents)
		return (long)start;
	if (a.r.domid != DOMID_SELF && a.r.domid != d->id)
		return (long)start;	/* absent, or refused by XSM */
	a.limit = d->mm.nr_pages;
	bits = XENMEMF_get_address_bits(a.r.mem_flags);
	if (bits && bits < order_of(d->mm.nr_pages) + PAGE_SHIFT) {
		if (bits <= PAGE_SHIFT)
			return (long)start;
		a.limit = 1ull << (bits - PAGE_SHIFT);
	}
	if (a.r.extent_order > DOMU_MAX_ORDER)
		return (long)start;
	if ((op != XENMEM_increase_reservation || a.r.extent_start) &&
	    !mm_addr_ok(a.r.extent_start + start * 8))
		return (long)start;
	if (op == XENMEM_populate_physmap &&
	    (a.r.mem_flags & XENMEMF_populate_on_demand))
		return (long)start;	/* PoD on oneself is refused */

	mm_lock(d);
	if (op == XENMEM_decrease_reservation)
		decrease_reservation(&a);
	else
		populate(&a, op == XENMEM_populate_physmap);
	mm_unlock(d);
	return (long)a.done;
}

static long reservation_query(struct vcpu *v, unsigned int op, uint64_t arg)
{
	struct domain *d = v->d;
	domid_t id;
	long rc;

	if (pv_read(&v->pv, arg, &id, sizeof(id)))
		return -EFAULT;
	/* Xen's system domains are not found by id here: -ESRCH. */
	if (id == DOMID_IO || id == DOMID_XEN)
		return -ESRCH;
	if (id != d->id) {
		rc = mm_pg_owner(d, id);
		if (rc)
			return rc;
	}
	if (op == XENMEM_maximum_gpfn) {
		/* A PV guest's own shared_info says: nr_pfns, not max_pfn. */
		uint64_t nr = __atomic_load_n(&d->shared_info->arch.max_pfn,
					      __ATOMIC_RELAXED);

		return (long)((nr ? nr : 1) - 1);
	}
	mm_lock(d);
	rc = (long)(op == XENMEM_current_reservation ? d->mm.tot_pages
						     : d->mm.max_pages);
	mm_unlock(d);
	return rc;
}

long do_memory_op(struct vcpu *v, const uint64_t a[6])
{
	struct domain *d = v->d;
	unsigned int op = a[0] & MEMOP_CMD_MASK;
	uint64_t start = a[0] >> MEMOP_EXTENT_SHIFT;

	switch (op) {
	case XENMEM_increase_reservation:
	case XENMEM_decrease_reservation:
	case XENMEM_populate_physmap:
		return reservation_op(v, op, start, a[1]);
	case XENMEM_maximum_ram_page:
		return start ? -EINVAL : (long)d->m2p_max_mfn;
	case XENMEM_current_reservation:
	case XENMEM_maximum_reservation:
	case XENMEM_maximum_gpfn:
		return start ? -EINVAL : reservation_query(v, op, a[1]);
	}

	/* The x86 operations see the whole command, extent bits included. */
	switch (a[0]) {
	case XENMEM_machphys_mapping: {
		struct xen_machphys_mapping m = {
			.v_start = d->m2p_slot_va,
			.v_end = d->m2p_slot_va + (1ull << L4_SLOT_SHIFT),
			.max_mfn = d->m2p_max_mfn,
		};

		return pv_write(&v->pv, a[1], &m, sizeof(m)) ? -EFAULT : 0;
	}
	case XENMEM_memory_map: {
		struct xen_memory_map map;
		struct e820entry e = {
			.addr = 0,
			.size = d->mem.nr_pages << PAGE_SHIFT,
			.type = E820_RAM,
		};

		if (pv_read(&v->pv, a[1], &map, sizeof(map)))
			return -EFAULT;
		/* As Xen: as many entries as fit, none being no error. */
		if (map.nr_entries > 1)
			map.nr_entries = 1;
		if (map.nr_entries &&
		    pv_write(&v->pv, map.buffer, &e, sizeof(e)))
			return -EFAULT;
		return pv_write(&v->pv, a[1], &map, sizeof(map)) ? -EFAULT : 0;
	}
	}
	dom_log(d, LOG_WARN, "memory_op %llu not implemented\n",
		(unsigned long long)a[0]);
	return -ENOSYS;
}
