/* SPDX-License-Identifier: MIT */
/*
 * Fake guest memory for unit tests: a calloc'd RAM buffer, a bump
 * allocator for page-table frames and a helper that builds 4-level
 * x86-64 mappings (4K leaves, or 2M/1G PSE leaves) in it.
 */
#ifndef TESTS_UNIT_FAKE_MEM_H
#define TESTS_UNIT_FAKE_MEM_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pvisor/guest_mem.h"

/* Xen's reserved L4 slots 256..271. */
#define FM_RESERVED_START	0xffff800000000000ull
#define FM_RESERVED_END		0xffff880000000000ull

/* Default RAM: 4 MiB; page-table frames are allocated from the top. */
#define FM_RAM_PAGES		1024ull

#define FM_TABLE_FLAGS		(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER)
#define FM_LEAF_RW		(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER)
#define FM_LEAF_RO		(_PAGE_PRESENT | _PAGE_USER)

struct fake_mem {
	struct guest_mem gm;
	uint64_t next_table_pfn;	/* grows down from the top of RAM */
};

static inline void fm_init(struct fake_mem *fm, uint64_t nr_pages)
{
	memset(fm, 0, sizeof(*fm));
	fm->gm.ram = calloc(nr_pages, PAGE_SIZE);
	fm->gm.nr_pages = nr_pages;
	fm->gm.reserved_va_start = FM_RESERVED_START;
	fm->gm.reserved_va_end = FM_RESERVED_END;
	fm->next_table_pfn = nr_pages;
}

static inline void fm_free(struct fake_mem *fm)
{
	free(fm->gm.ram);
	fm->gm.ram = NULL;
}

/* A zeroed RAM frame for a page table; returns its physical address. */
static inline uint64_t fm_alloc_table(struct fake_mem *fm)
{
	uint64_t pfn = --fm->next_table_pfn;

	memset(fm->gm.ram + (pfn << PAGE_SHIFT), 0, PAGE_SIZE);
	return pfn << PAGE_SHIFT;
}

static inline uint8_t *fm_ptr(struct fake_mem *fm, uint64_t pa)
{
	return fm->gm.ram + pa;
}

static inline uint64_t *fm_table(struct fake_mem *fm, uint64_t pa)
{
	return (uint64_t *)(void *)fm_ptr(fm, pa & PTE_ADDR_MASK);
}

/*
 * Map va -> pa under the L4 at l4_pa with a leaf at `level` (1: 4K,
 * 2: 2M PSE, 3: 1G PSE) carrying leaf_flags. Missing intermediate
 * tables are allocated with FM_TABLE_FLAGS. Returns a pointer to the
 * leaf entry.
 */
static inline uint64_t *fm_map_level(struct fake_mem *fm, uint64_t l4_pa,
				     uint64_t va, uint64_t pa,
				     uint64_t leaf_flags, int level)
{
	uint64_t table = l4_pa;
	int l;

	for (l = 4; l > level; l--) {
		uint64_t *t = fm_table(fm, table);
		unsigned int idx = (va >> (PAGE_SHIFT + 9 * (l - 1))) & 511;

		if (!(t[idx] & _PAGE_PRESENT))
			t[idx] = fm_alloc_table(fm) | FM_TABLE_FLAGS;
		table = t[idx] & PTE_ADDR_MASK;
	}
	{
		uint64_t *t = fm_table(fm, table);
		unsigned int idx = (va >> (PAGE_SHIFT + 9 * (level - 1))) & 511;

		t[idx] = pa | leaf_flags | (level > 1 ? _PAGE_PSE : 0);
		return &t[idx];
	}
}

static inline uint64_t *fm_map(struct fake_mem *fm, uint64_t l4_pa,
			       uint64_t va, uint64_t pa, uint64_t flags)
{
	return fm_map_level(fm, l4_pa, va, pa, flags, 1);
}

/* Map `n` consecutive 4K pages va.. -> pa.. */
static inline void fm_map_range(struct fake_mem *fm, uint64_t l4_pa,
				uint64_t va, uint64_t pa, unsigned int n,
				uint64_t flags)
{
	for (unsigned int i = 0; i < n; i++)
		fm_map(fm, l4_pa, va + i * PAGE_SIZE, pa + i * PAGE_SIZE,
		       flags);
}

#endif
