// SPDX-License-Identifier: MIT
/*
 * Xen's pfn layout and bootstrap page tables for a 64-bit PV guest, step
 * for step as xg_dom_core.c xc_dom_build_image and xg_dom_x86.c
 * (count_pgtables, alloc_pgtables_pv, alloc_p2m_list_x86_64,
 * setup_pgtables_pv) produce them: guests such as Linux derive their own
 * bookkeeping from where each piece lands (contract §1.4, §1.5).
 */
#include <errno.h>
#include <string.h>

#include "pvisor/guest_mem.h"
#include "pvisor/layout.h"
#include "pvisor/log.h"
#include "pvisor/pv_layout.h"

#define PAGE_SHIFT	12
#define EXTRA_PAGES	(1 + 128)	/* boot stack + 512 KiB of slack */
#define MAP_ALIGN_MASK	((1ull << 22) - 1)	/* region ends on 4 MiB */
/*
 * Leaves P|RW|A, upper levels P|RW|A|D|US as Xen writes them. Xen's
 * validation then adds US to leaves for a 64-bit PV guest; pvisor's
 * builder writes it directly because no validation pass runs before the
 * guest (at CPL3) first uses these tables.
 */
#define L1_FLAGS	(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_USER)
#define LX_FLAGS	(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | \
			 _PAGE_DIRTY | _PAGE_USER)

static uint64_t pages_of(uint64_t bytes)
{
	return (bytes + 4095) >> PAGE_SHIFT;
}

/* Bits of VA one entry at level lv (0 = L1) covers. */
static unsigned int entry_shift(int lv)
{
	return PAGE_SHIFT + 9 * lv;
}

/* Xen's count_pgtables for one mapping that shares no table with another. */
static void count_tables(struct pv_pt_map *m, bool own_l4)
{
	m->nr_tables = 0;
	for (int lv = 0; lv < 3; lv++) {
		uint64_t mask = (1ull << entry_shift(lv + 1)) - 1;

		m->nr[lv] = (((m->to | mask) - (m->from & ~mask)) >>
			     entry_shift(lv + 1)) + 1;
		m->nr_tables += m->nr[lv];
	}
	m->nr[3] = own_l4;
	m->nr_tables += own_l4;
}

static bool slot_reserved(uint64_t va)
{
	unsigned int slot = (va >> L4_SLOT_SHIFT) & 511;

	return slot >= XEN_RESERVED_SLOT_FIRST && slot <= XEN_RESERVED_SLOT_LAST;
}

/* Canonical, and no L4 slot of it belongs to the hypervisor. */
static bool range_usable(uint64_t from, uint64_t to)
{
	uint64_t half = from >> 47, slot = 1ull << L4_SLOT_SHIFT;

	if (to < from || (half != 0 && half != 0x1ffff) || to >> 47 != half)
		return false;
	for (uint64_t va = from & ~(slot - 1);; va += slot) {
		if (slot_reserved(va))
			return false;
		if (to - va < slot)
			return true;	/* so va + slot never wraps */
	}
}

/* Xen's alloc_pgtables_pv: grow the 4 MiB-aligned region until it fits. */
static int plan_initial_map(struct pv_layout *l, uint64_t next,
			    const char **why)
{
	struct pv_pt_map *m = &l->map;
	uint64_t pages = EXTRA_PAGES, end_va;

	for (;;) {
		*why = "initial mapped region exceeds guest memory";
		if (next + pages > l->nr_pages)
			return -ENOMEM;
		*why = "initial mapped region wraps the address space";
		if ((next + pages) << PAGE_SHIFT > ~l->virt_base)
			return -EINVAL;
		end_va = (l->virt_base + ((next + pages) << PAGE_SHIFT)) |
			 MAP_ALIGN_MASK;
		m->from = l->virt_base;
		m->to = end_va;
		count_tables(m, true);
		pages = m->nr_tables + EXTRA_PAGES;
		if (next + pages <= ((end_va + 1 - l->virt_base) >> PAGE_SHIFT))
			break;
	}
	l->mapped_end = (end_va + 1 - l->virt_base) >> PAGE_SHIFT;
	m->pfn = 0;
	m->first_pfn = next;
	m->l4_pfn = next;
	*why = "initial mapped region exceeds guest memory";
	if (l->mapped_end > l->nr_pages)
		return -ENOMEM;
	/* Linux copies pgd[511] -> pud[510] as one L2 (contract §1.5). */
	*why = "initial mapped region exceeds one page directory (1 GiB)";
	if (m->nr[1] != 1 || m->nr[2] != 1)
		return -E2BIG;
	*why = "initial mapping reaches the hypervisor's L4 slots";
	if (!range_usable(m->from, m->to))
		return -EINVAL;
	return 0;
}

/* INIT_P2M is honoured under Xen's conditions: below virt_base, aligned. */
static bool want_init_p2m(const struct pv_kernel_info *k)
{
	return k->init_p2m && k->init_p2m < k->virt_base &&
	       !(k->init_p2m & 4095);
}

int pv_layout_plan(const struct pv_kernel_info *k, uint64_t nr_pages,
		   size_t ramdisk_len, struct pv_layout *l, const char **why)
{
	uint64_t next;
	int rc;

	memset(l, 0, sizeof(*l));
	l->nr_pages = nr_pages;
	l->virt_base = k->virt_base;
	*why = "VIRT_BASE is not page aligned or the kernel lies below it";
	if ((k->virt_base & 4095) || k->virt_kstart < k->virt_base ||
	    k->virt_kend < k->virt_kstart)
		return -EINVAL;
	l->kernel_pfn = (k->virt_kstart - k->virt_base) >> PAGE_SHIFT;
	l->kernel_end = l->kernel_pfn + pages_of(k->virt_kend - k->virt_kstart);
	*why = "kernel does not fit in guest memory";
	if (l->kernel_end > nr_pages)
		return -ENOMEM;
	next = l->kernel_end;

	l->ramdisk_pages = pages_of(ramdisk_len);
	l->ramdisk_mapped = ramdisk_len && !k->mod_start_pfn;
	if (l->ramdisk_mapped) {
		l->ramdisk_pfn = next;
		next += l->ramdisk_pages;
	}
	l->init_p2m = want_init_p2m(k);
	l->p2m_pages = pages_of(nr_pages * 8);
	if (!l->init_p2m) {
		l->p2m_pfn = next;
		next += l->p2m_pages;
		l->p2m_va = l->virt_base + (l->p2m_pfn << PAGE_SHIFT);
	}
	l->start_info_pfn = next++;
	l->xenstore_pfn = next++;
	l->console_pfn = next++;
	*why = "guest memory too small for the kernel and its boot pages";
	if (next > nr_pages)
		return -ENOMEM;

	rc = plan_initial_map(l, next, why);
	if (rc)
		return rc;
	l->stack_pfn = l->map.first_pfn + l->map.nr_tables;
	next = l->mapped_end;

	/* Past the mapped region: the unmapped initrd, then the P2M. */
	if (ramdisk_len && !l->ramdisk_mapped) {
		l->ramdisk_pfn = next;
		next += l->ramdisk_pages;
	}
	if (l->init_p2m) {
		struct pv_pt_map *p = &l->p2m_map;

		l->p2m_pfn = next;
		l->p2m_va = k->init_p2m;
		p->from = k->init_p2m;
		p->to = k->init_p2m + (l->p2m_pages << PAGE_SHIFT) - 1;
		p->pfn = l->p2m_pfn;
		p->l4_pfn = l->map.l4_pfn;
		p->first_pfn = l->p2m_pfn + l->p2m_pages;
		*why = "INIT_P2M address is not canonical or reaches the "
		       "hypervisor's L4 slots";
		if (!range_usable(p->from, p->to))
			return -EINVAL;
		*why = "INIT_P2M shares an L4 slot with the kernel mapping "
		       "(not supported)";
		if (((p->to >> L4_SLOT_SHIFT) & 511) >=
		    ((l->map.from >> L4_SLOT_SHIFT) & 511) &&
		    ((p->from >> L4_SLOT_SHIFT) & 511) <=
		    ((l->map.to >> L4_SLOT_SHIFT) & 511))
			return -ENOTSUP;
		count_tables(p, false);
		next = p->first_pfn + p->nr_tables;
	}
	*why = "guest memory too small for the initrd and the P2M";
	if (next > nr_pages)
		return -ENOMEM;
	l->alloc_end = next;
	*why = NULL;
	return 0;
}

static uint64_t *table(uint8_t *ram, uint64_t pfn)
{
	return (uint64_t *)(ram + (pfn << PAGE_SHIFT));
}

static bool is_table_frame(const struct pv_layout *l, uint64_t pfn)
{
	const struct pv_pt_map *m = &l->map, *p = &l->p2m_map;

	return (pfn >= m->first_pfn && pfn < m->first_pfn + m->nr_tables) ||
	       (l->init_p2m && pfn >= p->first_pfn &&
		pfn < p->first_pfn + p->nr_tables);
}

/* Xen's setup_pgtables_pv for one mapping; tables are pre-zeroed. */
static void write_map(uint8_t *ram, const struct pv_layout *l,
		      const struct pv_pt_map *m)
{
	uint64_t lvl_pfn[4], base[4], p = m->first_pfn;

	for (int lv = 3; lv >= 0; lv--) {
		lvl_pfn[lv] = p;
		p += m->nr[lv];
		base[lv] = lv == 3 ? 0 :
			   m->from & ~((1ull << entry_shift(lv + 1)) - 1);
	}
	lvl_pfn[3] = m->l4_pfn;

	/* Upper levels: each entry points at the next level's table. */
	for (int lv = 3; lv >= 1; lv--) {
		unsigned int shift = entry_shift(lv);
		uint64_t first = m->from & ~((1ull << shift) - 1);
		uint64_t n = ((m->to - first) >> shift) + 1;

		for (uint64_t i = 0; i < n; i++) {
			uint64_t va = first + (i << shift);	/* <= to */
			uint64_t tbl = lv == 3 ? lvl_pfn[3] :
				lvl_pfn[lv] + ((va - base[lv]) >> (shift + 9));
			uint64_t child = lvl_pfn[lv - 1] +
					 ((va - base[lv - 1]) >> shift);

			table(ram, tbl)[(va >> shift) & 511] =
				(child << PAGE_SHIFT) | LX_FLAGS;
		}
	}
	/* Leaves; page-table frames are never mapped writable. */
	for (uint64_t i = 0; i <= (m->to - m->from) >> PAGE_SHIFT; i++) {
		uint64_t va = m->from + (i << PAGE_SHIFT);
		uint64_t pfn = m->pfn + i;
		uint64_t e = (pfn << PAGE_SHIFT) | L1_FLAGS;

		if (is_table_frame(l, pfn))
			e &= ~_PAGE_RW;
		table(ram, lvl_pfn[0] + ((va - base[0]) >> entry_shift(1)))
			[(va >> PAGE_SHIFT) & 511] = e;
	}
}

void pv_layout_write_tables(uint8_t *ram, const struct pv_layout *l)
{
	write_map(ram, l, &l->map);
	if (l->init_p2m)
		write_map(ram, l, &l->p2m_map);
}

void pv_layout_log(const struct pv_layout *l)
{
	pr_debug("layout: %llu pages; kernel pfn %#llx-%#llx; start_info %#llx "
		 "xenstore %#llx console %#llx; pt_base pfn %#llx nr_pt_frames "
		 "%llu (L3 %llu L2 %llu L1 %llu); stack %#llx; mapped %llu MiB "
		 "(to pfn %#llx); initrd %s pfn %#llx +%llu; p2m va %#llx pfn "
		 "%#llx +%llu data +%llu tables; free from pfn %#llx\n",
		 (unsigned long long)l->nr_pages,
		 (unsigned long long)l->kernel_pfn,
		 (unsigned long long)l->kernel_end - 1,
		 (unsigned long long)l->start_info_pfn,
		 (unsigned long long)l->xenstore_pfn,
		 (unsigned long long)l->console_pfn,
		 (unsigned long long)l->map.first_pfn,
		 (unsigned long long)l->map.nr_tables,
		 (unsigned long long)l->map.nr[2],
		 (unsigned long long)l->map.nr[1],
		 (unsigned long long)l->map.nr[0],
		 (unsigned long long)l->stack_pfn,
		 (unsigned long long)(l->mapped_end >> 8),
		 (unsigned long long)l->mapped_end,
		 l->ramdisk_pages ? (l->ramdisk_mapped ? "mapped" : "unmapped") :
		 "none",
		 (unsigned long long)l->ramdisk_pfn,
		 (unsigned long long)l->ramdisk_pages,
		 (unsigned long long)l->p2m_va,
		 (unsigned long long)l->p2m_pfn,
		 (unsigned long long)l->p2m_pages,
		 (unsigned long long)(l->init_p2m ? l->p2m_map.nr_tables : 0),
		 (unsigned long long)l->alloc_end);
}
