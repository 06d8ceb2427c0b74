// SPDX-License-Identifier: MIT
/*
 * Xen's v1 grant-entry protocol on a grant table held in shared memory
 * (layout and locking: pvisor/gnttab_shm.h). Used by pvisord for
 * GNTTABOP_copy and by dom0 services through gnttab_dom0.c.
 *
 * The shared frames are guest memory the guest writes concurrently:
 * every word is read once, flags change only by compare-and-swap, and
 * nothing read from them is trusted beyond the checks made on that read.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "pvisor/gnttab_shm.h"

#define PAGE_BYTES	4096u

/*
 * Pin word: read pins 0-7, write pins 8-15, pinning domid 16-31, frame
 * 32-62, busy 63. Eight bits per count, as Xen's GNTPIN_* counters.
 */
#define ACT_RD_ONE	0x1ull
#define ACT_WR_ONE	0x100ull
#define ACT_RD(a)	((unsigned int)((a) & 0xff))
#define ACT_WR(a)	((unsigned int)(((a) >> 8) & 0xff))
#define ACT_DOMID(a)	((domid_t)((a) >> 16))
#define ACT_FRAME(a)	((uint32_t)(((a) >> 32) & 0x7fffffffu))
#define ACT_FRAME_MAX	0x7fffffffu
#define ACT_BUSY	(1ull << 63)
#define ACT_PIN_MAX	0xffu

/* How long to wait for a busy entry: spin briefly, then yield. */
#define ACT_SPINS	64u
#define ACT_YIELDS	20000u

/* Xen bounds its compare-and-swap retries on guest memory the same way. */
#define SET_STATUS_RETRIES	4

static bool act_lock(uint64_t *w, uint64_t *val)
{
	for (unsigned int i = 0; i < ACT_SPINS + ACT_YIELDS; i++) {
		uint64_t a = __atomic_load_n(w, __ATOMIC_RELAXED);

		if (!(a & ACT_BUSY) &&
		    __atomic_compare_exchange_n(w, &a, a | ACT_BUSY, false,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED)) {
			*val = a;
			return true;
		}
		if (i < ACT_SPINS)
			__builtin_ia32_pause();
		else
			sched_yield();
	}
	return false;
}

static void act_unlock(uint64_t *w, uint64_t val)
{
	__atomic_store_n(w, val & ~ACT_BUSY, __ATOMIC_RELEASE);
}

static uint64_t frame_word_pages(uint64_t nr_ram_pages)
{
	return (nr_ram_pages * sizeof(uint32_t) + PAGE_BYTES - 1) / PAGE_BYTES;
}

size_t gnttab_shm_size(uint32_t max_frames, uint64_t nr_ram_pages)
{
	return (2ull * max_frames + frame_word_pages(nr_ram_pages) + 1) *
	       PAGE_BYTES;
}

/* Point t at the parts of a memfd laid out for max frames, nr RAM pages. */
static int gnttab_shm_locate(struct gnttab_shm *t, void *base, size_t size,
			     uint32_t max, uint64_t nr_ram_pages)
{
	if (!max || nr_ram_pages > (uint64_t)ACT_FRAME_MAX + 1 ||
	    size != gnttab_shm_size(max, nr_ram_pages))
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->shared = base;
	t->active = (uint64_t *)((uint8_t *)base + (uint64_t)max * PAGE_BYTES);
	t->frames.words = (uint32_t *)((uint8_t *)base +
				       2ull * max * PAGE_BYTES);
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

uint32_t gnttab_shm_nr_entries(const struct gnttab_shm *t)
{
	uint32_t n = __atomic_load_n(&t->ctl->nr_frames, __ATOMIC_ACQUIRE);

	/* Only our own copy of max_frames bounds the arrays. */
	if (n > t->max_frames)
		n = t->max_frames;
	return n * GNTTAB_ENTRIES_PER_FRAME;
}

/*
 * Set GTF_reading (and GTF_writing) on a shared entry. When the entry is
 * not pinned yet it must grant access to ldom; a write pin also needs it
 * not to be read-only. A guest racing us makes the CAS fail; we retry on
 * the value it left, a bounded number of times.
 */
static int16_t entry_set_status(uint32_t *w0, bool pinned, bool readonly,
				bool map, domid_t ldom)
{
	uint32_t mask = GTF_type_mask | (map ? GTF_sub_page : 0);
	uint32_t s = __atomic_load_n(w0, __ATOMIC_ACQUIRE);

	for (int retries = 0;; retries++) {
		uint16_t flags = (uint16_t)s;
		domid_t domid = (domid_t)(s >> 16);
		uint32_t n = s | GTF_reading;

		if (!pinned && ((flags & mask) != GTF_permit_access ||
				domid != ldom))
			return GNTST_general_error;
		if (!readonly) {
			if (flags & GTF_readonly)
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

static void entry_clear(uint32_t *w0, uint32_t bits)
{
	/* Full barrier: our accesses end before the guest sees it free. */
	__atomic_fetch_and(w0, ~bits, __ATOMIC_SEQ_CST);
}

int16_t gnttab_pin(const struct gnttab_shm *t, grant_ref_t ref, domid_t ldom,
		   unsigned int flags, uint32_t *frame)
{
	bool ro = flags & GNTPIN_READONLY;
	uint32_t *w0;
	uint64_t *w, a;
	bool pinned;
	int16_t rc;

	if (ref >= gnttab_shm_nr_entries(t))
		return GNTST_bad_gntref;
	w = &t->active[ref];
	w0 = &t->shared[2 * (uint64_t)ref];
	if (!act_lock(w, &a))
		return GNTST_eagain;

	pinned = ACT_RD(a) || ACT_WR(a);
	if (pinned && (ACT_DOMID(a) != ldom ||
		       (ro ? ACT_RD(a) : ACT_WR(a)) == ACT_PIN_MAX)) {
		rc = GNTST_general_error;
		goto out;
	}
	if (!pinned || (!ro && !ACT_WR(a))) {
		rc = entry_set_status(w0, pinned, ro, flags & GNTPIN_MAP, ldom);
		if (rc)
			goto out;
	}
	if (!pinned) {
		/* The frame as of the pin; later guest writes do not count. */
		uint32_t f = __atomic_load_n(&t->shared[2 * (uint64_t)ref + 1],
					     __ATOMIC_ACQUIRE);

		if (f >= t->nr_ram_pages || f > ACT_FRAME_MAX) {
			entry_clear(w0, GTF_reading | GTF_writing);
			rc = GNTST_bad_page;
			goto out;
		}
		a = ((uint64_t)f << 32) | ((uint64_t)ldom << 16);
	}
	a += ro ? ACT_RD_ONE : ACT_WR_ONE;
	*frame = ACT_FRAME(a);
	rc = GNTST_okay;
out:
	act_unlock(w, a);
	return rc;
}

int16_t gnttab_unpin(const struct gnttab_shm *t, grant_ref_t ref,
		     domid_t ldom, bool readonly)
{
	uint32_t *w0;
	uint64_t *w, a;
	int16_t rc = GNTST_okay;

	/* The table never shrinks: a pinned ref stays in range. */
	if (ref >= gnttab_shm_nr_entries(t))
		return GNTST_bad_gntref;
	w = &t->active[ref];
	w0 = &t->shared[2 * (uint64_t)ref];
	if (!act_lock(w, &a))
		return GNTST_eagain;
	if ((readonly ? ACT_RD(a) : ACT_WR(a)) == 0 || ACT_DOMID(a) != ldom) {
		rc = GNTST_general_error;
		goto out;
	}
	a -= readonly ? ACT_RD_ONE : ACT_WR_ONE;
	if (!ACT_RD(a) && !ACT_WR(a)) {
		entry_clear(w0, GTF_reading | GTF_writing);
		a = 0;
	} else if (!readonly && !ACT_WR(a)) {
		entry_clear(w0, GTF_writing);
	}
out:
	act_unlock(w, a);
	return rc;
}

void gnttab_pins(const struct gnttab_shm *t, grant_ref_t ref,
		 unsigned int *readers, unsigned int *writers)
{
	uint64_t a = 0;

	if (ref < (uint64_t)t->max_frames * GNTTAB_ENTRIES_PER_FRAME)
		a = __atomic_load_n(&t->active[ref], __ATOMIC_ACQUIRE);
	*readers = ACT_RD(a);
	*writers = ACT_WR(a);
}

int16_t gnttab_swap(const struct gnttab_shm *t, grant_ref_t a, grant_ref_t b)
{
	uint32_t n = gnttab_shm_nr_entries(t), lo, hi, ea[2], eb[2];
	uint64_t va, vb;
	int16_t rc = GNTST_okay;

	if (a >= n || b >= n)
		return GNTST_bad_gntref;
	if (a == b)
		return GNTST_okay;
	/* Two entry locks: always the lower ref first. */
	lo = a < b ? a : b;
	hi = a < b ? b : a;
	if (!act_lock(&t->active[lo], &va))
		return GNTST_eagain;
	if (!act_lock(&t->active[hi], &vb)) {
		act_unlock(&t->active[lo], va);
		return GNTST_eagain;
	}
	if (ACT_RD(va) || ACT_WR(va) || ACT_RD(vb) || ACT_WR(vb)) {
		rc = GNTST_eagain;	/* in use: Xen's answer too */
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		ea[i] = __atomic_load_n(&t->shared[2 * (uint64_t)a + i],
					__ATOMIC_RELAXED);
		eb[i] = __atomic_load_n(&t->shared[2 * (uint64_t)b + i],
					__ATOMIC_RELAXED);
	}
	for (int i = 0; i < 2; i++) {
		__atomic_store_n(&t->shared[2 * (uint64_t)a + i], eb[i],
				 __ATOMIC_RELAXED);
		__atomic_store_n(&t->shared[2 * (uint64_t)b + i], ea[i],
				 __ATOMIC_RELAXED);
	}
out:
	act_unlock(&t->active[hi], vb);
	act_unlock(&t->active[lo], va);
	return rc;
}
