/* SPDX-License-Identifier: MIT */
/*
 * The PV builder's pfn layout and bootstrap page tables (loader/
 * pv_layout.c) against Xen's rules (contract §1.4-1.5): a transliteration
 * of xg_dom_x86.c alloc_pgtables_pv as an oracle, the Debian worked
 * example, and a walk of the tables actually written.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pvisor/guest_mem.h"
#include "pvisor/pv_layout.h"

#define VIRT_BASE	0xffffffff80000000ull
#define P2M_VA		0x8000000000ull
#define MiB_PAGES(n)	((uint64_t)(n) * 256)

/* A Linux-like kernel: loaded at 16 MiB, ending at pfn `end`. */
static struct pv_kernel_info kernel(uint64_t end_pfn, bool init_p2m)
{
	struct pv_kernel_info k = {
		.virt_base = VIRT_BASE,
		.pstart = 0x1000000,
		.pend = end_pfn << 12,
		.init_p2m = init_p2m ? P2M_VA : 0,
		.mod_start_pfn = true,
	};

	k.virt_kstart = VIRT_BASE + k.pstart;
	k.virt_kend = VIRT_BASE + k.pend;
	k.entry = k.virt_kstart;
	return k;
}

/*
 * Xen's loop, in pfns (VIRT_BASE is 1 GiB aligned, so one L3 and one L2
 * and one L1 per 2 MiB): grow the region until tables + 129 pages fit.
 */
static void xen_oracle(uint64_t next, uint64_t *mapped_end, uint64_t *nr_pt)
{
	uint64_t pages = 129, end, tables;

	for (;;) {
		end = ((next + pages) | 1023) + 1;
		tables = 3 + end / 512;
		pages = tables + 129;
		if (next + pages <= end)
			break;
	}
	*mapped_end = end;
	*nr_pt = tables;
}

static void test_debian_example(void **state)
{
	struct pv_kernel_info k = kernel(0x3e00, true);
	struct pv_layout l;
	const char *why;

	(void)state;
	/* 512 MiB and Debian's initrd size (1,088,333 bytes: 266 pages). */
	assert_int_equal(pv_layout_plan(&k, MiB_PAGES(512), 1088333, &l, &why), 0);
	assert_int_equal(l.kernel_pfn, 0x1000);
	assert_int_equal(l.kernel_end, 0x3e00);
	assert_int_equal(l.start_info_pfn, 0x3e00);
	assert_int_equal(l.xenstore_pfn, 0x3e01);
	assert_int_equal(l.console_pfn, 0x3e02);
	assert_int_equal(l.map.first_pfn, 0x3e03);	/* pt_base */
	assert_int_equal(l.map.l4_pfn, 0x3e03);
	assert_int_equal(l.map.nr[3], 1);
	assert_int_equal(l.map.nr[2], 1);
	assert_int_equal(l.map.nr[1], 1);
	assert_int_equal(l.map.nr[0], 32);
	assert_int_equal(l.map.nr_tables, 35);		/* nr_pt_frames */
	assert_int_equal(l.stack_pfn, 0x3e03 + 35);
	assert_int_equal(l.mapped_end, 0x4000);		/* 64 MiB */
	/* Unmapped initrd right after the region, then the P2M. */
	assert_false(l.ramdisk_mapped);
	assert_int_equal(l.ramdisk_pfn, 0x4000);
	assert_int_equal(l.ramdisk_pages, 266);
	assert_true(l.init_p2m);
	assert_int_equal(l.p2m_va, P2M_VA);
	assert_int_equal(l.p2m_pfn, 0x4000 + 266);
	assert_int_equal(l.p2m_pages, 256);		/* 131072 * 8 bytes */
	assert_int_equal(l.p2m_map.first_pfn, l.p2m_pfn + 256);
	assert_int_equal(l.p2m_map.nr[3], 0);		/* shares the L4 */
	assert_int_equal(l.p2m_map.nr_tables, 3);	/* L3, L2, one L1 */
	assert_int_equal(pv_layout_p2m_frames(&l), 259);
	assert_int_equal(l.alloc_end, l.p2m_pfn + 259);
}

/* Every kernel size: Xen's region end and table count, exactly. */
static void test_matches_xen_loop(void **state)
{
	(void)state;
	for (uint64_t end = 0x1001; end < 0x30000; end += 13) {
		struct pv_kernel_info k = kernel(end, true);
		struct pv_layout l;
		uint64_t want_end, want_pt;
		const char *why;

		xen_oracle(end + 3, &want_end, &want_pt);
		assert_int_equal(pv_layout_plan(&k, MiB_PAGES(2048), 0, &l, &why), 0);
		assert_int_equal(l.mapped_end, want_end);
		assert_int_equal(l.map.nr_tables, want_pt);
		assert_int_equal(l.stack_pfn, end + 3 + want_pt);
		/* >= 512 KiB free after the boot stack, inside the region. */
		assert_true(l.mapped_end - (l.stack_pfn + 1) >= 128);
		assert_int_equal(l.mapped_end % 1024, 0);
	}
}

/* Without INIT_P2M the P2M sits in the mapped region, before start_info. */
static void test_p2m_in_region(void **state)
{
	struct pv_kernel_info k = kernel(0x1400, false);
	struct pv_layout l;
	const char *why;

	(void)state;
	k.mod_start_pfn = false;
	assert_int_equal(pv_layout_plan(&k, MiB_PAGES(64), 10000, &l, &why), 0);
	assert_true(l.ramdisk_mapped);
	assert_int_equal(l.ramdisk_pfn, 0x1400);
	assert_int_equal(l.ramdisk_pages, 3);
	assert_false(l.init_p2m);
	assert_int_equal(l.p2m_pfn, 0x1403);
	assert_int_equal(l.p2m_pages, 32);		/* 16384 * 8 bytes */
	assert_int_equal(l.p2m_va, VIRT_BASE + (0x1403ull << 12));
	assert_int_equal(l.start_info_pfn, 0x1403 + 32);
	assert_int_equal(pv_layout_p2m_frames(&l), 0);
	assert_true(l.mapped_end > l.p2m_pfn + l.p2m_pages);
}

static void test_errors(void **state)
{
	struct pv_kernel_info k = kernel(0x3e00, true);
	struct pv_layout l;
	const char *why;

	(void)state;
	/* Not enough memory for the region, then for initrd + P2M. */
	assert_int_equal(pv_layout_plan(&k, 0x3f00, 0, &l, &why), -ENOMEM);
	assert_non_null(why);
	assert_int_equal(pv_layout_plan(&k, 0x4100, 4 << 20, &l, &why), -ENOMEM);
	/* A kernel whose region needs more than one L2 (Linux's rule). */
	k = kernel(0x3ff00, true);
	assert_int_equal(pv_layout_plan(&k, MiB_PAGES(4096), 0, &l, &why), -E2BIG);
	/* INIT_P2M inside the hypervisor's slots, or sharing the kernel's. */
	k = kernel(0x3e00, true);
	k.init_p2m = 0xffff808000000000ull;
	assert_int_equal(pv_layout_plan(&k, MiB_PAGES(512), 0, &l, &why), -EINVAL);
	k.init_p2m = 0xffffff8000000000ull;
	assert_int_equal(pv_layout_plan(&k, MiB_PAGES(512), 0, &l, &why), -ENOTSUP);
	/* Xen ignores an unaligned INIT_P2M or one above VIRT_BASE. */
	k.init_p2m = P2M_VA + 8;
	assert_int_equal(pv_layout_plan(&k, MiB_PAGES(512), 0, &l, &why), 0);
	assert_false(l.init_p2m);
	/* VIRT_BASE not page aligned. */
	k = kernel(0x3e00, true);
	k.virt_base += 0x800;
	assert_int_equal(pv_layout_plan(&k, MiB_PAGES(512), 0, &l, &why), -EINVAL);
	/* A VIRT_BASE so high the region would wrap. */
	k = kernel(0x3e00, false);
	k.virt_base = 0xfffffffffff00000ull;
	k.virt_kstart = k.virt_base;
	k.virt_kend = k.virt_base + 0x1000;
	assert_int_not_equal(pv_layout_plan(&k, MiB_PAGES(512), 0, &l, &why), 0);
}

/* Follow the written tables like the MMU would; 0 when not mapped. */
static uint64_t walk(const uint8_t *ram, uint64_t l4_pfn, uint64_t va,
		     uint64_t *flags_and)
{
	uint64_t pfn = l4_pfn, e = 0, and = ~0ull;

	for (int lv = 3; lv >= 0; lv--) {
		const uint64_t *t = (const uint64_t *)(ram + (pfn << 12));

		e = t[(va >> (12 + 9 * lv)) & 511];
		if (!(e & _PAGE_PRESENT))
			return 0;
		and &= e;
		pfn = (e & 0x000ffffffffff000ull) >> 12;
	}
	*flags_and = and;
	return e;
}

static void test_tables(void **state)
{
	struct pv_kernel_info k = kernel(0x3e00, true);
	uint64_t nr_pages = MiB_PAGES(128), flags;
	uint8_t *ram = calloc(nr_pages, 4096);
	const uint64_t *l4;
	struct pv_layout l;
	const char *why;

	(void)state;
	assert_non_null(ram);
	assert_int_equal(pv_layout_plan(&k, nr_pages, 300000, &l, &why), 0);
	pv_layout_write_tables(ram, &l);
	l4 = (const uint64_t *)(ram + (l.map.l4_pfn << 12));
	/* Exactly two L4 entries: the kernel region and the P2M. */
	for (int i = 0; i < 512; i++)
		assert_int_equal(l4[i] != 0, i == 511 || i == 1);
	/* Initial region: VIRT_BASE + pfn * 4K -> pfn, tables read-only. */
	for (uint64_t pfn = 0; pfn < l.mapped_end; pfn++) {
		uint64_t e = walk(ram, l.map.l4_pfn, VIRT_BASE + (pfn << 12),
				  &flags);
		bool table = pfn >= l.map.first_pfn &&
			     pfn < l.map.first_pfn + l.map.nr_tables;

		assert_int_equal(e >> 12 & 0xffffffffff, pfn);
		assert_true(flags & _PAGE_USER);
		assert_int_equal(!!(e & _PAGE_RW), !table);
	}
	assert_int_equal(walk(ram, l.map.l4_pfn, VIRT_BASE + (l.mapped_end << 12),
			      &flags), 0);
	/* The P2M array at its own VA, read-write; its tables not mapped there. */
	for (uint64_t i = 0; i < l.p2m_pages; i++) {
		uint64_t e = walk(ram, l.map.l4_pfn, P2M_VA + (i << 12), &flags);

		assert_int_equal(e >> 12 & 0xffffffffff, l.p2m_pfn + i);
		assert_true(e & _PAGE_RW);
	}
	assert_int_equal(walk(ram, l.map.l4_pfn, P2M_VA + (l.p2m_pages << 12),
			      &flags), 0);
	/* Table frames come in Xen's order: L4, L3, L2, then the L1s. */
	assert_int_equal(l4[511] >> 12 & 0xffffffffff, l.map.first_pfn + 1);
	assert_int_equal(l4[1] >> 12 & 0xffffffffff, l.p2m_map.first_pfn);
	free(ram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debian_example),
		cmocka_unit_test(test_matches_xen_loop),
		cmocka_unit_test(test_p2m_in_region),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
