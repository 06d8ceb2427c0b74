// SPDX-License-Identifier: MIT
/* Per-frame access rules shared by pvisord and dom0 services (frame_state.h). */
#include <stddef.h>

#include <pvabi/grant_table.h>

#include "pvisor/frame_state.h"

static uint32_t *word(const struct frame_state *f, uint64_t mfn)
{
	return f->words && mfn < f->nr ? &f->words[mfn] : NULL;
}

int16_t frame_claim(const struct frame_state *f, uint64_t mfn, bool write)
{
	uint32_t *w = word(f, mfn), old;

	if (!w)
		return GNTST_bad_page;
	old = __atomic_load_n(w, __ATOMIC_ACQUIRE);
	do {
		if (old & FRAME_NOT_OWNED)
			return GNTST_bad_page;
		if (!write)
			return GNTST_okay;
		if ((old & FRAME_PROTECTED) ||
		    (old & FRAME_WRITERS) == FRAME_WRITERS)
			return GNTST_general_error;
	} while (!__atomic_compare_exchange_n(w, &old, old + 1, false,
					      __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
	return GNTST_okay;
}

void frame_release(const struct frame_state *f, uint64_t mfn, bool write)
{
	uint32_t *w = word(f, mfn), old;

	if (!w || !write)
		return;
	old = __atomic_load_n(w, __ATOMIC_ACQUIRE);
	do {
		if (!(old & FRAME_WRITERS))
			return;		/* unbalanced: never go negative */
	} while (!__atomic_compare_exchange_n(w, &old, old - 1, false,
					      __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
}

bool frame_protect(const struct frame_state *f, uint64_t mfn)
{
	uint32_t *w = word(f, mfn), old;

	if (!w)
		return !f->words;	/* no shared state: nobody else to ask */
	old = __atomic_load_n(w, __ATOMIC_ACQUIRE);
	do {
		if (old & FRAME_WRITERS)
			return false;
	} while (!__atomic_compare_exchange_n(w, &old, old | FRAME_PROTECTED,
					      false, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE));
	return true;
}

void frame_unprotect(const struct frame_state *f, uint64_t mfn)
{
	uint32_t *w = word(f, mfn);

	if (w)
		__atomic_and_fetch(w, ~FRAME_PROTECTED, __ATOMIC_RELEASE);
}

void frame_set_owned(const struct frame_state *f, uint64_t mfn, bool owned)
{
	uint32_t *w = word(f, mfn);

	if (!w)
		return;
	if (owned)
		__atomic_and_fetch(w, ~FRAME_NOT_OWNED, __ATOMIC_RELEASE);
	else
		__atomic_or_fetch(w, FRAME_NOT_OWNED, __ATOMIC_RELEASE);
}

uint32_t frame_writers(const struct frame_state *f, uint64_t mfn)
{
	uint32_t *w = word(f, mfn);

	return w ? __atomic_load_n(w, __ATOMIC_ACQUIRE) & FRAME_WRITERS : 0;
}
