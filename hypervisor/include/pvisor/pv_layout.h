/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_PV_LAYOUT_H
#define PVISOR_PV_LAYOUT_H

/*
 * The pfn layout Xen's toolstack gives a 64-bit PV guest (contract §1.4)
 * and the bootstrap page tables that map it (§1.5). Pure functions over a
 * kernel description and a RAM buffer, so unit tests can check them.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvisor/loader.h"

/* Tables of one mapping, consecutive frames: [L4][L3s][L2s][L1s]. */
struct pv_pt_map {
	uint64_t from, to;		/* virtual range mapped, inclusive */
	uint64_t pfn;			/* frame mapped at `from` */
	uint64_t l4_pfn;		/* the domain's L4 (allocated by map 0) */
	uint64_t first_pfn;		/* first table frame of this mapping */
	uint64_t nr[4];			/* tables per level: [0] L1 ... [3] L4 */
	uint64_t nr_tables;
};

struct pv_layout {
	uint64_t nr_pages;
	uint64_t virt_base;
	uint64_t kernel_pfn, kernel_end;	/* [first, end) */
	uint64_t ramdisk_pfn, ramdisk_pages;
	bool ramdisk_mapped;			/* else mod_start is a pfn */
	bool init_p2m;				/* P2M at its own VA (note 15) */
	uint64_t p2m_va;			/* start_info.mfn_list */
	uint64_t p2m_pfn, p2m_pages;		/* the array itself */
	uint64_t start_info_pfn, xenstore_pfn, console_pfn;
	uint64_t stack_pfn;
	uint64_t mapped_end;			/* pfns below are mapped at virt_base */
	uint64_t alloc_end;			/* first pfn nothing was put in */
	struct pv_pt_map map;			/* the initial mapping (pt_base...) */
	struct pv_pt_map p2m_map;		/* INIT_P2M only: after the array */
};

/* Plan where everything goes. -ENOMEM, -E2BIG, -EINVAL with *why set. */
int pv_layout_plan(const struct pv_kernel_info *k, uint64_t nr_pages,
		   size_t ramdisk_len, struct pv_layout *l, const char **why);

/* Write both mappings' tables into ram (nr_pages frames, zeroed). */
void pv_layout_write_tables(uint8_t *ram, const struct pv_layout *l);

/* start_info.first_p2m_pfn / nr_p2m_frames: data and tables (INIT_P2M). */
static inline uint64_t pv_layout_p2m_frames(const struct pv_layout *l)
{
	return l->init_p2m ? l->p2m_pages + l->p2m_map.nr_tables : 0;
}

/* One debug line describing the layout. */
void pv_layout_log(const struct pv_layout *l);

#endif
