/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_GNTTAB_SHM_H
#define PVISOR_GNTTAB_SHM_H

/*
 * A domain's grant table (v1) as shared memory, and Xen's grant-entry
 * protocol on it: what pvisord and every dom0 service that honours the
 * domain's grants have in common. Nothing here knows about struct domain,
 * KVM or threads; a service in another process links this and
 * gnttab_dom0.c and needs only two file descriptors.
 *
 * One memfd per domain holds, page by page:
 *
 *   [0, max)          the shared frames: grant_entry_v1[], which the guest
 *                     maps read/write (they sit in its hypervisor region,
 *                     so their frame numbers never change)
 *   [max, 2*max)      the active table: one pin word per entry
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
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pvabi/grant_table.h>

#include "pvisor/frame_state.h"

/* 4096 / sizeof(struct grant_entry_v1) */
#define GNTTAB_ENTRIES_PER_FRAME	512u
#define GNTTAB_CTL_MAGIC		0x31544e47u	/* "GNT1" */
#define GNTTAB_LAYOUT_VERSION		2u

/* The control page. Only pvisord writes it; dom0 readers check it. */
struct gnttab_ctl {
	uint32_t magic;			/* GNTTAB_CTL_MAGIC */
	uint32_t layout_version;	/* GNTTAB_LAYOUT_VERSION */
	uint32_t max_frames;
	uint32_t nr_frames;		/* grows only; read with acquire */
	uint64_t nr_ram_pages;		/* frames a grant may name */
	uint16_t domid;			/* the granting domain */
	uint16_t pad[3];
};

/*
 * One table, as mapped by whoever uses it. shared is guest memory: read
 * each word once, change flags only with compare-and-swap.
 */
struct gnttab_shm {
	/* Entry r: word 2r is flags | domid << 16, word 2r+1 the frame. */
	uint32_t *shared;
	struct gnttab_ctl *ctl;
	uint64_t *active;		/* one pin word per entry */
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

/* Entries usable now: nr_frames * 512, never more than max allows. */
uint32_t gnttab_shm_nr_entries(const struct gnttab_shm *t);

/* gnttab_pin() flags. */
#define GNTPIN_READONLY		0x1u	/* read access only */
#define GNTPIN_MAP		0x2u	/* a mapping: no sub-page grants */

/*
 * Take a pin on entry ref for domain ldom, following Xen's v1 rules:
 * the first pin needs GTF_permit_access for ldom (and no GTF_readonly for
 * a write pin); GTF_reading (and GTF_writing) are set with compare-and-
 * swap, so a guest revoking at the same moment either wins (we refuse)
 * or sees the bits (it must not reuse the page). The frame is snapshot
 * at the first pin and must be one of the granter's RAM frames.
 * Returns GNTST_okay with *frame set, or a GNTST_* error.
 */
int16_t gnttab_pin(const struct gnttab_shm *t, grant_ref_t ref, domid_t ldom,
		   unsigned int flags, uint32_t *frame);
/*
 * Drop a pin taken with the same readonly-ness; the last pin clears the
 * entry's GTF_reading/GTF_writing so the guest may revoke it. Returns
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
