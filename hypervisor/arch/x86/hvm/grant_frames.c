// SPDX-License-Identifier: MIT
/*
 * Grant frames of PVH/HVM guests. Their grant table is the same memfd as
 * a PV guest's (core/grant_table.c), so dom0 backends read it the same
 * way; only where the guest sees its frames differs. As on Xen, the
 * guest chooses: XENMEM_add_to_physmap(XENMAPSPACE_grant_table, idx,
 * gpfn) shows shared frame idx (or, with XENMAPIDX_grant_table_status,
 * v2 status frame idx) at gpfn, growing the table up to idx first.
 *
 * Inside RAM the memfd page is mapped over that page of pvisord's view of
 * RAM, as shared_info is (KVM's MMU notifiers follow). Linux puts its
 * frames beyond RAM, in address space it found unused
 * (CONFIG_XEN_UNPOPULATED_ALLOC): there each frame gets a KVM memory
 * slot of its own. Moving a frame gives the old gpfn back its RAM, or
 * removes its slot.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <pvabi/memory.h>

#include "pvisor/domain.h"
#include "pvisor/grant_table.h"
#include "pvisor/hvm.h"
#include "pvisor/log.h"

#define NO_GPFN		(~0ull)
/* KVM memory slots: 0 is RAM; frame i beyond RAM uses FIRST_SLOT + i. */
#define FIRST_SLOT	2u

static struct hvm_grant_frame *frame_of(struct domain *d, uint32_t i)
{
	return i < d->hvm.nr_gframes ? &d->hvm.gframes[i] : NULL;
}

int hvm_grant_frames_init(struct domain *d)
{
	struct gnttab *g = d->gnttab;
	uint32_t n = g->shm.max_frames + GNTTAB_STATUS_FRAMES(g->shm.max_frames);

	d->hvm.gframes = calloc(n, sizeof(*d->hvm.gframes));
	if (!d->hvm.gframes)
		return -ENOMEM;
	d->hvm.nr_gframes = n;
	for (uint32_t i = 0; i < n; i++)
		d->hvm.gframes[i].gpfn = NO_GPFN;
	return 0;
}

void hvm_grant_frames_fini(struct domain *d)
{
	for (uint32_t i = 0; i < d->hvm.nr_gframes; i++)
		if (d->hvm.gframes[i].host)
			munmap(d->hvm.gframes[i].host, PAGE_SIZE);
	free(d->hvm.gframes);
	d->hvm.gframes = NULL;
	d->hvm.nr_gframes = 0;
}

/* Take frame i away from where the guest saw it. Under h->lock. */
static void frame_unplace(struct domain *d, uint32_t i)
{
	struct hvm_grant_frame *f = frame_of(d, i);
	void *at;

	if (f->gpfn == NO_GPFN)
		return;
	if (f->host) {
		plat_vm_map(d->vm, FIRST_SLOT + i, f->gpfn << PAGE_SHIFT, 0,
			    NULL);
		munmap(f->host, PAGE_SIZE);
		f->host = NULL;
	} else {
		at = mmap(d->mem.ram + (f->gpfn << PAGE_SHIFT), PAGE_SIZE,
			  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			  d->ram_fd, (off_t)(f->gpfn << PAGE_SHIFT));
		if (at == MAP_FAILED)
			dom_log(d, LOG_WARN, "cannot give gpfn %#llx back its "
				"RAM\n", (unsigned long long)f->gpfn);
	}
	f->gpfn = NO_GPFN;
}

/* Show memfd page off as frame i at gpfn. Under h->lock. */
static int frame_place(struct domain *d, uint32_t i, uint64_t off,
		       uint64_t gpfn)
{
	struct hvm_grant_frame *f = frame_of(d, i);
	int fd = gnttab_domain_fd(d);
	void *p;
	int rc;

	/* Another frame there goes: one page, one frame, as Xen's p2m. */
	for (uint32_t j = 0; j < d->hvm.nr_gframes; j++)
		if (j != i && d->hvm.gframes[j].gpfn == gpfn)
			frame_unplace(d, j);
	frame_unplace(d, i);
	if (gpfn < d->mem.nr_pages) {
		p = mmap(d->mem.ram + (gpfn << PAGE_SHIFT), PAGE_SIZE,
			 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd,
			 (off_t)off);
		if (p == MAP_FAILED)
			return -ENOMEM;
	} else {
		p = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			 fd, (off_t)off);
		if (p == MAP_FAILED)
			return -ENOMEM;
		rc = plat_vm_map(d->vm, FIRST_SLOT + i, gpfn << PAGE_SHIFT,
				 PAGE_SIZE, p);
		if (rc) {
			munmap(p, PAGE_SIZE);
			return rc;
		}
		f->host = p;
	}
	f->gpfn = gpfn;
	return 0;
}

long hvm_map_grant_frame(struct domain *d, uint64_t idx, uint64_t gpfn)
{
	struct gnttab *g = d->gnttab;
	bool status = idx & XENMAPIDX_grant_table_status;
	uint32_t max, i, nr;
	uint64_t off;
	long rc;

	if (!g || !d->hvm.gframes)
		return -ENOSYS;
	idx &= ~(uint64_t)XENMAPIDX_grant_table_status;
	max = g->shm.max_frames;
	/*
	 * Not over the interrupt controllers' window below 4 GiB, and
	 * within what a guest-physical address can be (48 bits here).
	 */
	if ((gpfn >= (PVH_MMIO_BASE >> PAGE_SHIFT) && gpfn < (1ull << 20)) ||
	    gpfn >= (1ull << (48 - PAGE_SHIFT)))
		return -EINVAL;
	if (status) {
		nr = __atomic_load_n(&g->shm.ctl->nr_frames, __ATOMIC_ACQUIRE);
		if (gnttab_shm_version(&g->shm) != 2 ||
		    idx >= GNTTAB_STATUS_FRAMES(nr))
			return -EINVAL;
		i = max + (uint32_t)idx;
	} else {
		if (idx >= max)
			return -EINVAL;
		/* As Xen: mapping a frame beyond the table grows it. */
		if (gnttab_grow(d, (uint32_t)idx + 1))
			return -EINVAL;
		i = (uint32_t)idx;
	}
	/* The memfd starts with the shared frames, then the status frames. */
	off = (uint64_t)i << PAGE_SHIFT;
	pthread_mutex_lock(&d->hvm.lock);
	rc = frame_place(d, i, off, gpfn);
	pthread_mutex_unlock(&d->hvm.lock);
	return rc;
}
