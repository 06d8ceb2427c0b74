// SPDX-License-Identifier: MIT
/*
 * The balloon of a PVH/HVM domain (Xen: common/memory.c for translated
 * guests): decrease_reservation takes guest frames back by gpfn,
 * populate_physmap gives them again. Guest RAM is one memfd behind one
 * KVM memory slot, so a frame given back keeps its place: it is marked
 * absent (hypercalls and backends refuse it: gmem_frame, frame_state)
 * and its memory is punched out of the memfd, which returns it to the
 * host. A guest that touches such a frame anyway reads zeroes and gets
 * host memory again, never more than the RAM it was built with (Xen
 * would fault it instead). Frames outside RAM are not the balloon's.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include <pvabi/memory.h>

#include "pvisor/domain.h"
#include "pvisor/frame_state.h"
#include "pvisor/grant_table.h"
#include "pvisor/hvm.h"
#include "pvisor/hypercall.h"
#include "pvisor/log.h"

#define EXTENT_SHIFT	6		/* extents done, in the command word */
#define CMD_MASK	((1u << EXTENT_SHIFT) - 1)
#define MAX_ORDER	9		/* Xen's CONFIG_DOMU_MAX_ORDER */

int hvm_balloon_init(struct domain *d)
{
	d->hvm.absent = calloc(d->mem.nr_pages, 1);
	if (!d->hvm.absent)
		return -ENOMEM;
	d->mem.absent = d->hvm.absent;
	d->hvm.tot_pages = d->mem.nr_pages;
	return 0;
}

void hvm_balloon_fini(struct domain *d)
{
	if (d->hvm.absent && d->mem.absent == d->hvm.absent)
		d->mem.absent = NULL;
	free(d->hvm.absent);
	d->hvm.absent = NULL;
}

static void set_owned(struct domain *d, uint64_t pfn, bool owned)
{
	if (d->gnttab)
		frame_set_owned(&d->gnttab->shm.frames, pfn, owned);
}

/* One extent of 2^order frames from gpfn; false: not all of it RAM. */
static bool extent_ok(const struct domain *d, uint64_t gpfn,
		      unsigned int order)
{
	uint64_t n = 1ull << order;

	return !(gpfn & (n - 1)) && gpfn < d->mem.nr_pages &&
	       n <= d->mem.nr_pages - gpfn;
}

/* Under d->hvm.lock. */
static void release_extent(struct domain *d, uint64_t gpfn,
			   unsigned int order)
{
	for (uint64_t i = gpfn; i < gpfn + (1ull << order); i++) {
		if (d->hvm.absent[i])
			continue;
		/* Backends' new grant maps and copies refuse it first. */
		set_owned(d, i, false);
		__atomic_store_n(&d->hvm.absent[i], 1, __ATOMIC_RELEASE);
		d->hvm.tot_pages--;
		domain_release_frame(d, i);
	}
}

/* Under d->hvm.lock: the extent is the guest's again, zeroed. */
static void populate_extent(struct domain *d, uint64_t gpfn,
			    unsigned int order)
{
	for (uint64_t i = gpfn; i < gpfn + (1ull << order); i++) {
		domain_release_frame(d, i);
		if (!d->hvm.absent[i])
			continue;
		__atomic_store_n(&d->hvm.absent[i], 0, __ATOMIC_RELEASE);
		set_owned(d, i, true);
		d->hvm.tot_pages++;
	}
}

static long reservation(struct vcpu *v, unsigned int op, uint64_t start,
			uint64_t arg)
{
	struct domain *d = v->d;
	struct xen_memory_reservation r;
	uint64_t done = start;

	/* Anything wrong: Xen reports the extents done so far, no error. */
	if (pv_read(&v->pv, arg, &r, sizeof(r)))
		return (long)start;
	if (r.nr_extents > (UINT_MAX >> EXTENT_SHIFT) || start >= r.nr_extents ||
	    (r.domid != DOMID_SELF && r.domid != d->id) ||
	    r.extent_order > MAX_ORDER)
		return (long)start;
	/*
	 * A translated guest's increase_reservation would get frames it
	 * could not see (Xen maps them nowhere); PoD is not offered.
	 */
	if (op == XENMEM_increase_reservation ||
	    (r.mem_flags & XENMEMF_populate_on_demand))
		return (long)start;

	pthread_mutex_lock(&d->hvm.lock);
	for (; done < r.nr_extents; done++) {
		uint64_t gpfn;

		if (domain_is_dying(d) ||
		    pv_read(&v->pv, r.extent_start + done * 8, &gpfn,
			    sizeof(gpfn)) ||
		    !extent_ok(d, gpfn, r.extent_order))
			break;
		if (op == XENMEM_decrease_reservation)
			release_extent(d, gpfn, r.extent_order);
		else
			populate_extent(d, gpfn, r.extent_order);
	}
	pthread_mutex_unlock(&d->hvm.lock);
	return (long)done;
}

long hvm_balloon_op(struct vcpu *v, const uint64_t a[6])
{
	struct domain *d = v->d;
	unsigned int op = a[0] & CMD_MASK;
	uint64_t start = a[0] >> EXTENT_SHIFT;
	domid_t id;
	long rc;

	if (!d->hvm.absent)
		return -ENOSYS;		/* not set up: not a built domain */
	switch (op) {
	case XENMEM_increase_reservation:
	case XENMEM_decrease_reservation:
	case XENMEM_populate_physmap:
		return reservation(v, op, start, a[1]);
	case XENMEM_current_reservation:
	case XENMEM_maximum_reservation:
		if (start)
			return -EINVAL;
		if (pv_read(&v->pv, a[1], &id, sizeof(id)))
			return -EFAULT;
		if (id != DOMID_SELF && id != d->id)
			return -EPERM;	/* only dom0 asks about others */
		pthread_mutex_lock(&d->hvm.lock);
		rc = (long)(op == XENMEM_current_reservation ? d->hvm.tot_pages
							     : d->mem.nr_pages);
		pthread_mutex_unlock(&d->hvm.lock);
		return rc;
	}
	return -ENOSYS;
}
