// SPDX-License-Identifier: MIT
/*
 * Grant maps into a PV domain through its grant-map window
 * (pvisor/gnttab_map.h): handles, pins, frame references and the window
 * slots. The PTEs themselves are the PV MMU's (arch/x86/pv/grant_pte.c).
 *
 * A map with both GNTMAP_host_map and GNTMAP_device_map is two parts, as
 * in Xen: each holds its own pin (and, when writable, its own writable
 * frame reference), and each can be unmapped on its own.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "pvisor/domain.h"
#include "pvisor/gnttab_map.h"
#include "pvisor/gnttab_peer.h"
#include "pvisor/log.h"
#include "pvisor/pv_mm.h"

#define MAP_PARTS	(GNTMAP_host_map | GNTMAP_device_map)
/* Xen's GNTTAB_UNMAP_BATCH_SIZE: unmaps per TLB flush. */
#define UNMAP_BATCH	32u

int gnttab_map_domain_init(struct domain *d, uint32_t nr)
{
	struct gnttab_maptrack *mt;
	int64_t idx;

	if (!nr)
		return -EINVAL;
	mt = calloc(1, sizeof(*mt));
	if (!mt)
		return -ENOMEM;
	mt->slots = calloc(nr, sizeof(*mt->slots));
	idx = hv_alloc(&d->hv, nr);
	if (!mt->slots || idx < 0) {
		free(mt->slots);
		free(mt);
		return idx < 0 ? (int)idx : -ENOMEM;
	}
	/* d->hv.access stays 0: the guest can never map these itself. */
	mt->hv_idx = (uint64_t)idx;
	mt->nr = nr;
	for (uint32_t i = 0; i < nr; i++)
		mt->slots[i].next_free = i + 1;
	pthread_mutex_init(&mt->lock, NULL);
	d->maptrack = mt;
	return 0;
}

uint64_t gnttab_map_slot_mfn(const struct domain *d, uint32_t h)
{
	return hv_pfn(&d->hv, d->maptrack->hv_idx + h);
}

/* Drop what the parts in `parts` of slot s hold on the granter. */
static void slot_drop(struct domain *d, struct gnttab_map_slot *s,
		      uint32_t parts)
{
	bool ro = s->flags & GNTMAP_readonly;

	for (uint32_t bit = 1; bit <= GNTMAP_host_map; bit <<= 1) {
		if (!(parts & s->held & bit))
			continue;
		if (!ro)
			frame_release(&s->peer->shm.frames, s->frame, true);
		if (gnttab_unpin(&s->peer->shm, s->ref, d->id, ro))
			dom_log(d, LOG_WARN, "grant unmap: d%u ref %u: pin "
				"not released\n", s->peer->domid, s->ref);
		s->held &= ~bit;
	}
}

/*
 * Give slot h its own (zero, never used) hv frame back; the kernel can
 * merge the region's mapping again. KVM's MMU notifiers drop whatever
 * the VM still had for the slot, so after this (and before the pin goes)
 * no vCPU can reach the granted page, even through an entry its MMU
 * kept (shadow paging). False if it stays mapped.
 */
static bool slot_unwindow(struct domain *d, uint32_t h)
{
	struct gnttab_maptrack *mt = d->maptrack;
	uint64_t idx = mt->hv_idx + h;

	if (mmap(hv_page(&d->hv, idx), PAGE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, d->hv.fd,
		 (off_t)(idx << PAGE_SHIFT)) != MAP_FAILED)
		return true;
	dom_log(d, LOG_WARN, "grant unmap: slot %u not restored: kept\n", h);
	return false;
}

void gnttab_map_domain_fini(struct domain *d)
{
	struct gnttab_maptrack *mt = d->maptrack;

	if (!mt)
		return;
	/* The vCPUs are gone: no PTE can be used any more, just let go. */
	for (uint32_t h = 0; h < mt->nr; h++) {
		struct gnttab_map_slot *s = &mt->slots[h];

		if (!s->peer)
			continue;
		slot_drop(d, s, s->held);
		gnttab_peer_put(s->peer);
		s->peer = NULL;
	}
	pthread_mutex_destroy(&mt->lock);
	free(mt->slots);
	free(mt);
	d->maptrack = NULL;
}

/* ---- map ------------------------------------------------------------ */

/* The pins and frame references of n parts; all or nothing. */
static int16_t map_hold(struct domain *d, struct gnttab_peer *p,
			grant_ref_t ref, bool ro, unsigned int n,
			uint32_t *frame)
{
	unsigned int pinned = 0, claimed = 0;
	uint32_t f;
	int16_t st = GNTST_okay;

	for (; pinned < n; pinned++) {
		st = gnttab_pin(&p->shm, ref, d->id,
				GNTPIN_MAP | (ro ? GNTPIN_READONLY : 0), &f);
		if (st)
			goto undo;
		*frame = f;
	}
	/*
	 * Xen's get_page_type(PGT_writable_page) for each writable part: a
	 * page table or descriptor page is never mapped writable. A
	 * read-only map needs only a frame the granter still owns.
	 */
	for (; claimed < (ro ? 1 : n); claimed++) {
		st = frame_claim(&p->shm.frames, *frame, !ro);
		if (st)
			break;
	}
	if (!st)
		return GNTST_okay;
	/* "Could not pin grant frame": general_error, whatever the cause. */
	st = GNTST_general_error;
	while (!ro && claimed--)
		frame_release(&p->shm.frames, *frame, true);
undo:
	while (pinned--)
		gnttab_unpin(&p->shm, ref, d->id, ro);
	return st;
}

static int16_t map_one(struct vcpu *v, struct gnttab_map_grant_ref *op)
{
	struct domain *d = v->d;
	struct gnttab_maptrack *mt = d->maptrack;
	uint32_t parts = op->flags & MAP_PARTS, h, frame = 0;
	bool ro = op->flags & GNTMAP_readonly;
	unsigned int n = __builtin_popcount(parts);
	struct gnttab_map_slot *s;
	struct gnttab_peer *p;
	uint64_t mfn;
	int16_t st;

	if (!parts)
		return GNTST_bad_gntref;
	/* By numeric id only, the caller's own included (not DOMID_SELF). */
	p = gnttab_peer_get(op->dom);
	if (!p)
		return GNTST_bad_domain;
	pthread_mutex_lock(&mt->lock);
	h = mt->free_head;
	if (h >= mt->nr) {
		st = GNTST_no_space;	/* Xen: no maptrack handle left */
		goto out;
	}
	st = map_hold(d, p, op->ref, ro, n, &frame);
	if (st)
		goto out;
	mfn = gnttab_map_slot_mfn(d, h);
	/* The granted page takes the slot's place in what the VM sees. */
	if (mmap(hv_page(&d->hv, mt->hv_idx + h), PAGE_SIZE,
		 PROT_READ | (ro ? 0 : PROT_WRITE), MAP_SHARED | MAP_FIXED,
		 p->ram_fd, (off_t)((uint64_t)frame << PAGE_SHIFT)) ==
	    MAP_FAILED) {
		/* A failed MAP_FIXED may leave a hole: restore the page. */
		slot_unwindow(d, h);
		st = GNTST_general_error;
		goto out_drop;
	}
	if (parts & GNTMAP_host_map) {
		st = pv_grant_pte_create(v, op->host_addr, mfn, op->flags);
		if (st)
			goto out_window;
	}
	s = &mt->slots[h];
	mt->free_head = s->next_free;
	mt->in_use++;
	*s = (struct gnttab_map_slot){
		.peer = p, .ref = op->ref, .flags = op->flags, .live = parts,
		.held = parts, .frame = frame,
	};
	pthread_mutex_unlock(&mt->lock);
	op->handle = h;
	op->dev_bus_addr = mfn << PAGE_SHIFT;
	return GNTST_okay;

out_window:
	if (!slot_unwindow(d, h)) {
		/* The page stays in the slot: it keeps the pins till d dies. */
		s = &mt->slots[h];
		mt->free_head = s->next_free;
		mt->in_use++;
		*s = (struct gnttab_map_slot){
			.peer = p, .ref = op->ref, .flags = op->flags,
			.held = parts, .frame = frame, .closing = true,
		};
		pthread_mutex_unlock(&mt->lock);
		return st;
	}
out_drop:
	{
		struct gnttab_map_slot tmp = {
			.peer = p, .ref = op->ref, .flags = op->flags,
			.held = parts, .frame = frame,
		};

		slot_drop(d, &tmp, parts);
	}
out:
	pthread_mutex_unlock(&mt->lock);
	gnttab_peer_put(p);
	return st;
}

/* Xen's guest_handle_okay() for the op array. */
static bool args_okay(const struct vcpu *v, uint64_t va, uint64_t nr,
		      uint64_t size)
{
	return gmem_handle_okay(v->pv.mem, va, nr, size);
}

long gnttab_map_op(struct vcpu *v, uint64_t uop, unsigned int count)
{
	if (!v->d->maptrack)
		return -ENOSYS;
	if (!args_okay(v, uop, count, sizeof(struct gnttab_map_grant_ref)))
		return -EFAULT;
	for (unsigned int i = 0; i < count; i++) {
		uint64_t va = uop + (uint64_t)i *
				    sizeof(struct gnttab_map_grant_ref);
		struct gnttab_map_grant_ref op;

		if (domain_is_dying(v->d))
			return 0;
		if (pv_read(&v->pv, va, &op, sizeof(op)))
			return -EFAULT;
		op.status = map_one(v, &op);
		/* Xen copies the whole record back, failed or not. */
		if (pv_write(&v->pv, va, &op, sizeof(op)))
			return -EFAULT;
	}
	return 0;
}

/* ---- unmap ---------------------------------------------------------- */

struct unmap_req {
	uint64_t host_addr, dev_bus_addr, new_addr;
	uint32_t handle;
};

/*
 * Xen's unmap_common: undo the parts the request names, leaving their
 * pins and frame references (and the window slot) for unmap_complete,
 * after the TLB flush. *done: the parts undone.
 */
static int16_t unmap_one(struct vcpu *v, const struct unmap_req *r,
			 uint32_t *done)
{
	struct gnttab_maptrack *mt = v->d->maptrack;
	struct gnttab_map_slot *s;
	uint64_t mfn;
	int16_t st = GNTST_okay;

	*done = 0;
	pthread_mutex_lock(&mt->lock);
	s = r->handle < mt->nr ? &mt->slots[r->handle] : NULL;
	if (!s || !s->peer || !s->live) {
		st = GNTST_bad_handle;
		goto out;
	}
	mfn = gnttab_map_slot_mfn(v->d, r->handle);
	if (r->dev_bus_addr && (s->live & GNTMAP_device_map) &&
	    r->dev_bus_addr != mfn << PAGE_SHIFT) {
		st = GNTST_bad_dev_addr;
		goto out;
	}
	if (r->host_addr && (s->live & GNTMAP_host_map)) {
		st = pv_grant_pte_replace(v, r->host_addr, mfn, r->new_addr,
					  s->flags);
		if (st)
			goto out;
		*done |= GNTMAP_host_map;
	}
	if (r->dev_bus_addr && (s->live & GNTMAP_device_map))
		*done |= GNTMAP_device_map;
	s->live &= ~*done;
	/* Xen frees the handle when nothing is left mapped. */
	s->closing = !s->live;
out:
	pthread_mutex_unlock(&mt->lock);
	return st;
}

/* After the flush: nothing can reach the page through undone parts. */
static void unmap_complete(struct vcpu *v, uint32_t h, uint32_t done)
{
	struct domain *d = v->d;
	struct gnttab_maptrack *mt = d->maptrack;
	struct gnttab_map_slot *s = &mt->slots[h];
	struct gnttab_peer *p = NULL;
	bool last;

	pthread_mutex_lock(&mt->lock);
	/*
	 * The last completion of a closing slot frees it (two vCPUs may
	 * each have undone one part). The page leaves the VM before the
	 * granter may have it back.
	 */
	last = s->closing && !(s->held & ~done);
	if (last && !slot_unwindow(d, h)) {
		pthread_mutex_unlock(&mt->lock);
		return;		/* slot, pins and peer stay till d dies */
	}
	slot_drop(d, s, done);
	if (last) {
		p = s->peer;
		s->peer = NULL;
		s->closing = false;
		s->next_free = mt->free_head;
		mt->free_head = h;
		mt->in_use--;
	}
	pthread_mutex_unlock(&mt->lock);
	gnttab_peer_put(p);
}

typedef int (*unmap_read_fn)(struct vcpu *v, uint64_t va,
			     struct unmap_req *r);

static int read_unmap(struct vcpu *v, uint64_t va, struct unmap_req *r)
{
	struct gnttab_unmap_grant_ref op;

	if (pv_read(&v->pv, va, &op, sizeof(op)))
		return -EFAULT;
	*r = (struct unmap_req){ .host_addr = op.host_addr,
				 .dev_bus_addr = op.dev_bus_addr,
				 .handle = op.handle };
	return 0;
}

static int read_replace(struct vcpu *v, uint64_t va, struct unmap_req *r)
{
	struct gnttab_unmap_and_replace op;

	if (pv_read(&v->pv, va, &op, sizeof(op)))
		return -EFAULT;
	/* Only the host mapping: dev_bus_addr 0, as in Xen. */
	*r = (struct unmap_req){ .host_addr = op.host_addr,
				 .new_addr = op.new_addr,
				 .handle = op.handle };
	return 0;
}

/*
 * Batches of UNMAP_BATCH: undo each, report its status, flush every
 * vCPU's TLB once (only if a PTE went), then release what was undone.
 */
static long unmap_batches(struct vcpu *v, uint64_t uop, unsigned int count,
			  size_t size, size_t status_off, unmap_read_fn rd)
{
	uint32_t handle[UNMAP_BATCH], done[UNMAP_BATCH];
	long rc = 0;

	if (!v->d->maptrack)
		return -ENOSYS;
	if (!args_okay(v, uop, count, size))
		return -EFAULT;
	for (unsigned int i = 0; i < count && !rc;) {
		unsigned int n = 0;
		bool flush = false;

		for (; n < UNMAP_BATCH && i < count; n++, i++) {
			uint64_t va = uop + (uint64_t)i * size;
			struct unmap_req r;
			int16_t st;

			if (domain_is_dying(v->d) || rd(v, va, &r)) {
				rc = domain_is_dying(v->d) ? 0 : -EFAULT;
				i = count;
				break;
			}
			st = unmap_one(v, &r, &done[n]);
			handle[n] = r.handle;
			flush |= done[n] & GNTMAP_host_map;
			if (pv_write(&v->pv, va + status_off, &st,
				     sizeof(st))) {
				rc = -EFAULT;
				n++;
				i = count;
				break;
			}
		}
		if (flush)
			pv_grant_flush_tlb(v);
		for (unsigned int j = 0; j < n; j++)
			if (done[j])
				unmap_complete(v, handle[j], done[j]);
	}
	return rc;
}

long gnttab_unmap_op(struct vcpu *v, uint64_t uop, unsigned int count)
{
	return unmap_batches(v, uop, count,
			     sizeof(struct gnttab_unmap_grant_ref),
			     offsetof(struct gnttab_unmap_grant_ref, status),
			     read_unmap);
}

long gnttab_unmap_and_replace_op(struct vcpu *v, uint64_t uop,
				 unsigned int count)
{
	return unmap_batches(v, uop, count,
			     sizeof(struct gnttab_unmap_and_replace),
			     offsetof(struct gnttab_unmap_and_replace, status),
			     read_replace);
}
