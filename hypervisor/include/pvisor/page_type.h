/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_PAGE_TYPE_H
#define PVISOR_PAGE_TYPE_H

/*
 * Xen's page types and reference counts for a PV domain's RAM frames
 * (contract §2.11): what a frame is used as (ordinary writable page,
 * page table of level 1-4, descriptor page), how many references hold
 * it in that type, and how many entries, pins and roots refer to it at
 * all. A frame holds one type while its type count is non-zero: an RW
 * mapping takes a writable-type reference, so no page table can be
 * mapped writable, and typing a frame as a table is refused while a
 * writable mapping exists. Tables are validated entry by entry when
 * they gain their type, and release everything they refer to when they
 * lose it.
 *
 * Pure functions over guest RAM and a pt_writer (how entries reach the
 * VM's MMU), so they can be unit tested without KVM. Callers serialise
 * (one lock per domain).
 */
#include <stdbool.h>
#include <stdint.h>

#include "pvisor/frame_state.h"
#include "pvisor/guest_mem.h"

enum pgt_type {
	PGT_NONE = 0,
	PGT_WRITABLE,
	PGT_L1,			/* PGT_L1 + level - 1 for levels 1-4 */
	PGT_L2,
	PGT_L3,
	PGT_L4,
	PGT_SEG_DESC,
};

#define PGT_TABLE(level)	((enum pgt_type)(PGT_L1 + (level) - 1))
#define PGT_IS_TABLE(t)		((t) >= PGT_L1 && (t) <= PGT_L4)
#define PGT_LEVEL(t)		((unsigned int)((t) - PGT_L1 + 1))

#define PGF_PINNED	0x01u	/* MMUEXT_PIN_*: one type and one page ref */
#define PGF_ALLOCATED	0x02u	/* the domain owns it (not ballooned out) */
#define PGF_WAS_TABLE	0x04u	/* has been a page table: the VM's MMU may
				 * still cache what it held */

struct pv_page {
	uint32_t count;		/* entries, pins, roots, GDTs referring to it */
	uint32_t type_count;	/* references to its current type */
	uint8_t type;		/* enum pgt_type; PGT_NONE when type_count 0 */
	uint8_t flags;		/* PGF_* */
};

/* Software-available PTE bit Xen sets on guest-kernel L1 mappings. */
#define _PAGE_GUEST_KERNEL	(1ull << 52)
#define _PAGE_AVAIL		0xe00ull
#define _PAGE_AVAIL_HIGH	(0x7ffull << 52)
#define _PAGE_PAT		0x080ull	/* L1 only; PSE elsewhere */

/* Flags a PV guest may use: L1 also GLOBAL; no caching attributes. */
#define PTE_GUEST_FLAGS	(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | \
			 _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_AVAIL | \
			 _PAGE_AVAIL_HIGH | _PAGE_NX)
#define L1_ALLOWED	(PTE_GUEST_FLAGS | _PAGE_GLOBAL | PTE_ADDR_MASK)
#define LX_ALLOWED	(PTE_GUEST_FLAGS | PTE_ADDR_MASK)

/* Xen's reserved L4 slots: never the guest's to fill. */
#define PT_RESERVED_L4_FIRST	256u
#define PT_RESERVED_L4_LAST	271u
#define PT_NR_RESERVED_L4	16u

/* Xen's INVALID_MFN as a PTE frame number (all 40 bits set). */
#define PT_INVALID_MFN		(PTE_ADDR_MASK >> PAGE_SHIFT)

static inline bool pt_guest_l4_slot(unsigned int slot)
{
	return slot < PT_RESERVED_L4_FIRST || slot > PT_RESERVED_L4_LAST;
}

/*
 * How changes to live page tables reach the VM's MMU: the engine stores
 * into guest memory itself, then touch() makes the MMU drop whatever it
 * cached for that entry (see core/pt_write.c). NULL means no VM has run
 * yet, so nothing can be cached.
 */
struct pt_writer {
	int (*touch)(struct pt_writer *w, uint64_t gpa);
};

struct pv_mm {
	const struct guest_mem *mem;	/* RAM, and the shared hv frames */
	struct pv_page *pages;		/* per RAM frame */
	uint8_t *absent;		/* per RAM frame: 1 = not the guest's */
	uint64_t nr_pages;
	uint64_t tot_pages;		/* owned or still referenced */
	uint64_t max_pages;
	uint64_t free_hint;		/* no frame below is free (balloon) */
	/* Every validated L4 gets these in slots 256-271 (0 = empty). */
	uint64_t reserved_l4e[PT_NR_RESERVED_L4];
	/*
	 * Writable references held outside the guest (grants, dom0 rings):
	 * a frame gets a table or descriptor type only while there are
	 * none, and none can be taken while it has one. NULL: none exist.
	 */
	const struct frame_state *frames;
	/* A frame no longer owned lost its last reference: free it. */
	void (*release)(struct pv_mm *mm, uint64_t mfn);
	void *opaque;
	uint64_t touches;		/* entries replayed in the VM */
	uint64_t skipped_touches;	/* stores that only widened access */
};

/* All frames owned and unused. pages/absent are the caller's (zeroed). */
void pt_mm_init(struct pv_mm *mm, const struct guest_mem *mem,
		struct pv_page *pages, uint8_t *absent, uint64_t nr_pages);

/* Entry checks and the adjustments validation writes (contract §2.10). */
bool pt_entry_flags_ok(uint64_t e, unsigned int level);
uint64_t pt_adjust_entry(uint64_t e, unsigned int level);
/*
 * True when the VM's MMU may keep what it cached for old after new is
 * stored: new only widens access to the same frame (a stale, narrower
 * entry faults and is re-read). Anything else must be replayed.
 */
bool pt_store_is_widening(uint64_t old, uint64_t new);

/*
 * General references. new_use: the frame must still be owned (a new
 * mapping, pin or root); otherwise it need only still be alive.
 */
int pt_get_page(struct pv_mm *mm, uint64_t mfn, bool new_use);
void pt_put_page(struct pv_mm *mm, uint64_t mfn);

/* Type references; taking a table type validates the table. */
int pt_get_type(struct pv_mm *mm, struct pt_writer *w, uint64_t mfn,
		enum pgt_type type);
void pt_put_type(struct pv_mm *mm, uint64_t mfn);
int pt_get_page_and_type(struct pv_mm *mm, struct pt_writer *w, uint64_t mfn,
			 enum pgt_type type);
void pt_put_page_and_type(struct pv_mm *mm, uint64_t mfn);

static inline enum pgt_type pt_type_of(const struct pv_mm *mm, uint64_t mfn)
{
	return mfn < mm->nr_pages && mm->pages[mfn].type_count ?
	       (enum pgt_type)mm->pages[mfn].type : PGT_NONE;
}

/* MMUEXT_PIN_L{level}_TABLE and MMUEXT_UNPIN_TABLE. */
int pt_pin(struct pv_mm *mm, struct pt_writer *w, uint64_t mfn,
	   unsigned int level);
int pt_unpin(struct pv_mm *mm, uint64_t mfn);

/*
 * Replace the entry at gpa in a frame typed as a level-`level` table,
 * with validation (Xen's mod_lN_entry). preserve_ad keeps the A/D bits
 * already there. Returns 0 or Xen's error.
 */
int pt_mod_entry(struct pv_mm *mm, struct pt_writer *w, uint64_t gpa,
		 uint64_t val, unsigned int level, bool preserve_ad);

/*
 * mmu_update's MMU_NORMAL_PT_UPDATE: the frame's current type decides
 * (a table is updated with validation, an untyped frame is written).
 */
int pt_update(struct pv_mm *mm, struct pt_writer *w, uint64_t gpa,
	      uint64_t val, bool preserve_ad);

/*
 * Grant maps (arch/x86/pv/grant_pte.c): store val at gpa, an entry of an
 * L1 table, without validating it (the caller vouches for its frame: one
 * validation refuses to the guest) and without taking references for it.
 * put_old drops what the old entry held; without it they move with the
 * old entry, returned in *oldp, to wherever the caller puts it.
 */
int pt_set_l1e_unchecked(struct pv_mm *mm, struct pt_writer *w, uint64_t gpa,
			 uint64_t val, bool put_old, uint64_t *oldp);
/* Drop the references an L1 entry taken out of its table held. */
void pt_put_l1e(struct pv_mm *mm, uint64_t e);

/*
 * A writable frame's contents change behind the guest's back (plain
 * mmu_update, CLEAR_PAGE, COPY_PAGE): store 8 bytes, replaying it when
 * the VM's MMU may still cache the frame as a table.
 */
int pt_store_data(struct pv_mm *mm, struct pt_writer *w, uint64_t gpa,
		  uint64_t val);

/*
 * Descriptor-page validation (arch/x86/pv/descriptor_tables.c): fix up
 * each descriptor as Xen's check_descriptor does; false if one is bad.
 */
bool pv_check_descriptor(uint64_t *desc);

#endif
