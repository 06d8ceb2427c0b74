/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_CORE_GNTTAB_ENTRY_H
#define PVISOR_CORE_GNTTAB_ENTRY_H

/*
 * Inside the shared grant table (pvisor/gnttab_shm.h): the pin word and
 * its lock, and where an entry's words are under each version. Private
 * to gnttab_shm.c and gnttab_version.c.
 */
#include <sched.h>

#include "pvisor/gnttab_shm.h"

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
#define ACT_PINNED(a)	(ACT_RD(a) || ACT_WR(a))

/*
 * Window word: the bytes a pin may reach, [start, end), both clamped to
 * the page (so a guest's page_off + length cannot overflow anything);
 * WIN_SUB marks a sub-page grant (Xen's is_sub_page).
 */
#define WIN_SUB			(1u << 31)
#define WIN_START(w)		((uint16_t)((w) & 0x1fff))
#define WIN_END(w)		((uint16_t)(((w) >> 16) & 0x1fff))
#define WIN_FULL		(4096u << 16)

/* How long to wait for a busy entry: spin briefly, then yield. */
#define ACT_SPINS	64u
#define ACT_YIELDS	20000u

static inline bool gnttab_act_lock(uint64_t *w, uint64_t *val)
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

static inline void gnttab_act_unlock(uint64_t *w, uint64_t val)
{
	__atomic_store_n(w, val & ~ACT_BUSY, __ATOMIC_RELEASE);
}

/* Entries the memfd has pin words for: the v1 count, the larger. */
static inline uint64_t gnttab_max_entries(const struct gnttab_shm *t)
{
	return (uint64_t)t->max_frames * GNTTAB_ENTRIES_PER_FRAME;
}

/* Entries under version ver with the current number of shared frames. */
static inline uint32_t gnttab_entries_for(const struct gnttab_shm *t,
					  unsigned int ver)
{
	uint32_t n = __atomic_load_n(&t->ctl->nr_frames, __ATOMIC_ACQUIRE);

	/* Only our own copy of max_frames bounds the arrays. */
	if (n > t->max_frames)
		n = t->max_frames;
	return n * (ver == 2 ? GNTTAB_V2_ENTRIES_PER_FRAME :
			       GNTTAB_ENTRIES_PER_FRAME);
}

/* The word holding flags | domid << 16 (both versions start so). */
static inline uint32_t *gnttab_hdr(const struct gnttab_shm *t, unsigned int ver,
				   grant_ref_t ref)
{
	return &t->shared[(ver == 2 ? 4 : 2) * (uint64_t)ref];
}

/* v2: page_off | length << 16 of a sub-page grant. */
static inline uint32_t *gnttab_v2_sub(const struct gnttab_shm *t,
				      grant_ref_t ref)
{
	return &t->shared[4 * (uint64_t)ref + 1];
}

/* v2: full_page.frame and sub_page.frame, the same 64 bits. */
static inline uint64_t *gnttab_v2_frame(const struct gnttab_shm *t,
					grant_ref_t ref)
{
	return (uint64_t *)&t->shared[4 * (uint64_t)ref + 2];
}

/* v1: the 32-bit frame. */
static inline uint32_t *gnttab_v1_frame(const struct gnttab_shm *t,
					grant_ref_t ref)
{
	return &t->shared[2 * (uint64_t)ref + 1];
}

#endif
