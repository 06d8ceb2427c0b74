/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_GNTTAB_SHM_H
#define PVISOR_GNTTAB_SHM_H

/*
 * A domain's grant table (v1 or v2) as shared memory, and Xen's grant-
 * entry protocol on it: what pvisord and every dom0 service that honours
 * the domain's grants have in common. Nothing here knows about struct
 * domain, KVM or threads; a service in another process links this and
 * gnttab_dom0.c and needs only two file descriptors.
 *
 * One memfd per domain holds, page by page (max = max_frames):
 *
 *   [0, max)          the shared frames: grant_entry_v1[] or, after
 *                     GNTTABOP_set_version 2, grant_entry_v2[]; the guest
 *                     maps them read/write (they sit in its hypervisor
 *                     region, so their frame numbers never change)
 *   next              the status frames: grant_status_t[], one per v2
 *                     entry, enough for max shared frames of v2 entries;
 *                     in the hypervisor region right after the shared
 *                     frames, mappable by the guest only under v2
 *   next max pages    the active table: one pin word per (v1) entry
 *   next              the window words: one per entry, the sub-page
 *                     window a v2 grant had when first pinned
 *   then              the frame words (frame_state.h): one per RAM frame,
 *                     the page-type rules every mapper and copier obeys
 *   the last page     the control page (struct gnttab_ctl), written by
 *                     pvisord only; a reader finds the rest through it
 *
 * The active table is Xen's active grant table moved into memory that all
 * dom0 mappers share (the guest never sees it), so pin counts stay right
 * when several processes use the same guest's grants.
 *
 * Locking: each pin word carries a busy bit taken with compare-and-swap
 * around every change of that entry's in-use state. It is innermost (no
 * other lock is taken while it is held), held for a handful of
 * instructions, and waited for only a bounded time: a dom0 process that
 * dies holding it wedges that one grant (GNTST_eagain), never a caller.
 * A version switch (pvisord only) takes every entry's busy bit, in
 * ascending order as swap does, so a pin sees one version throughout.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pvabi/grant_table.h>

#include "pvisor/frame_state.h"

/* 4096 / sizeof(struct grant_entry_v1) */
#define GNTTAB_ENTRIES_PER_FRAME	512u
/* 4096 / sizeof(union grant_entry_v2) */
#define GNTTAB_V2_ENTRIES_PER_FRAME	256u
/* 4096 / sizeof(grant_status_t) */
#define GNTTAB_STATUS_PER_FRAME		2048u
/* Status frames for n shared frames of v2 entries (Xen's rounding up). */
#define GNTTAB_STATUS_FRAMES(n)		\
	(((n) * GNTTAB_V2_ENTRIES_PER_FRAME + GNTTAB_STATUS_PER_FRAME - 1) / \
	 GNTTAB_STATUS_PER_FRAME)
#define GNTTAB_CTL_MAGIC		0x31544e47u	/* "GNT1" */
/* 3: status frames and window words, and the version in force. */
#define GNTTAB_LAYOUT_VERSION		3u

/* The control page. Only pvisord writes it; dom0 readers check it. */
struct gnttab_ctl {
	uint32_t magic;			/* GNTTAB_CTL_MAGIC */
	uint32_t layout_version;	/* GNTTAB_LAYOUT_VERSION */
	uint32_t max_frames;
	uint32_t nr_frames;		/* grows only; read with acquire */
	uint64_t nr_ram_pages;		/* frames a grant may name */
	uint32_t gt_version;		/* 1 or 2; changes under all entry locks */
	uint16_t domid;			/* the granting domain */
	uint16_t pad;
};

/*
 * One table, as mapped by whoever uses it. shared is guest memory: read
 * each word once, change flags only with compare-and-swap.
 */
struct gnttab_shm {
	/*
	 * v1 entry r: word 2r is flags | domid << 16, word 2r+1 the frame.
	 * v2 entry r: word 4r is the header, word 4r+1 page_off | length
	 * << 16 (sub-page), words 4r+2..3 the 64-bit frame.
	 */
	uint32_t *shared;
	uint16_t *status;		/* v2: GTF_reading/GTF_writing per entry */
	struct gnttab_ctl *ctl;
	uint64_t *active;		/* one pin word per entry */
	uint32_t *window;		/* one window word per entry */
	struct frame_state frames;	/* one word per RAM frame */
	uint32_t max_frames;
	uint64_t nr_ram_pages;
};

/* Bytes of the memfd for max frames and a guest of nr_ram_pages. */
size_t gnttab_shm_size(uint32_t max_frames, uint64_t nr_ram_pages);
/* Describe the memfd mapped at base (size bytes); -EINVAL if malformed. */
int gnttab_shm_attach(struct gnttab_shm *t, void *base, size_t size);
/* Initialise a fresh (zeroed) memfd mapping of gnttab_shm_size(); pvisord only. */
int gnttab_shm_format(struct gnttab_shm *t, void *base, size_t size,
		      uint32_t max_frames, uint64_t nr_ram_pages,
		      uint16_t domid);

/* The table's version in force: 1 or 2. */
unsigned int gnttab_shm_version(const struct gnttab_shm *t);
/*
 * Entries usable now: nr_frames * 512 (v1) or * 256 (v2), never more
 * than max allows.
 */
uint32_t gnttab_shm_nr_entries(const struct gnttab_shm *t);

/*
 * GNTTABOP_set_version on the table, Xen's rules: no entry beyond the
 * reserved ones (GNTTAB_NR_RESERVED_ENTRIES) may be pinned (-EBUSY);
 * going back to v1, no reserved entry may hold a sub-page pin (-EAGAIN)
 * or be a grant v1 cannot express (-ERANGE: a frame above 32 bits, a
 * transitive grant). The shared and status frames are cleared except the
 * reserved entries, which are carried over with their in-use bits. The
 * caller serialises switches and growth; pvisord only.
 */
int gnttab_shm_set_version(struct gnttab_shm *t, unsigned int version);

/*
 * Fill entry ref with a read/write grant of frame to dom, in the format of
 * the version in force (the domain builder's reserved entries).
 */
int gnttab_shm_seed(const struct gnttab_shm *t, grant_ref_t ref, domid_t dom,
		    uint64_t frame);

/* gnttab_pin() flags. */
#define GNTPIN_READONLY		0x1u	/* read access only */
#define GNTPIN_MAP		0x2u	/* a mapping: no sub-page grants */

/* What a pin gives access to: a frame, and the bytes of it granted. */
struct gnttab_pinned {
	uint32_t frame;
	uint16_t off;			/* first byte granted */
	uint16_t len;			/* bytes granted: 4096 but sub-page */
};

/*
 * Take a pin on entry ref for domain ldom, following Xen's rules for the
 * version in force: the first pin needs GTF_permit_access for ldom (and
 * no GTF_readonly for a write pin; no GTF_sub_page for GNTPIN_MAP);
 * GTF_reading (and GTF_writing) are set in the entry's flags (v1, with
 * compare-and-swap) or its status word (v2, then the entry is checked
 * again), so a guest revoking at the same moment either wins (we refuse)
 * or sees the bits (it must not reuse the page). Frame and sub-page
 * window are snapshot at the first pin; the frame must be one of the
 * granter's RAM frames (GNTST_bad_page). Transitive grants are refused
 * (GNTST_general_error): no table but the granter's own is reachable.
 * Returns GNTST_okay with *p set, or a GNTST_* error.
 */
int16_t gnttab_pin_window(const struct gnttab_shm *t, grant_ref_t ref,
			  domid_t ldom, unsigned int flags,
			  struct gnttab_pinned *p);
/* gnttab_pin_window() for callers that use whole frames only. */
int16_t gnttab_pin(const struct gnttab_shm *t, grant_ref_t ref, domid_t ldom,
		   unsigned int flags, uint32_t *frame);
/*
 * Drop a pin taken with the same readonly-ness; the last pin clears the
 * entry's GTF_reading/GTF_writing (in its status word under v2) so the
 * guest may revoke it. Returns
 * GNTST_okay, GNTST_bad_gntref (out of range), GNTST_general_error (no
 * such pin) or GNTST_eagain (entry wedged).
 */
int16_t gnttab_unpin(const struct gnttab_shm *t, grant_ref_t ref,
		     domid_t ldom, bool readonly);
/* The pins an entry holds now (for tests and diagnostics). */
void gnttab_pins(const struct gnttab_shm *t, grant_ref_t ref,
		 unsigned int *readers, unsigned int *writers);

/* GNTTABOP_swap_grant_ref on the guest's own table (Xen's rules). */
int16_t gnttab_swap(const struct gnttab_shm *t, grant_ref_t a, grant_ref_t b);

#endif
