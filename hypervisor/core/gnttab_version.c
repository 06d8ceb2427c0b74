// SPDX-License-Identifier: MIT
/*
 * GNTTABOP_set_version on the shared table (pvisor/gnttab_shm.h): the
 * switch between v1 and v2 entries, with Xen's rules for when it is
 * allowed and for the reserved entries, which the toolstack filled (the
 * console and xenstore rings) and which backends may keep pinned across
 * the switch: they are rewritten in the new format, in-use bits and all.
 */
#include <errno.h>
#include <string.h>

#include "gnttab_entry.h"

#define PAGE_BYTES	4096u

/* A reserved entry in the one format both versions can express. */
struct reserved {
	uint32_t hdr;		/* flags (in-use bits included) | domid << 16 */
	uint32_t frame;
};

/* Drop the lock of an entry we hold: nobody else changes its word. */
static void unlock_one(const struct gnttab_shm *t, uint64_t i)
{
	__atomic_fetch_and(&t->active[i], ~ACT_BUSY, __ATOMIC_RELEASE);
}

/* Take every entry lock, lowest ref first; false (none held) if wedged. */
static bool lock_all(const struct gnttab_shm *t)
{
	uint64_t n = gnttab_max_entries(t), a;

	for (uint64_t i = 0; i < n; i++) {
		if (!gnttab_act_lock(&t->active[i], &a)) {
			while (i--)
				unlock_one(t, i);
			return false;
		}
	}
	return true;
}

static void unlock_all(const struct gnttab_shm *t)
{
	for (uint64_t i = gnttab_max_entries(t); i--;)
		unlock_one(t, i);
}

/* Whether a locked entry is pinned. */
static bool held_pinned(const struct gnttab_shm *t, uint64_t i)
{
	return ACT_PINNED(__atomic_load_n(&t->active[i], __ATOMIC_RELAXED));
}

/*
 * Leaving v2: a reserved entry must fit a v1 entry, and none may have a
 * sub-page pin (Xen counts those as v2 operations in progress).
 */
static int check_leave_v2(const struct gnttab_shm *t)
{
	for (grant_ref_t i = 0; i < GNTTAB_NR_RESERVED_ENTRIES; i++)
		if (held_pinned(t, i) &&
		    (__atomic_load_n(&t->window[i], __ATOMIC_RELAXED) &
		     WIN_SUB))
			return -EAGAIN;
	for (grant_ref_t i = 0; i < GNTTAB_NR_RESERVED_ENTRIES; i++) {
		uint16_t flags = (uint16_t)__atomic_load_n(gnttab_hdr(t, 2, i),
							   __ATOMIC_RELAXED);

		switch (flags & GTF_type_mask) {
		case GTF_permit_access:
			if (__atomic_load_n(gnttab_v2_frame(t, i),
					    __ATOMIC_RELAXED) >> 32)
				return -ERANGE;
			break;
		case GTF_transitive:
			return -ERANGE;
		}
	}
	return 0;
}

static void save_reserved(const struct gnttab_shm *t, unsigned int ver,
			  struct reserved *r)
{
	for (grant_ref_t i = 0; i < GNTTAB_NR_RESERVED_ENTRIES; i++) {
		uint32_t hdr = __atomic_load_n(gnttab_hdr(t, ver, i),
					       __ATOMIC_ACQUIRE);

		if (ver == 1) {
			r[i].hdr = hdr;
			r[i].frame = __atomic_load_n(gnttab_v1_frame(t, i),
						     __ATOMIC_RELAXED);
		} else if ((hdr & GTF_type_mask) == GTF_permit_access) {
			/* v1 keeps the in-use bits in the flags. */
			r[i].hdr = hdr | __atomic_load_n(&t->status[i],
							 __ATOMIC_RELAXED);
			r[i].frame = (uint32_t)__atomic_load_n(
				gnttab_v2_frame(t, i), __ATOMIC_RELAXED);
		} else {
			/* Anything else does not survive (as in Xen). */
			r[i].hdr = 0;
			r[i].frame = 0;
		}
	}
}

static void restore_reserved(const struct gnttab_shm *t, unsigned int ver,
			     const struct reserved *r)
{
	const uint32_t inuse = GTF_reading | GTF_writing;

	for (grant_ref_t i = 0; i < GNTTAB_NR_RESERVED_ENTRIES; i++) {
		if (ver == 1) {
			__atomic_store_n(gnttab_v1_frame(t, i), r[i].frame,
					 __ATOMIC_RELAXED);
		} else {
			__atomic_store_n(&t->status[i],
					 (uint16_t)(r[i].hdr & inuse),
					 __ATOMIC_RELAXED);
			__atomic_store_n(gnttab_v2_frame(t, i),
					 (uint64_t)r[i].frame,
					 __ATOMIC_RELAXED);
		}
		__atomic_store_n(gnttab_hdr(t, ver, i),
				 ver == 1 ? r[i].hdr : r[i].hdr & ~inuse,
				 __ATOMIC_RELEASE);
	}
}

int gnttab_shm_set_version(struct gnttab_shm *t, unsigned int version)
{
	struct reserved r[GNTTAB_NR_RESERVED_ENTRIES];
	unsigned int cur = gnttab_shm_version(t);
	uint32_t nr, frames;
	int rc = 0;

	if (version != 1 && version != 2)
		return -EINVAL;
	if (version == cur)
		return 0;
	/* A wedged entry is an entry in use. */
	if (!lock_all(t))
		return -EBUSY;

	/* In use beyond the reserved entries: the guest must finish first. */
	nr = gnttab_entries_for(t, cur);
	for (uint32_t i = GNTTAB_NR_RESERVED_ENTRIES; i < nr; i++) {
		if (held_pinned(t, i)) {
			rc = -EBUSY;
			goto out;
		}
	}
	if (cur == 2) {
		rc = check_leave_v2(t);
		if (rc)
			goto out;
	}

	save_reserved(t, cur, r);
	/* No crumbs of the old format: every shared and status frame. */
	frames = __atomic_load_n(&t->ctl->nr_frames, __ATOMIC_RELAXED);
	if (frames > t->max_frames)
		frames = t->max_frames;
	memset(t->shared, 0, (size_t)frames * PAGE_BYTES);
	memset(t->status, 0,
	       (size_t)GNTTAB_STATUS_FRAMES((uint64_t)t->max_frames) *
	       PAGE_BYTES);
	restore_reserved(t, version, r);
	__atomic_store_n(&t->ctl->gt_version, version, __ATOMIC_RELEASE);
out:
	unlock_all(t);
	return rc;
}
