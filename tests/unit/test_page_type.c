/* SPDX-License-Identifier: MIT */
/*
 * Page types and reference counts (arch/x86/pv/page_type.c): entry
 * validation per level, type/refcount transitions, pinning, updates
 * and every error code, against Xen's rules.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pvisor/page_type.h"

#define NR_PAGES	64ull
#define HV_BASE_PFN	0x100000ull
#define HV_PAGES	4
#define K		(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)
#define KRO		(_PAGE_PRESENT | _PAGE_ACCESSED)
#define ADJ1		(_PAGE_USER | _PAGE_GUEST_KERNEL)
#define RESERVED_E	((HV_BASE_PFN + 3) << PAGE_SHIFT | K | _PAGE_USER)

struct fixture {
	struct guest_mem gm;
	struct pv_mm mm;
	struct pv_page pages[NR_PAGES];
	uint8_t absent[NR_PAGES];
	uint8_t hv_access[HV_PAGES];
	uint8_t *hv;
	struct pt_writer w;
	uint64_t touched[4096];
	unsigned int nr_touched;
	uint64_t released[NR_PAGES];
	unsigned int nr_released;
};

static struct fixture *F;

static int rec_touch(struct pt_writer *w, uint64_t gpa)
{
	(void)w;
	if (F->nr_touched < 4096)
		F->touched[F->nr_touched++] = gpa;
	return 0;
}

static void rec_release(struct pv_mm *mm, uint64_t mfn)
{
	(void)mm;
	F->released[F->nr_released++] = mfn;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	F = f;
	f->gm.ram = calloc(NR_PAGES, PAGE_SIZE);
	f->gm.nr_pages = NR_PAGES;
	f->hv = calloc(HV_PAGES, PAGE_SIZE);
	f->hv_access[0] = HV_ACCESS_READ | HV_ACCESS_WRITE;	/* shared_info */
	f->hv_access[1] = HV_ACCESS_READ;
	f->gm.hv = f->hv;
	f->gm.hv_base_pfn = HV_BASE_PFN;
	f->gm.hv_nr_pages = HV_PAGES;
	f->gm.hv_access = f->hv_access;
	pt_mm_init(&f->mm, &f->gm, f->pages, f->absent, NR_PAGES);
	f->mm.release = rec_release;
	f->mm.reserved_l4e[1] = RESERVED_E;	/* slot 257 */
	f->w.touch = rec_touch;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->gm.ram);
	free(f->hv);
	free(f);
	return 0;
}

static uint64_t *T(struct fixture *f, uint64_t pfn)
{
	return (uint64_t *)(f->gm.ram + (pfn << PAGE_SHIFT));
}

static uint64_t E(uint64_t pfn, uint64_t flags)
{
	return (pfn << PAGE_SHIFT) | flags;
}

/* Every frame back to no references at all. */
static void assert_all_free(struct fixture *f)
{
	for (uint64_t i = 0; i < NR_PAGES; i++) {
		assert_int_equal(f->pages[i].count, 0);
		assert_int_equal(f->pages[i].type_count, 0);
		assert_int_equal(f->pages[i].type, PGT_NONE);
	}
}

/* ---- entry checks ------------------------------------------------- */

static void test_flags(void **state)
{
	(void)state;
	assert_true(pt_entry_flags_ok(E(5, K | _PAGE_USER | _PAGE_NX), 1));
	assert_true(pt_entry_flags_ok(E(5, K | _PAGE_GLOBAL), 1));
	assert_true(pt_entry_flags_ok(E(5, K | _PAGE_AVAIL |
					_PAGE_AVAIL_HIGH), 1));
	assert_false(pt_entry_flags_ok(E(5, K | _PAGE_PWT), 1));
	assert_false(pt_entry_flags_ok(E(5, K | _PAGE_PCD), 1));
	assert_false(pt_entry_flags_ok(E(5, K | _PAGE_PAT), 1));
	for (unsigned int l = 2; l <= 4; l++) {
		assert_true(pt_entry_flags_ok(E(5, K | _PAGE_NX), l));
		assert_false(pt_entry_flags_ok(E(5, K | _PAGE_PSE), l));
		assert_false(pt_entry_flags_ok(E(5, K | _PAGE_GLOBAL), l));
		assert_false(pt_entry_flags_ok(E(5, K | _PAGE_PCD), l));
		assert_false(pt_entry_flags_ok(E(5, K | _PAGE_PWT), l));
	}
}

static void test_adjust(void **state)
{
	(void)state;
	/* Kernel L1 mappings get US and bit 52; user ones stay; no GLOBAL. */
	assert_int_equal(pt_adjust_entry(E(5, K), 1), E(5, K | ADJ1));
	assert_int_equal(pt_adjust_entry(E(5, K | _PAGE_USER), 1),
			 E(5, K | _PAGE_USER));
	assert_int_equal(pt_adjust_entry(E(5, K & ~_PAGE_PRESENT), 1),
			 E(5, K & ~_PAGE_PRESENT));
	assert_int_equal(pt_adjust_entry(E(5, _PAGE_PRESENT), 2),
			 E(5, _PAGE_PRESENT | _PAGE_USER));
	assert_int_equal(pt_adjust_entry(E(5, _PAGE_PRESENT), 3),
			 E(5, _PAGE_PRESENT | _PAGE_USER));
	assert_int_equal(pt_adjust_entry(E(5, _PAGE_PRESENT), 4),
			 E(5, _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED));
}

static void test_widening(void **state)
{
	(void)state;
	assert_true(pt_store_is_widening(0, E(5, K)));
	assert_true(pt_store_is_widening(E(5, KRO), E(5, K)));
	assert_true(pt_store_is_widening(E(5, KRO), E(5, KRO | _PAGE_USER)));
	assert_true(pt_store_is_widening(E(5, K | _PAGE_NX), E(5, K)));
	assert_true(pt_store_is_widening(E(5, K), E(5, K | _PAGE_AVAIL)));
	assert_false(pt_store_is_widening(E(5, K), 0));
	assert_false(pt_store_is_widening(E(5, K), E(6, K)));
	assert_false(pt_store_is_widening(E(5, K), E(5, KRO)));
	assert_false(pt_store_is_widening(E(5, K), E(5, K & ~_PAGE_ACCESSED)));
	assert_false(pt_store_is_widening(E(5, K), E(5, K & ~_PAGE_DIRTY)));
	assert_false(pt_store_is_widening(E(5, K), E(5, K | _PAGE_NX)));
	assert_false(pt_store_is_widening(E(5, K), E(5, K | _PAGE_PCD)));
}

/* ---- general references ------------------------------------------- */

static void test_get_put_page(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(pt_get_page(&f->mm, NR_PAGES, false), -EINVAL);
	assert_int_equal(pt_get_page(&f->mm, ~0ull, true), -EINVAL);
	assert_int_equal(pt_get_page(&f->mm, 3, true), 0);
	assert_int_equal(f->pages[3].count, 1);
	/* Ballooned out while referenced: alive, but no new uses. */
	f->pages[3].flags &= ~PGF_ALLOCATED;
	assert_int_equal(pt_get_page(&f->mm, 3, true), -EINVAL);
	assert_int_equal(pt_get_page(&f->mm, 3, false), 0);
	pt_put_page(&f->mm, 3);
	assert_int_equal(f->nr_released, 0);
	pt_put_page(&f->mm, 3);
	/* The last reference of a frame no longer owned frees it. */
	assert_int_equal(f->nr_released, 1);
	assert_int_equal(f->released[0], 3);
	assert_int_equal(f->mm.tot_pages, NR_PAGES - 1);
	assert_int_equal(pt_get_page(&f->mm, 3, false), -EINVAL);
	/* A put without a reference does nothing (hostile guests). */
	pt_put_page(&f->mm, 4);
	assert_int_equal(f->pages[4].count, 0);
	assert_int_equal(f->mm.tot_pages, NR_PAGES - 1);
}

static void test_one_type_at_a_time(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(pt_get_type(&f->mm, NULL, 7, PGT_WRITABLE), 0);
	assert_int_equal(pt_get_type(&f->mm, NULL, 7, PGT_WRITABLE), 0);
	assert_int_equal(f->pages[7].type_count, 2);
	assert_int_equal(pt_get_type(&f->mm, NULL, 7, PGT_L1), -EINVAL);
	assert_int_equal(pt_get_type(&f->mm, NULL, 7, PGT_SEG_DESC), -EINVAL);
	pt_put_type(&f->mm, 7);
	assert_int_equal(pt_get_type(&f->mm, NULL, 7, PGT_L1), -EINVAL);
	pt_put_type(&f->mm, 7);
	assert_int_equal(pt_type_of(&f->mm, 7), PGT_NONE);
	assert_int_equal(pt_get_type(&f->mm, NULL, 7, PGT_L1), 0);
	assert_int_equal(pt_get_type(&f->mm, NULL, 7, PGT_WRITABLE), -EINVAL);
	assert_int_equal(pt_get_type(&f->mm, NULL, 7, PGT_L2), -EINVAL);
	pt_put_type(&f->mm, 7);
	assert_true(f->pages[7].flags & PGF_WAS_TABLE);
	assert_all_free(f);
}

/* ---- L1 pinning --------------------------------------------------- */

static void test_pin_l1(void **state)
{
	struct fixture *f = *state;
	uint64_t *t = T(f, 10);

	t[0] = E(20, K);
	t[1] = E(21, KRO);
	t[2] = E(21, K | _PAGE_USER);
	t[3] = E(20, K & ~_PAGE_PRESENT);	/* not present: ignored */
	assert_int_equal(pt_pin(&f->mm, &f->w, 10, 1), 0);
	assert_int_equal(pt_type_of(&f->mm, 10), PGT_L1);
	assert_true(f->pages[10].flags & PGF_PINNED);
	assert_int_equal(t[0], E(20, K | ADJ1));
	assert_int_equal(t[1], E(21, KRO | ADJ1));
	assert_int_equal(t[2], E(21, K | _PAGE_USER));
	assert_int_equal(t[3], E(20, K & ~_PAGE_PRESENT));
	/* RW entries hold writable types; every entry a page reference. */
	assert_int_equal(pt_type_of(&f->mm, 20), PGT_WRITABLE);
	assert_int_equal(f->pages[20].type_count, 1);
	assert_int_equal(f->pages[21].type_count, 1);
	assert_int_equal(f->pages[21].count, 2);
	/* Adjustments only widen access: nothing to replay. */
	assert_int_equal(f->nr_touched, 0);

	assert_int_equal(pt_pin(&f->mm, &f->w, 10, 1), -EINVAL);
	assert_int_equal(pt_pin(&f->mm, &f->w, 10, 2), -EINVAL);
	assert_int_equal(pt_pin(&f->mm, &f->w, 20, 1), -EINVAL);
	assert_int_equal(pt_pin(&f->mm, &f->w, 10, 0), -EINVAL);
	assert_int_equal(pt_pin(&f->mm, &f->w, 10, 5), -EINVAL);
	assert_int_equal(pt_pin(&f->mm, &f->w, NR_PAGES, 1), -EINVAL);

	assert_int_equal(pt_unpin(&f->mm, 10), 0);
	assert_int_equal(pt_unpin(&f->mm, 10), -EINVAL);
	assert_int_equal(pt_unpin(&f->mm, NR_PAGES + 5), -EINVAL);
	assert_int_equal(pt_unpin(&f->mm, 11), -EINVAL);
	assert_all_free(f);
}

static void test_pin_l1_errors(void **state)
{
	struct fixture *f = *state;
	uint64_t *t = T(f, 10);
	struct { uint64_t e; int rc; } cases[] = {
		{ E(20, K | _PAGE_PCD), -EINVAL },	/* bad flags */
		{ E(10, K), -EBUSY },			/* itself, RW */
		{ E(NR_PAGES + 1, K), -EPERM },		/* no such frame */
		{ E(PT_INVALID_MFN, K), -EINVAL },	/* INVALID_MFN */
		{ E(HV_BASE_PFN + 1, K), -EBUSY },	/* read-only hv frame */
		{ E(HV_BASE_PFN + 2, KRO), -EBUSY },	/* hv frame not shared */
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(t, 0, PAGE_SIZE);
		t[0] = E(22, K);	/* taken, then released again */
		t[5] = cases[i].e;
		assert_int_equal(pt_pin(&f->mm, &f->w, 10, 1), cases[i].rc);
		assert_all_free(f);
	}
	/* The shared hv frames it may map: no reference counting. */
	memset(t, 0, PAGE_SIZE);
	t[0] = E(HV_BASE_PFN, K);
	t[1] = E(HV_BASE_PFN + 1, KRO);
	t[2] = E(10, KRO);		/* itself, read-only: fine */
	assert_int_equal(pt_pin(&f->mm, &f->w, 10, 1), 0);
	assert_int_equal(pt_unpin(&f->mm, 10), 0);
	assert_all_free(f);
	/* A frame given back cannot be mapped. */
	f->pages[23].flags &= ~PGF_ALLOCATED;
	t[3] = E(23, KRO);
	assert_int_equal(pt_pin(&f->mm, &f->w, 10, 1), -EBUSY);
	assert_all_free(f);
}

/* ---- a four-level tree -------------------------------------------- */

static void build_tree(struct fixture *f)
{
	/* L4 30 -> L3 31 -> L2 32 -> L1 33 -> data 40, 41 */
	T(f, 30)[0] = E(31, K);
	T(f, 30)[257] = E(50, K);	/* junk in a reserved slot */
	T(f, 31)[1] = E(32, K);
	T(f, 32)[2] = E(33, K);
	T(f, 33)[3] = E(40, K);
	T(f, 33)[4] = E(41, KRO);
}

static void test_pin_l4_tree(void **state)
{
	struct fixture *f = *state;

	build_tree(f);
	assert_int_equal(pt_pin(&f->mm, &f->w, 30, 4), 0);
	assert_int_equal(pt_type_of(&f->mm, 30), PGT_L4);
	assert_int_equal(pt_type_of(&f->mm, 31), PGT_L3);
	assert_int_equal(pt_type_of(&f->mm, 32), PGT_L2);
	assert_int_equal(pt_type_of(&f->mm, 33), PGT_L1);
	assert_int_equal(pt_type_of(&f->mm, 40), PGT_WRITABLE);
	assert_int_equal(pt_type_of(&f->mm, 41), PGT_NONE);
	assert_int_equal(f->pages[41].count, 1);
	/* Adjusted entries, and the hypervisor's slots installed. */
	assert_int_equal(T(f, 30)[0], E(31, K | _PAGE_USER));
	assert_int_equal(T(f, 31)[1], E(32, K | _PAGE_USER));
	assert_int_equal(T(f, 30)[257], RESERVED_E);
	assert_int_equal(T(f, 30)[256], 0);
	/* The junk was present: overwriting it must be replayed. */
	assert_int_equal(f->nr_touched, 1);
	assert_int_equal(f->touched[0], (30ull << PAGE_SHIFT) + 257 * 8);
	/* A second reference to the L3 from another L4, then gone again. */
	T(f, 34)[9] = E(31, KRO);
	assert_int_equal(pt_pin(&f->mm, &f->w, 34, 4), 0);
	assert_int_equal(f->pages[31].type_count, 2);
	assert_int_equal(pt_unpin(&f->mm, 34), 0);
	assert_int_equal(f->pages[31].type_count, 1);
	/* Everything is released when the pinned root goes. */
	assert_int_equal(pt_unpin(&f->mm, 30), 0);
	assert_all_free(f);
}

static void test_pin_l4_fails_deep(void **state)
{
	struct fixture *f = *state;

	build_tree(f);
	/* The L1 maps the L4 writable: the whole pin fails, nothing leaks. */
	T(f, 33)[5] = E(30, K);
	assert_int_equal(pt_pin(&f->mm, &f->w, 30, 4), -EBUSY);
	assert_all_free(f);
	T(f, 33)[5] = 0;
	/* PSE in an L2 or L3. */
	T(f, 32)[7] = E(0, K | _PAGE_PSE);
	assert_int_equal(pt_pin(&f->mm, &f->w, 30, 4), -EINVAL);
	assert_all_free(f);
	T(f, 32)[7] = 0;
	/* An L3 entry to a frame already typed L1. */
	assert_int_equal(pt_pin(&f->mm, &f->w, 35, 1), 0);
	T(f, 31)[8] = E(35, K);
	assert_int_equal(pt_pin(&f->mm, &f->w, 30, 4), -EINVAL);
	assert_int_equal(pt_unpin(&f->mm, 35), 0);
	assert_all_free(f);
	T(f, 31)[8] = 0;
	/* A table that is mapped writable cannot become one. */
	assert_int_equal(pt_get_page_and_type(&f->mm, NULL, 32, PGT_WRITABLE), 0);
	assert_int_equal(pt_pin(&f->mm, &f->w, 30, 4), -EINVAL);
	pt_put_page_and_type(&f->mm, 32);
	assert_all_free(f);
	/* An entry to a frame outside RAM. */
	T(f, 32)[9] = E(NR_PAGES + 3, K);
	assert_int_equal(pt_pin(&f->mm, &f->w, 30, 4), -EINVAL);
	assert_all_free(f);
}

/* ---- updates ------------------------------------------------------ */

static void test_mod_l1(void **state)
{
	struct fixture *f = *state;
	uint64_t base = 10ull << PAGE_SHIFT;

	assert_int_equal(pt_pin(&f->mm, &f->w, 10, 1), 0);
	/* Map (widening): no replay. */
	assert_int_equal(pt_mod_entry(&f->mm, &f->w, base, E(20, K), 1, false), 0);
	assert_int_equal(T(f, 10)[0], E(20, K | ADJ1));
	assert_int_equal(f->pages[20].type_count, 1);
	assert_int_equal(f->nr_touched, 0);
	/* Same frame, RW dropped: not the fast path; replayed. */
	assert_int_equal(pt_mod_entry(&f->mm, &f->w, base, E(20, KRO), 1, false), 0);
	assert_int_equal(f->pages[20].type_count, 0);
	assert_int_equal(f->pages[20].count, 1);
	assert_int_equal(f->nr_touched, 1);
	/* A/D only (fast path): A cleared must be replayed too. */
	assert_int_equal(pt_mod_entry(&f->mm, &f->w, base,
				      E(20, _PAGE_PRESENT), 1, false), 0);
	assert_int_equal(f->nr_touched, 2);
	assert_int_equal(f->pages[20].count, 1);
	/* PRESERVE_AD keeps what is there. */
	T(f, 10)[0] |= _PAGE_ACCESSED;
	assert_int_equal(pt_mod_entry(&f->mm, &f->w, base,
				      E(20, _PAGE_PRESENT | _PAGE_NX), 1, true), 0);
	assert_int_equal(T(f, 10)[0], E(20, _PAGE_PRESENT | _PAGE_ACCESSED |
					ADJ1 | _PAGE_NX));
	/* Retarget: old reference dropped, new one taken. */
	assert_int_equal(pt_mod_entry(&f->mm, &f->w, base, E(21, K), 1, false), 0);
	assert_int_equal(f->pages[20].count, 0);
	assert_int_equal(f->pages[21].type_count, 1);
	/* Errors leave the entry alone. */
	assert_int_equal(pt_mod_entry(&f->mm, &f->w, base, E(10, K), 1, false),
			 -EBUSY);
	assert_int_equal(pt_mod_entry(&f->mm, &f->w, base,
				      E(21, K | _PAGE_PWT), 1, false), -EINVAL);
	assert_int_equal(T(f, 10)[0], E(21, K | ADJ1));
	/* Unmap. */
	assert_int_equal(pt_mod_entry(&f->mm, &f->w, base, 0, 1, false), 0);
	assert_int_equal(pt_unpin(&f->mm, 10), 0);
	assert_all_free(f);
}

static void test_mod_upper(void **state)
{
	struct fixture *f = *state;
	uint64_t l4 = 30ull << PAGE_SHIFT;

	build_tree(f);
	assert_int_equal(pt_pin(&f->mm, &f->w, 30, 4), 0);
	/* Xen's slots are not the guest's. */
	for (unsigned int s = 256; s <= 271; s++)
		assert_int_equal(pt_mod_entry(&f->mm, &f->w, l4 + s * 8, 0, 4,
					      false), -EINVAL);
	assert_int_equal(T(f, 30)[257], RESERVED_E);
	/* A new L3 by reference (validated), then dropped again. */
	T(f, 36)[0] = E(32, KRO);
	assert_int_equal(pt_mod_entry(&f->mm, &f->w, l4 + 8, E(36, K), 4, false), 0);
	assert_int_equal(pt_type_of(&f->mm, 36), PGT_L3);
	assert_int_equal(f->pages[32].type_count, 2);
	assert_int_equal(pt_mod_entry(&f->mm, &f->w, l4 + 8, 0, 4, false), 0);
	assert_int_equal(pt_type_of(&f->mm, 36), PGT_NONE);
	assert_int_equal(f->pages[32].type_count, 1);
	/* Flags per level. */
	assert_int_equal(pt_mod_entry(&f->mm, &f->w, (32ull << PAGE_SHIFT) + 16,
				      E(37, K | _PAGE_PSE), 2, false), -EINVAL);
	assert_int_equal(pt_mod_entry(&f->mm, &f->w, (31ull << PAGE_SHIFT) + 16,
				      E(37, K | _PAGE_GLOBAL), 3, false), -EINVAL);
	/* An L2 entry to an RW-mapped data frame cannot make it an L1. */
	assert_int_equal(pt_mod_entry(&f->mm, &f->w, (32ull << PAGE_SHIFT) + 16,
				      E(40, K), 2, false), -EINVAL);
	assert_int_equal(pt_unpin(&f->mm, 30), 0);
	assert_all_free(f);
}

static void test_update_dispatch(void **state)
{
	struct fixture *f = *state;

	/* An untyped frame: a plain, unvalidated write. */
	assert_int_equal(pt_update(&f->mm, &f->w, (12ull << PAGE_SHIFT) + 8,
				   E(10, K | _PAGE_PCD), false), 0);
	assert_int_equal(T(f, 12)[1], E(10, K | _PAGE_PCD));
	assert_int_equal(f->nr_touched, 0);
	/* ... which it stays while it is not a table. */
	assert_int_equal(pt_pin(&f->mm, &f->w, 12, 1), -EINVAL);
	T(f, 12)[1] = 0;
	/* Typed: validated. */
	assert_int_equal(pt_pin(&f->mm, &f->w, 12, 1), 0);
	assert_int_equal(pt_update(&f->mm, &f->w, (12ull << PAGE_SHIFT) + 8,
				   E(10, K | _PAGE_PCD), false), -EINVAL);
	assert_int_equal(pt_update(&f->mm, &f->w, (12ull << PAGE_SHIFT) + 8,
				   E(10, K), false), 0);
	assert_int_equal(pt_update(&f->mm, &f->w, (12ull << PAGE_SHIFT) + 8,
				   0, false), 0);
	assert_int_equal(pt_unpin(&f->mm, 12), 0);
	/* Once a table: stores that narrow what the MMU may cache replay. */
	T(f, 12)[2] = E(10, K);
	assert_int_equal(f->nr_touched, 1);	/* the unmap above */
	assert_int_equal(pt_update(&f->mm, &f->w, (12ull << PAGE_SHIFT) + 16,
				   0, false), 0);
	assert_int_equal(f->nr_touched, 2);
	/* A descriptor page is no page table. */
	assert_int_equal(pt_get_page_and_type(&f->mm, NULL, 13, PGT_SEG_DESC), 0);
	assert_int_equal(pt_update(&f->mm, &f->w, 13ull << PAGE_SHIFT, 0, false),
			 -EINVAL);
	pt_put_page_and_type(&f->mm, 13);
	/* A frame the guest gave back. */
	f->pages[14].flags &= ~PGF_ALLOCATED;
	assert_int_equal(pt_update(&f->mm, &f->w, 14ull << PAGE_SHIFT, 0, false),
			 -EINVAL);
	assert_all_free(f);
}

/* ---- descriptor pages ---------------------------------------------- */

static void test_check_descriptor(void **state)
{
	uint64_t d;

	(void)state;
	d = 0x00af9a000000ffffull;		/* long code, DPL 0 */
	assert_true(pv_check_descriptor(&d));
	assert_int_equal(d, 0x00affa000000ffffull);
	d = 0x00cf92000000ffffull;		/* data, DPL 0 */
	assert_true(pv_check_descriptor(&d));
	assert_int_equal(d, 0x00cff2000000ffffull);
	d = 0x00cf12000000ffffull;		/* not present: untouched */
	assert_true(pv_check_descriptor(&d));
	assert_int_equal(d, 0x00cf12000000ffffull);
	d = 0x0000800000000000ull;		/* system type 0 */
	assert_true(pv_check_descriptor(&d));
	d = 0x0000890000000067ull;		/* available TSS */
	assert_false(pv_check_descriptor(&d));
	d = 0x00008e0000100000ull;		/* interrupt gate */
	assert_false(pv_check_descriptor(&d));
	/* Call gate to 0x10: DPL cleared, wanted DPL (3) kept in the RPL. */
	d = 0x0000ec0000101234ull;
	assert_true(pv_check_descriptor(&d));
	assert_int_equal(d, 0x00008c0000131234ull);
	d = 0x00008c00e0081234ull;		/* to the hypervisor's CS */
	assert_false(pv_check_descriptor(&d));
	d = 0x00008c00e0331234ull;		/* to FLAT_KERNEL_CS: fine */
	assert_true(pv_check_descriptor(&d));
	d = 0x00008c0100101234ull;		/* reserved bits set */
	assert_false(pv_check_descriptor(&d));
}

static void test_seg_desc_type(void **state)
{
	struct fixture *f = *state;

	T(f, 15)[2] = 0x00af9a000000ffffull;
	assert_int_equal(pt_get_page_and_type(&f->mm, NULL, 15, PGT_SEG_DESC), 0);
	assert_int_equal(T(f, 15)[2], 0x00affa000000ffffull);
	assert_int_equal(pt_get_type(&f->mm, NULL, 15, PGT_WRITABLE), -EINVAL);
	pt_put_page_and_type(&f->mm, 15);
	T(f, 16)[511] = 0x0000890000000067ull;
	assert_int_equal(pt_get_page_and_type(&f->mm, NULL, 16, PGT_SEG_DESC),
			 -EINVAL);
	assert_all_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_adjust, setup, teardown),
		cmocka_unit_test_setup_teardown(test_widening, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_put_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_type_at_a_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pin_l1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pin_l1_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pin_l4_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pin_l4_fails_deep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mod_l1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mod_upper, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_dispatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_descriptor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seg_desc_type, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
