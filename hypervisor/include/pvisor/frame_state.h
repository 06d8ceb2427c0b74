/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_FRAME_STATE_H
#define PVISOR_FRAME_STATE_H

/*
 * What every accessor of a domain's RAM other than the guest itself
 * must respect, shared across processes (it lives in the domain's
 * grant-table memfd, gnttab_shm.h): one word per RAM frame saying
 * whether the guest still owns the frame, whether the page-type engine
 * holds it as a page table or descriptor page, and how many writable
 * references grant maps, grant copies and dom0 ring mappings hold on it.
 *
 * Xen's rule, as a lock-free protocol: a write access takes a writable
 * reference for as long as it lasts and is refused while the frame is
 * typed as a table; the engine gives a frame a table type only while no
 * writable reference exists. Both sides change the word with compare-
 * and-swap, so whichever comes first wins and the other is refused. A
 * read needs only a frame the guest still owns.
 */
#include <stdbool.h>
#include <stdint.h>

#define FRAME_NOT_OWNED		(1u << 31)	/* ballooned out */
#define FRAME_PROTECTED		(1u << 30)	/* a table or descriptor page */
#define FRAME_WRITERS		((1u << 30) - 1)

struct frame_state {
	uint32_t *words;	/* one per RAM frame, in shared memory */
	uint64_t nr;		/* RAM frames */
};

/*
 * Accessors: GNTST_okay with a reference taken for a write,
 * GNTST_bad_page for a frame that is not the guest's RAM or not owned
 * any more, GNTST_general_error for a write to a protected frame.
 */
int16_t frame_claim(const struct frame_state *f, uint64_t mfn, bool write);
void frame_release(const struct frame_state *f, uint64_t mfn, bool write);

/* The page-type engine (pvisord): false while a writer holds the frame. */
bool frame_protect(const struct frame_state *f, uint64_t mfn);
void frame_unprotect(const struct frame_state *f, uint64_t mfn);
/* The balloon (pvisord). */
void frame_set_owned(const struct frame_state *f, uint64_t mfn, bool owned);
/* Writable references held now (tests and diagnostics). */
uint32_t frame_writers(const struct frame_state *f, uint64_t mfn);

#endif
