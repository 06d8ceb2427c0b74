// SPDX-License-Identifier: MIT
/*
 * Grant tables, v1 and v2: each domain's table (a memfd whose shared and
 * status frames sit in the domain's hypervisor region) and
 * grant_table_op, hypercall 20, with Xen's per-op semantics and error
 * codes: setup_table, query_size, set_version/get_version,
 * get_status_frames, copy and swap_grant_ref. Maps and unmaps are
 * gnttab_map.c's; the entry protocol itself lives in gnttab_shm.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pvisor/domain.h"
#include "pvisor/gnttab_map.h"
#include "pvisor/gnttab_peer.h"
#include "pvisor/grant_table.h"
#include "pvisor/hypercall.h"
#include "pvisor/log.h"

/* Xen's (internal) split of the cmd argument: op in the low 12 bits. */
#define GNTTABOP_CMD_MASK	((1u << 12) - 1)

int gnttab_domain_init(struct domain *d)
{
	const uint32_t max = CONFIG_GNTTAB_MAX_FRAMES;
	uint32_t nr_hv;
	struct gnttab *g;
	int64_t idx;
	void *at;
	int rc;

	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->fd = -1;
	g->base = MAP_FAILED;
	pthread_mutex_init(&g->grow_lock, NULL);
	d->gnttab = g;

	g->size = gnttab_shm_size(max, d->mem.nr_pages);
	g->fd = memfd_create("pvisor-gnttab", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (g->fd < 0)
		return -errno;
	if (ftruncate(g->fd, (off_t)g->size))
		return -errno;
	/* dom0 services map it too: it must never shrink under them. */
	if (fcntl(g->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL))
		return -errno;
	g->base = mmap(NULL, g->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       g->fd, 0);
	if (g->base == MAP_FAILED)
		return -errno;
	g->ram = d->mem.ram;
	rc = gnttab_shm_format(&g->shm, g->base, g->size, max,
			       d->mem.nr_pages, d->id);
	if (rc)
		return rc;

	/*
	 * PVH/HVM guests place their frames themselves, in their own
	 * physical address space (XENMEM_add_to_physmap, hvm/grant_frames.c).
	 */
	if (d->type != DOMAIN_TYPE_PV)
		return gnttab_grow(d, 1);
	/*
	 * The guest-visible frames: reserve max shared frames and the v2
	 * status frames after them in the hypervisor region (so their frame
	 * numbers are fixed from the start, whichever version is in force)
	 * and put the memfd's first pages, which are those frames in that
	 * order, in their place in pvisord's mapping, which is what the
	 * VM's memory slot points at.
	 */
	nr_hv = max + GNTTAB_STATUS_FRAMES(max);
	idx = hv_alloc(&d->hv, nr_hv);
	if (idx < 0)
		return (int)idx;
	g->hv_idx = (uint64_t)idx;
	at = mmap(hv_page(&d->hv, g->hv_idx), (size_t)nr_hv << PAGE_SHIFT,
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, g->fd, 0);
	if (at == MAP_FAILED)
		return -errno;
	return gnttab_grow(d, 1);	/* Xen's INITIAL_NR_GRANT_FRAMES */
}

void gnttab_domain_fini(struct domain *d)
{
	struct gnttab *g = d->gnttab;

	if (!g)
		return;
	/* The overlay inside the hypervisor region goes with the region. */
	if (g->base != MAP_FAILED)
		munmap(g->base, g->size);
	if (g->fd >= 0)
		close(g->fd);
	pthread_mutex_destroy(&g->grow_lock);
	free(g);
	d->gnttab = NULL;
}

int gnttab_domain_fd(const struct domain *d)
{
	return d->gnttab ? d->gnttab->fd : -1;
}

uint64_t gnttab_frame_mfn(const struct domain *d, uint32_t i)
{
	return hv_pfn(&d->hv, d->gnttab->hv_idx + i);
}

uint64_t gnttab_status_mfn(const struct domain *d, uint32_t i)
{
	return hv_pfn(&d->hv, d->gnttab->hv_idx + d->gnttab->shm.max_frames + i);
}

/*
 * Let the guest map the status frames that go with nr shared frames
 * (v2), or none (v1: Xen frees them). Under grow_lock.
 */
static void gnttab_status_access(struct domain *d, uint32_t nr, bool v2)
{
	struct gnttab *g = d->gnttab;
	uint32_t all = GNTTAB_STATUS_FRAMES(g->shm.max_frames);
	uint32_t on = v2 ? GNTTAB_STATUS_FRAMES(nr) : 0;

	if (d->type != DOMAIN_TYPE_PV)
		return;		/* no hypervisor region: add_to_physmap checks */
	for (uint32_t i = 0; i < all; i++)
		d->hv.access[g->hv_idx + g->shm.max_frames + i] =
			i < on ? HV_ACCESS_READ | HV_ACCESS_WRITE : 0;
}

uint32_t gnttab_nr_status_frames(const struct domain *d)
{
	const struct gnttab *g = d->gnttab;

	if (gnttab_shm_version(&g->shm) != 2)
		return 0;
	return GNTTAB_STATUS_FRAMES(__atomic_load_n(&g->shm.ctl->nr_frames,
						    __ATOMIC_ACQUIRE));
}

int gnttab_grow(struct domain *d, uint32_t nr)
{
	struct gnttab *g = d->gnttab;
	uint32_t cur;

	if (nr > g->shm.max_frames)
		return -EINVAL;
	pthread_mutex_lock(&g->grow_lock);
	cur = __atomic_load_n(&g->shm.ctl->nr_frames, __ATOMIC_RELAXED);
	for (uint32_t i = cur; i < nr && d->type == DOMAIN_TYPE_PV; i++)
		d->hv.access[g->hv_idx + i] = HV_ACCESS_READ | HV_ACCESS_WRITE;
	if (nr > cur) {
		/* v2 grows its status frames with it, as Xen's grow does. */
		if (gnttab_shm_version(&g->shm) == 2)
			gnttab_status_access(d, nr, true);
		__atomic_store_n(&g->shm.ctl->nr_frames, nr, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&g->grow_lock);
	return 0;
}

/*
 * Unlike Xen, a switch back to v1 is not refused while the guest still
 * maps a status frame (nothing counts mappings of hypervisor frames):
 * the frame only stops being mappable, and a stale mapping reaches
 * status words nobody reads under v1 (cleared at the next switch).
 */
int gnttab_switch_version(struct domain *d, unsigned int version)
{
	struct gnttab *g = d->gnttab;
	int rc;

	pthread_mutex_lock(&g->grow_lock);
	rc = gnttab_shm_set_version(&g->shm, version);
	if (!rc)
		gnttab_status_access(d, __atomic_load_n(&g->shm.ctl->nr_frames,
							__ATOMIC_RELAXED),
				     gnttab_shm_version(&g->shm) == 2);
	pthread_mutex_unlock(&g->grow_lock);
	return rc;
}

int gnttab_seed(struct domain *d, grant_ref_t ref, domid_t backend,
		uint32_t frame)
{
	struct gnttab *g = d->gnttab;

	if (!g || frame >= d->mem.nr_pages)
		return -EINVAL;
	return gnttab_shm_seed(&g->shm, ref, backend, frame);
}

/* ---- hypercall helpers ------------------------------------------------ */

/* Xen's guest_handle_okay() on the caller's address space. */
static bool gnt_handle_okay(const struct vcpu *v, uint64_t va, uint64_t nr,
			    uint64_t size)
{
	return gmem_handle_okay(v->pv.mem, va, nr, size);
}

/* Once per domain and op: what the guest asked for that we do not do. */
static void gnt_log_unimpl(struct vcpu *v, unsigned int cmd, const char *what)
{
	uint32_t bit = 1u << (cmd & 31);

	if (!(__atomic_fetch_or(&v->d->gnttab->unimpl_logged, bit,
				__ATOMIC_RELAXED) & bit))
		dom_log(v->d, LOG_WARN, "grant_table_op %u: %s\n", cmd, what);
}

/*
 * The caller's own table, if dom names it. The table ops here
 * (setup/query/version/status frames) reach no other domain's table,
 * answered as a domain that cannot be found; copies and maps reach
 * other domains' grants through the peer registry (gnttab_peer.h).
 * any_id accepts DOMID_SELF (Xen's rcu_lock_domain_by_any_id), as
 * setup/query/copy do but map does not.
 */
static struct gnttab *gnt_lookup(struct vcpu *v, domid_t dom, bool any_id)
{
	if ((any_id && dom == DOMID_SELF) || dom == v->d->id)
		return v->d->gnttab;
	return NULL;
}

static int gnt_put_status(struct vcpu *v, uint64_t va, size_t off,
			  int16_t status)
{
	return pv_write(&v->pv, va + off, &status, sizeof(status));
}

/* ---- setup / query / version ------------------------------------------ */

static long gnt_setup_table(struct vcpu *v, uint64_t uop, unsigned int count)
{
	struct gnttab_setup_table op;
	struct gnttab *g;

	if (count != 1)
		return -EINVAL;
	if (pv_read(&v->pv, uop, &op, sizeof(op)))
		return -EFAULT;
	if (!gnt_handle_okay(v, op.frame_list, op.nr_frames, sizeof(xen_pfn_t)))
		return -EFAULT;

	g = gnt_lookup(v, op.dom, true);
	if (!g) {
		op.status = GNTST_bad_domain;
		goto out;
	}
	if (op.nr_frames > g->shm.max_frames) {
		op.status = GNTST_general_error;
		goto out;
	}
	if (gnttab_grow(v->d, op.nr_frames)) {
		op.status = GNTST_general_error;
		goto out;
	}
	op.status = GNTST_okay;
	for (uint32_t i = 0; i < op.nr_frames; i++) {
		/* A translated guest maps its frames by add_to_physmap. */
		xen_pfn_t mfn = v->d->type == DOMAIN_TYPE_PV ?
				gnttab_frame_mfn(v->d, i) : ~(xen_pfn_t)0;

		if (pv_write(&v->pv, op.frame_list + i * sizeof(mfn), &mfn,
			     sizeof(mfn))) {
			op.status = GNTST_bad_virt_addr;
			break;
		}
	}
out:
	if (gnt_put_status(v, uop, offsetof(struct gnttab_setup_table, status),
			   op.status))
		return -EFAULT;
	return 0;
}

static long gnt_query_size(struct vcpu *v, uint64_t uop, unsigned int count)
{
	struct gnttab_query_size op;
	struct gnttab *g;

	if (count != 1)
		return -EINVAL;
	if (pv_read(&v->pv, uop, &op, sizeof(op)))
		return -EFAULT;
	g = gnt_lookup(v, op.dom, true);
	if (!g) {
		op.status = GNTST_bad_domain;
	} else {
		op.nr_frames = __atomic_load_n(&g->shm.ctl->nr_frames,
					       __ATOMIC_ACQUIRE);
		op.max_nr_frames = g->shm.max_frames;
		op.status = GNTST_okay;
	}
	return pv_write(&v->pv, uop, &op, sizeof(op)) ? -EFAULT : 0;
}

/*
 * Xen's order: a version that does not exist is -EINVAL; the one in
 * force is written back whatever happened. The switch itself (its
 * -EBUSY, -EAGAIN, -ERANGE) is gnttab_shm_set_version's.
 */
static long gnt_set_version(struct vcpu *v, uint64_t uop)
{
	struct gnttab_set_version op;
	long rc;

	if (pv_read(&v->pv, uop, &op, sizeof(op)))
		return -EFAULT;
	if (op.version != 1 && op.version != 2)
		rc = -EINVAL;
	else
		rc = gnttab_switch_version(v->d, op.version);
	if (rc && rc != -EINVAL)
		dom_log(v->d, LOG_DEBUG, "grant table v%u refused: %ld\n",
			op.version, rc);
	op.version = gnttab_shm_version(&v->d->gnttab->shm);
	if (pv_write(&v->pv, uop, &op, sizeof(op)))
		return -EFAULT;
	return rc;
}

static long gnt_get_version(struct vcpu *v, uint64_t uop)
{
	struct gnttab_get_version op;
	struct gnttab *g;

	if (pv_read(&v->pv, uop, &op, sizeof(op)))
		return -EFAULT;
	g = gnt_lookup(v, op.dom, true);
	if (!g)
		return -ESRCH;
	op.version = gnttab_shm_version(&g->shm);
	return pv_write(&v->pv, uop + offsetof(struct gnttab_get_version,
					       version),
			&op.version, sizeof(op.version)) ? -EFAULT : 0;
}

/*
 * The status frames' numbers (v2). A v1 table has none, so asking for
 * any is GNTST_general_error, as asking for more than exist is.
 */
static long gnt_get_status_frames(struct vcpu *v, uint64_t uop,
				  unsigned int count)
{
	struct gnttab_get_status_frames op;

	if (count != 1)
		return -EINVAL;
	if (pv_read(&v->pv, uop, &op, sizeof(op)))
		return -EFAULT;
	if (!gnt_handle_okay(v, op.frame_list, op.nr_frames, sizeof(uint64_t)))
		return -EFAULT;
	if (!gnt_lookup(v, op.dom, true)) {
		op.status = GNTST_bad_domain;
		goto out;
	}
	/* grow_lock: the count and the version, as one. */
	pthread_mutex_lock(&v->d->gnttab->grow_lock);
	if (op.nr_frames > gnttab_nr_status_frames(v->d)) {
		op.status = GNTST_general_error;
	} else {
		op.status = GNTST_okay;
		for (uint32_t i = 0; i < op.nr_frames; i++) {
			uint64_t mfn = gnttab_status_mfn(v->d, i);

			if (pv_write(&v->pv, op.frame_list + i * sizeof(mfn),
				     &mfn, sizeof(mfn))) {
				op.status = GNTST_bad_virt_addr;
				break;
			}
		}
	}
	pthread_mutex_unlock(&v->d->gnttab->grow_lock);
out:
	if (gnt_put_status(v, uop,
			   offsetof(struct gnttab_get_status_frames, status),
			   op.status))
		return -EFAULT;
	return 0;
}

/* ---- copy ----------------------------------------------------------------- */

/*
 * One side of a copy: a frame of the caller, or a pinned grant, held by a
 * frame reference (writable for the destination) while the copy runs.
 * A grant in another domain's table is reached through its peer
 * (gnttab_peer.h), referenced from the domain check to the release, as
 * Xen holds the domain for the whole copy.
 */
struct gnt_buf {
	uint8_t *page;
	struct gnttab_peer *peer;	/* a foreign granter, referenced */
	const struct gnttab_shm *shm;	/* the granter's, while a pin is held */
	grant_ref_t ref;
	bool ro;
	bool claimed;			/* frame reference held on mfn */
	uint64_t mfn;
	uint16_t off, len;		/* the bytes granted (Xen's window) */
};

/*
 * Xen's gnttab_copy_lock_domain: only DOMID_SELF may be named by frame;
 * the domain must exist. The caller's own id (or DOMID_SELF) is its own
 * table; any other is looked up among the registered peers.
 */
static int16_t gnt_copy_domain(struct vcpu *v, domid_t dom, bool is_gref,
			       struct gnt_buf *b)
{
	if (dom != DOMID_SELF && !is_gref)
		return GNTST_permission_denied;
	if (gnt_lookup(v, dom, true))
		return GNTST_okay;
	b->peer = gnttab_peer_get(dom);
	return b->peer ? GNTST_okay : GNTST_bad_domain;
}

static int16_t gnt_claim(struct vcpu *v, const struct gnttab_copy_ptr *p,
			 bool is_gref, bool ro, struct gnt_buf *b)
{
	struct domain *d = v->d;
	const struct gnttab_shm *t;
	struct gnttab_pinned pin;
	uint8_t *ram;
	int16_t rc;

	b->ro = ro;
	b->off = 0;
	b->len = PAGE_SIZE;
	if (!is_gref) {
		/*
		 * Hypervisor frames shared with the guest (its grant
		 * frames, shared_info) are never typed: as Xen, allow what
		 * the guest could map itself.
		 */
		if (p->u.gmfn >= d->mem.nr_pages) {
			b->page = gmem_frame(&d->mem, p->u.gmfn, !ro);
			return b->page ? GNTST_okay : GNTST_bad_page;
		}
		/*
		 * The caller's RAM, as Xen's copy takes it: still the
		 * guest's (not ballooned out), and a destination takes a
		 * writable reference: never a page table or descriptor
		 * page, which could otherwise be written unvalidated.
		 */
		rc = frame_claim(&d->gnttab->shm.frames, p->u.gmfn, !ro);
		if (rc)
			return rc;
		b->claimed = true;
		b->mfn = p->u.gmfn;
		b->page = gmem_ram_frame(&d->mem, p->u.gmfn);
		return b->page ? GNTST_okay : GNTST_bad_page;
	}
	/* Our own table, or the peer's: the same protocol on either. */
	if (b->peer) {
		t = &b->peer->shm;
		ram = b->peer->ram;
	} else {
		t = &d->gnttab->shm;
		ram = d->gnttab->ram;
	}
	rc = gnttab_pin_window(t, p->u.ref, d->id, ro ? GNTPIN_READONLY : 0,
			       &pin);
	if (rc)
		return rc;
	b->shm = t;
	b->ref = p->u.ref;
	b->off = pin.off;		/* a v2 sub-page grant's window */
	b->len = pin.len;
	/*
	 * The granter's frame, under the same rules as its own copies:
	 * still its own, and never written while typed as a table.
	 */
	rc = frame_claim(&t->frames, pin.frame, !ro);
	if (rc)
		return rc;
	b->claimed = true;
	b->mfn = pin.frame;
	/* Below the granter's nr_ram_pages (gnttab_pin), inside ram. */
	b->page = ram + ((uint64_t)pin.frame << PAGE_SHIFT);
	return GNTST_okay;
}

/* In reverse: the frame reference, the pin, the peer. */
static void gnt_release(struct vcpu *v, struct gnt_buf *b)
{
	const struct gnttab_shm *t = b->shm ? b->shm : &v->d->gnttab->shm;

	if (b->claimed)
		frame_release(&t->frames, b->mfn, !b->ro);
	if (b->shm)
		gnttab_unpin(b->shm, b->ref, v->d->id, b->ro);
	gnttab_peer_put(b->peer);
	b->peer = NULL;
	b->shm = NULL;
	b->page = NULL;
	b->claimed = false;
}

/* Inside the bytes b grants (all of a frame but for a sub-page grant). */
static bool gnt_in_window(const struct gnt_buf *b, uint16_t off, uint16_t len)
{
	return off >= b->off && off + len <= b->off + b->len;
}

/*
 * Xen's order: len 0, domains, source, dest, then the page bounds
 * (GNTST_bad_copy_arg) and the grants' windows (GNTST_general_error).
 */
static int16_t gnt_copy_one(struct vcpu *v, const struct gnttab_copy *op)
{
	struct gnt_buf src = { 0 }, dst = { 0 };
	bool sg = op->flags & GNTCOPY_source_gref;
	bool dg = op->flags & GNTCOPY_dest_gref;
	int16_t rc;

	if (!op->len)
		return GNTST_okay;
	rc = gnt_copy_domain(v, op->source.domid, sg, &src);
	if (!rc)
		rc = gnt_copy_domain(v, op->dest.domid, dg, &dst);
	if (!rc)
		rc = gnt_claim(v, &op->source, sg, true, &src);
	if (!rc)
		rc = gnt_claim(v, &op->dest, dg, false, &dst);
	if (!rc) {
		if (op->source.offset + op->len > PAGE_SIZE ||
		    op->dest.offset + op->len > PAGE_SIZE)
			rc = GNTST_bad_copy_arg;
		else if (!gnt_in_window(&src, op->source.offset, op->len) ||
			 !gnt_in_window(&dst, op->dest.offset, op->len))
			rc = GNTST_general_error;
		else	/* the two may be the same page */
			memmove(dst.page + op->dest.offset,
				src.page + op->source.offset, op->len);
	}
	gnt_release(v, &dst);
	gnt_release(v, &src);
	return rc;
}

static long gnt_copy(struct vcpu *v, uint64_t uop, unsigned int count)
{
	if (!gnt_handle_okay(v, uop, count, sizeof(struct gnttab_copy)))
		return -EFAULT;
	for (unsigned int i = 0; i < count; i++) {
		uint64_t va = uop + (uint64_t)i * sizeof(struct gnttab_copy);
		struct gnttab_copy op;

		if (domain_is_dying(v->d))
			return 0;
		if (pv_read(&v->pv, va, &op, sizeof(op)))
			return -EFAULT;
		if (gnt_put_status(v, va, offsetof(struct gnttab_copy, status),
				   gnt_copy_one(v, &op)))
			return -EFAULT;
	}
	return 0;
}

/* ---- swap (map and unmap: gnttab_map.c) ------------------------------ */

static long gnt_swap(struct vcpu *v, uint64_t uop, unsigned int count)
{
	if (!gnt_handle_okay(v, uop, count,
			     sizeof(struct gnttab_swap_grant_ref)))
		return -EFAULT;
	for (unsigned int i = 0; i < count; i++) {
		uint64_t va = uop + (uint64_t)i *
				    sizeof(struct gnttab_swap_grant_ref);
		struct gnttab_swap_grant_ref op;

		if (domain_is_dying(v->d))
			return 0;
		if (pv_read(&v->pv, va, &op, sizeof(op)))
			return -EFAULT;
		if (gnt_put_status(v, va,
				   offsetof(struct gnttab_swap_grant_ref, status),
				   gnttab_swap(&v->d->gnttab->shm, op.ref_a,
					       op.ref_b)))
			return -EFAULT;
	}
	return 0;
}

long do_grant_table_op(struct vcpu *v, const uint64_t a[6])
{
	unsigned int cmd = (unsigned int)a[0], count = (unsigned int)a[2];
	uint64_t uop = a[1];

	if (!v->d->gnttab)
		return -ENOSYS;
	if ((int)count < 0)
		return -EINVAL;
	/* The upper bits carry continuation state, which only Xen creates. */
	if ((cmd & ~GNTTABOP_CMD_MASK) && (cmd & GNTTABOP_CMD_MASK) !=
					  GNTTABOP_cache_flush)
		return -EINVAL;

	switch (cmd & GNTTABOP_CMD_MASK) {
	case GNTTABOP_map_grant_ref:
		return gnttab_map_op(v, uop, count);
	case GNTTABOP_unmap_grant_ref:
		return gnttab_unmap_op(v, uop, count);
	case GNTTABOP_unmap_and_replace:
		return gnttab_unmap_and_replace_op(v, uop, count);
	case GNTTABOP_setup_table:
		return gnt_setup_table(v, uop, count);
	case GNTTABOP_copy:
		return gnt_copy(v, uop, count);
	case GNTTABOP_query_size:
		return gnt_query_size(v, uop, count);
	case GNTTABOP_set_version:
		return gnt_set_version(v, uop);
	case GNTTABOP_get_status_frames:
		return gnt_get_status_frames(v, uop, count);
	case GNTTABOP_get_version:
		return gnt_get_version(v, uop);
	case GNTTABOP_swap_grant_ref:
		return gnt_swap(v, uop, count);
	case GNTTABOP_transfer:		/* page flipping: not implemented */
		gnt_log_unimpl(v, cmd, "transfer is not implemented (-ENOSYS)");
		return -ENOSYS;
	}
	/* dump_table is gone from Xen; cache_flush is Arm only. */
	return -ENOSYS;
}
