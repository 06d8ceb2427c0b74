// SPDX-License-Identifier: MIT
/*
 * Xen's grant-entry protocol, v1 and v2, on a grant table held in shared
 * memory (layout and locking: pvisor/gnttab_shm.h). Used by pvisord for
 * GNTTABOP_copy and by dom0 services through gnttab_dom0.c. Switching
 * versions is gnttab_version.c.
 *
 * The shared and status frames are guest memory the guest writes
 * concurrently: every word is read once, in-use bits change only
 * atomically, and nothing read from them is trusted beyond the checks
 * made on that read.
 */
#include <errno.h>
#include <string.h>

#include "gnttab_entry.h"

#define PAGE_BYTES	4096u

/* Xen bounds its compare-and-swap retries on guest memory the same way. */
#define SET_STATUS_RETRIES	4

static uint64_t frame_word_pages(uint64_t nr_ram_pages)
{
	return (nr_ram_pages * sizeof(uint32_t) + PAGE_BYTES - 1) / PAGE_BYTES;
}

static uint64_t window_pages(uint32_t max)
{
	return ((uint64_t)max * GNTTAB_ENTRIES_PER_FRAME * sizeof(uint32_t) +
		PAGE_BYTES - 1) / PAGE_BYTES;
}

size_t gnttab_shm_size(uint32_t max_frames, uint64_t nr_ram_pages)
{
	return (2ull * max_frames + GNTTAB_STATUS_FRAMES((uint64_t)max_frames) +
		window_pages(max_frames) + frame_word_pages(nr_ram_pages) + 1) *
	       PAGE_BYTES;
}

/* Point t at the parts of a memfd laid out for max frames, nr RAM pages. */
static int gnttab_shm_locate(struct gnttab_shm *t, void *base, size_t size,
			     uint32_t max, uint64_t nr_ram_pages)
{
	uint8_t *p = base;

	if (!max || max > UINT32_MAX / GNTTAB_ENTRIES_PER_FRAME ||
	    nr_ram_pages > (uint64_t)ACT_FRAME_MAX + 1 ||
	    size != gnttab_shm_size(max, nr_ram_pages))
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->shared = (uint32_t *)p;
	p += (uint64_t)max * PAGE_BYTES;
	t->status = (uint16_t *)p;
	p += GNTTAB_STATUS_FRAMES((uint64_t)max) * PAGE_BYTES;
	t->active = (uint64_t *)p;
	p += (uint64_t)max * PAGE_BYTES;
	t->window = (uint32_t *)p;
	p += window_pages(max) * PAGE_BYTES;
	t->frames.words = (uint32_t *)p;
	t->frames.nr = nr_ram_pages;
	t->ctl = (struct gnttab_ctl *)((uint8_t *)base + size - PAGE_BYTES);
	t->max_frames = max;
	t->nr_ram_pages = nr_ram_pages;
	return 0;
}

int gnttab_shm_format(struct gnttab_shm *t, void *base, size_t size,
		      uint32_t max_frames, uint64_t nr_ram_pages,
		      uint16_t domid)
{
	int rc;

	if (!base)
		return -EINVAL;
	rc = gnttab_shm_locate(t, base, size, max_frames, nr_ram_pages);
	if (rc)
		return rc;
	t->ctl->max_frames = max_frames;
	t->ctl->nr_ram_pages = nr_ram_pages;
	t->ctl->domid = domid;
	t->ctl->gt_version = 1;		/* as Xen creates every table */
	t->ctl->layout_version = GNTTAB_LAYOUT_VERSION;
	__atomic_store_n(&t->ctl->nr_frames, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&t->ctl->magic, GNTTAB_CTL_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

int gnttab_shm_attach(struct gnttab_shm *t, void *base, size_t size)
{
	const struct gnttab_ctl *ctl;

	if (!base || size < 2 * PAGE_BYTES || size % PAGE_BYTES)
		return -EINVAL;
	ctl = (const struct gnttab_ctl *)((uint8_t *)base + size - PAGE_BYTES);
	if (__atomic_load_n(&ctl->magic, __ATOMIC_ACQUIRE) != GNTTAB_CTL_MAGIC ||
	    ctl->layout_version != GNTTAB_LAYOUT_VERSION)
		return -EINVAL;
	/* The sizes must describe exactly this mapping. */
	return gnttab_shm_locate(t, base, size, ctl->max_frames,
				 ctl->nr_ram_pages);
}

unsigned int gnttab_shm_version(const struct gnttab_shm *t)
{
	/* Anything but 2 is read as 1: the v1 layout is the smaller. */
	return __atomic_load_n(&t->ctl->gt_version, __ATOMIC_ACQUIRE) == 2 ?
	       2 : 1;
}

uint32_t gnttab_shm_nr_entries(const struct gnttab_shm *t)
{
	return gnttab_entries_for(t, gnttab_shm_version(t));
}

/* The first pin's check of a header: a plain grant to ldom. */
static bool hdr_grants(uint32_t h, uint16_t mask, domid_t ldom)
{
	return ((uint16_t)h & mask) == GTF_permit_access &&
	       (domid_t)(h >> 16) == ldom;
}

/*
 * v1: set GTF_reading (and GTF_writing) in the entry's own flags. When
 * the entry is not pinned yet it must grant access to ldom; a write pin
 * also needs it not to be read-only. A guest racing us makes the CAS
 * fail; we retry on the value it left, a bounded number of times.
 */
static int16_t v1_set_status(uint32_t *w0, bool pinned, bool readonly,
			     uint16_t mask, domid_t ldom)
{
	uint32_t s = __atomic_load_n(w0, __ATOMIC_ACQUIRE);

	for (int retries = 0;; retries++) {
		uint32_t n = s | GTF_reading;

		if (!pinned && !hdr_grants(s, mask, ldom))
			return GNTST_general_error;
		if (!readonly) {
			if (s & GTF_readonly)
				return GNTST_general_error;
			n |= GTF_writing;
		}
		if (__atomic_compare_exchange_n(w0, &s, n, false,
						__ATOMIC_SEQ_CST,
						__ATOMIC_ACQUIRE))
			return GNTST_okay;
		if (retries == SET_STATUS_RETRIES)
			return GNTST_general_error;	/* unstable entry */
	}
}

/*
 * v2: the bits live in a status word the guest only reads, so set them
 * first, then look at the header again: a guest that revoked in between
 * either sees the bits (and must not reuse the page) or changed the
 * header, which we see and back out of.
 */
static int16_t v2_set_status(const uint32_t *hdr, uint16_t *st, bool pinned,
			     bool readonly, uint16_t mask, domid_t ldom)
{
	uint16_t bits = readonly ? GTF_reading : GTF_reading | GTF_writing;
	uint32_t h = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);

	if (!pinned && !hdr_grants(h, mask, ldom))
		return GNTST_general_error;
	if (!readonly && (h & GTF_readonly))
		return GNTST_general_error;
	/* Full barrier: the bits are visible before the header is re-read. */
	__atomic_fetch_or(st, bits, __ATOMIC_SEQ_CST);
	h = __atomic_load_n(hdr, __ATOMIC_SEQ_CST);
	if (!pinned && (!hdr_grants(h, mask, ldom) ||
			(!readonly && (h & GTF_readonly)))) {
		__atomic_fetch_and(st, (uint16_t)~(GTF_reading | GTF_writing),
				   __ATOMIC_SEQ_CST);
		return GNTST_general_error;
	}
	if (pinned && (h & GTF_readonly)) {	/* a write upgrade only */
		__atomic_fetch_and(st, (uint16_t)~GTF_writing,
				   __ATOMIC_SEQ_CST);
		return GNTST_general_error;
	}
	return GNTST_okay;
}

/* Clear in-use bits where version ver keeps them. */
static void clear_status(const struct gnttab_shm *t, unsigned int ver,
			 grant_ref_t ref, uint16_t bits)
{
	/* Full barrier: our accesses end before the guest sees it free. */
	if (ver == 2)
		__atomic_fetch_and(&t->status[ref], (uint16_t)~bits,
				   __ATOMIC_SEQ_CST);
	else
		__atomic_fetch_and(gnttab_hdr(t, 1, ref), ~(uint32_t)bits,
				   __ATOMIC_SEQ_CST);
}

/*
 * First pin, after the bits are set: the frame (and for a v2 sub-page
 * grant its window) as of now; later guest writes do not count.
 */
static int16_t snapshot_entry(const struct gnttab_shm *t, unsigned int ver,
			      grant_ref_t ref, uint32_t *frame, uint32_t *win)
{
	uint64_t f;

	*win = WIN_FULL;
	if (ver == 1) {
		f = __atomic_load_n(gnttab_v1_frame(t, ref), __ATOMIC_ACQUIRE);
	} else {
		uint16_t flags = (uint16_t)__atomic_load_n(gnttab_hdr(t, 2, ref),
							   __ATOMIC_ACQUIRE);

		f = __atomic_load_n(gnttab_v2_frame(t, ref), __ATOMIC_ACQUIRE);
		if (flags & GTF_sub_page) {
			uint32_t sub = __atomic_load_n(gnttab_v2_sub(t, ref),
						       __ATOMIC_ACQUIRE);
			uint32_t start = sub & 0xffff;
			uint32_t end = start + (sub >> 16);

			/* Clamped: a window past the page reaches nothing. */
			start = start < PAGE_BYTES ? start : PAGE_BYTES;
			end = end < PAGE_BYTES ? end : PAGE_BYTES;
			*win = WIN_SUB | start | end << 16;
		}
	}
	/* Also bounds a v2 frame above 32 bits: no RAM is that large. */
	if (f >= t->nr_ram_pages || f > ACT_FRAME_MAX)
		return GNTST_bad_page;
	*frame = (uint32_t)f;
	return GNTST_okay;
}

int16_t gnttab_pin_window(const struct gnttab_shm *t, grant_ref_t ref,
			  domid_t ldom, unsigned int flags,
			  struct gnttab_pinned *p)
{
	bool ro = flags & GNTPIN_READONLY;
	uint16_t mask = GTF_type_mask |
			(flags & GNTPIN_MAP ? GTF_sub_page : 0);
	uint32_t win;
	unsigned int ver;
	uint64_t *w, a;
	bool pinned;
	int16_t rc;

	if (ref >= gnttab_shm_nr_entries(t))
		return GNTST_bad_gntref;
	w = &t->active[ref];
	if (!gnttab_act_lock(w, &a))
		return GNTST_eagain;
	/* The version cannot change while we hold an entry lock. */
	ver = gnttab_shm_version(t);
	if (ref >= gnttab_entries_for(t, ver)) {
		rc = GNTST_bad_gntref;
		goto out;
	}

	pinned = ACT_PINNED(a);
	if (pinned && (ACT_DOMID(a) != ldom ||
		       (ro ? ACT_RD(a) : ACT_WR(a)) == ACT_PIN_MAX)) {
		rc = GNTST_general_error;
		goto out;
	}
	if (!pinned || (!ro && !ACT_WR(a))) {
		rc = ver == 2 ?
		     v2_set_status(gnttab_hdr(t, 2, ref), &t->status[ref],
				   pinned, ro, mask, ldom) :
		     v1_set_status(gnttab_hdr(t, 1, ref), pinned, ro, mask,
				   ldom);
		if (rc)
			goto out;
	}
	if (!pinned) {
		uint32_t f;

		rc = snapshot_entry(t, ver, ref, &f, &win);
		if (rc) {
			clear_status(t, ver, ref, GTF_reading | GTF_writing);
			goto out;
		}
		a = ((uint64_t)f << 32) | ((uint64_t)ldom << 16);
		__atomic_store_n(&t->window[ref], win, __ATOMIC_RELAXED);
	} else {
		win = __atomic_load_n(&t->window[ref], __ATOMIC_RELAXED);
	}
	a += ro ? ACT_RD_ONE : ACT_WR_ONE;
	p->frame = ACT_FRAME(a);
	p->off = WIN_START(win);
	p->len = (uint16_t)(WIN_END(win) - WIN_START(win));
	rc = GNTST_okay;
out:
	gnttab_act_unlock(w, a);
	return rc;
}

int16_t gnttab_pin(const struct gnttab_shm *t, grant_ref_t ref, domid_t ldom,
		   unsigned int flags, uint32_t *frame)
{
	struct gnttab_pinned p;
	int16_t rc = gnttab_pin_window(t, ref, ldom, flags, &p);

	if (!rc)
		*frame = p.frame;
	return rc;
}

int16_t gnttab_unpin(const struct gnttab_shm *t, grant_ref_t ref,
		     domid_t ldom, bool readonly)
{
	unsigned int ver;
	uint64_t *w, a;
	int16_t rc = GNTST_okay;

	/* Pin words exist for every v1 ref; the version is checked below. */
	if (ref >= gnttab_max_entries(t))
		return GNTST_bad_gntref;
	w = &t->active[ref];
	if (!gnttab_act_lock(w, &a))
		return GNTST_eagain;
	ver = gnttab_shm_version(t);
	if (ref >= gnttab_entries_for(t, ver)) {
		rc = GNTST_bad_gntref;
		goto out;
	}
	if ((readonly ? ACT_RD(a) : ACT_WR(a)) == 0 || ACT_DOMID(a) != ldom) {
		rc = GNTST_general_error;
		goto out;
	}
	a -= readonly ? ACT_RD_ONE : ACT_WR_ONE;
	if (!ACT_PINNED(a)) {
		clear_status(t, ver, ref, GTF_reading | GTF_writing);
		a = 0;
	} else if (!readonly && !ACT_WR(a)) {
		clear_status(t, ver, ref, GTF_writing);
	}
out:
	gnttab_act_unlock(w, a);
	return rc;
}

void gnttab_pins(const struct gnttab_shm *t, grant_ref_t ref,
		 unsigned int *readers, unsigned int *writers)
{
	uint64_t a = 0;

	if (ref < gnttab_max_entries(t))
		a = __atomic_load_n(&t->active[ref], __ATOMIC_ACQUIRE);
	*readers = ACT_RD(a);
	*writers = ACT_WR(a);
}

int gnttab_shm_seed(const struct gnttab_shm *t, grant_ref_t ref, domid_t dom,
		    uint64_t frame)
{
	unsigned int ver = gnttab_shm_version(t);
	uint32_t hdr = GTF_permit_access | ((uint32_t)dom << 16);

	if (ref >= gnttab_entries_for(t, ver) || frame >= t->nr_ram_pages)
		return -EINVAL;
	/* Frame first, flags last: the order a granting guest keeps. */
	if (ver == 2)
		__atomic_store_n(gnttab_v2_frame(t, ref), frame,
				 __ATOMIC_RELAXED);
	else
		__atomic_store_n(gnttab_v1_frame(t, ref), (uint32_t)frame,
				 __ATOMIC_RELAXED);
	__atomic_store_n(gnttab_hdr(t, ver, ref), hdr, __ATOMIC_RELEASE);
	return 0;
}

int16_t gnttab_swap(const struct gnttab_shm *t, grant_ref_t a, grant_ref_t b)
{
	uint32_t n = gnttab_shm_nr_entries(t), lo, hi, ea[4], eb[4];
	unsigned int ver, words;
	uint64_t va, vb;
	int16_t rc = GNTST_okay;

	if (a >= n || b >= n)
		return GNTST_bad_gntref;
	if (a == b)
		return GNTST_okay;
	/* Two entry locks: always the lower ref first. */
	lo = a < b ? a : b;
	hi = a < b ? b : a;
	if (!gnttab_act_lock(&t->active[lo], &va))
		return GNTST_eagain;
	if (!gnttab_act_lock(&t->active[hi], &vb)) {
		gnttab_act_unlock(&t->active[lo], va);
		return GNTST_eagain;
	}
	ver = gnttab_shm_version(t);
	if (hi >= gnttab_entries_for(t, ver)) {
		rc = GNTST_bad_gntref;	/* the version changed under us */
		goto out;
	}
	if (ACT_PINNED(va) || ACT_PINNED(vb)) {
		rc = GNTST_eagain;	/* in use: Xen's answer too */
		goto out;
	}
	/* Each entry, and under v2 its status word, changes places. */
	words = ver == 2 ? 4 : 2;
	for (unsigned int i = 0; i < words; i++) {
		ea[i] = __atomic_load_n(&t->shared[words * (uint64_t)a + i],
					__ATOMIC_RELAXED);
		eb[i] = __atomic_load_n(&t->shared[words * (uint64_t)b + i],
					__ATOMIC_RELAXED);
	}
	for (unsigned int i = 0; i < words; i++) {
		__atomic_store_n(&t->shared[words * (uint64_t)a + i], eb[i],
				 __ATOMIC_RELAXED);
		__atomic_store_n(&t->shared[words * (uint64_t)b + i], ea[i],
				 __ATOMIC_RELAXED);
	}
	if (ver == 2) {
		uint16_t sa = __atomic_load_n(&t->status[a], __ATOMIC_RELAXED);
		uint16_t sb = __atomic_load_n(&t->status[b], __ATOMIC_RELAXED);

		__atomic_store_n(&t->status[a], sb, __ATOMIC_RELAXED);
		__atomic_store_n(&t->status[b], sa, __ATOMIC_RELAXED);
	}
out:
	gnttab_act_unlock(&t->active[hi], vb);
	gnttab_act_unlock(&t->active[lo], va);
	return rc;
}
