/* SPDX-License-Identifier: MIT */
/* Guest page-table walks and guest memory copies (core/guest_mem.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_mem.h"

#define HV_BASE_PFN	0x100000ull
#define HV_PAGES	3

struct fixture {
	struct fake_mem fm;
	uint64_t cr3;
	uint8_t *hv;
	uint8_t hv_access[HV_PAGES];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	fm_init(&f->fm, FM_RAM_PAGES);
	f->cr3 = fm_alloc_table(&f->fm);
	f->hv = calloc(HV_PAGES, PAGE_SIZE);
	f->hv_access[0] = HV_ACCESS_READ;
	f->hv_access[1] = HV_ACCESS_READ | HV_ACCESS_WRITE;
	f->hv_access[2] = 0;
	f->fm.gm.hv = f->hv;
	f->fm.gm.hv_base_pfn = HV_BASE_PFN;
	f->fm.gm.hv_nr_pages = HV_PAGES;
	f->fm.gm.hv_access = f->hv_access;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fm_free(&f->fm);
	free(f->hv);
	free(f);
	return 0;
}

static void test_translate_4k(void **state)
{
	struct fixture *f = *state;
	uint64_t gpa = 0, pte = 0;

	fm_map(&f->fm, f->cr3, 0x400000, 0x10000, FM_LEAF_RW);
	assert_int_equal(gmem_translate(&f->fm.gm, f->cr3, 0x400123, false,
					&gpa, &pte), 0);
	assert_int_equal(gpa, 0x10123);
	assert_int_equal(pte, 0x10000 | FM_LEAF_RW);
	assert_int_equal(gmem_translate(&f->fm.gm, f->cr3, 0x400fff, true,
					&gpa, NULL), 0);
	assert_int_equal(gpa, 0x10fff);
	/* The neighbouring page is not mapped. */
	assert_int_equal(gmem_translate(&f->fm.gm, f->cr3, 0x401000, false,
					&gpa, NULL), -EFAULT);
	/* cr3 low bits (PCD/PWT...) are ignored. */
	assert_int_equal(gmem_translate(&f->fm.gm, f->cr3 | 0x18, 0x400010,
					false, &gpa, NULL), 0);
	assert_int_equal(gpa, 0x10010);
}

/* CR4.LA57 (GMEM_CR3_LA57): one more level, 57-bit canonical. */
static void test_translate_5level(void **state)
{
	struct fixture *f = *state;
	uint64_t l5 = fm_alloc_table(&f->fm);
	uint64_t va = 0x00ab000000400123ull, gpa = 0;

	fm_map(&f->fm, f->cr3, 0x400000, 0x10000, FM_LEAF_RW);
	fm_table(&f->fm, l5)[0xab] = f->cr3 | _PAGE_PRESENT | _PAGE_RW;
	assert_int_equal(gmem_translate(&f->fm.gm, l5 | GMEM_CR3_LA57, va,
					true, &gpa, NULL), 0);
	assert_int_equal(gpa, 0x10123);
	/* Not canonical for 4 levels; an empty slot of the top table. */
	assert_int_equal(gmem_translate(&f->fm.gm, l5, va, false, &gpa, NULL),
			 -EFAULT);
	assert_int_equal(gmem_translate(&f->fm.gm, l5 | GMEM_CR3_LA57,
					va + (1ull << 48), false, &gpa, NULL),
			 -EFAULT);
	/* Bit 56 set without the sign extension above it. */
	assert_int_equal(gmem_translate(&f->fm.gm, l5 | GMEM_CR3_LA57,
					0x0100000000400123ull, false, &gpa,
					NULL), -EFAULT);
	/* 4-level use of the same tables is unchanged. */
	assert_int_equal(gmem_translate(&f->fm.gm, f->cr3, 0x400123, false,
					&gpa, NULL), 0);
	assert_int_equal(gpa, 0x10123);
}

static void test_translate_2m(void **state)
{
	struct fixture *f = *state;
	uint64_t gpa = 0, pte = 0;
	uint64_t va = 0x40000000ull;

	fm_map_level(&f->fm, f->cr3, va, 0x200000, FM_LEAF_RW, 2);
	assert_int_equal(gmem_translate(&f->fm.gm, f->cr3, va + 0x1a2b3c,
					false, &gpa, &pte), 0);
	assert_int_equal(gpa, 0x200000 + 0x1a2b3c);
	assert_true(pte & _PAGE_PSE);
	/* Data is read through the large page. */
	fm_ptr(&f->fm, 0x300010)[0] = 0x5a;
	{
		uint8_t b = 0;

		assert_int_equal(gmem_read(&f->fm.gm, f->cr3, va + 0x100010,
					   &b, 1), 0);
		assert_int_equal(b, 0x5a);
	}
}

static void test_translate_1g(void **state)
{
	struct fixture *f = *state;
	uint64_t gpa = 0, pte = 0;
	uint64_t va = 0x0000004000000000ull;	/* 256 GiB, L3 slot 256 */

	fm_map_level(&f->fm, f->cr3, va, 0, FM_LEAF_RW, 3);
	assert_int_equal(gmem_translate(&f->fm.gm, f->cr3, va + 0x123456,
					true, &gpa, &pte), 0);
	assert_int_equal(gpa, 0x123456);
	assert_int_equal(pte, FM_LEAF_RW | _PAGE_PSE);
	/* Offsets far into the 1G page keep their bits. */
	assert_int_equal(gmem_translate(&f->fm.gm, f->cr3, va + 0x3fffffff,
					false, &gpa, NULL), 0);
	assert_int_equal(gpa, 0x3fffffff);
}

static void test_not_present(void **state)
{
	struct fixture *f = *state;
	uint64_t gpa = 0, *leaf;
	uint8_t b;

	/* Nothing mapped at all. */
	assert_int_equal(gmem_translate(&f->fm.gm, f->cr3, 0x1000, false,
					&gpa, NULL), -EFAULT);
	/* A leaf without P. */
	leaf = fm_map(&f->fm, f->cr3, 0x800000, 0x20000, FM_LEAF_RW);
	*leaf &= ~_PAGE_PRESENT;
	assert_int_equal(gmem_translate(&f->fm.gm, f->cr3, 0x800000, false,
					&gpa, NULL), -EFAULT);
	assert_int_equal(gmem_read(&f->fm.gm, f->cr3, 0x800000, &b, 1),
			 -EFAULT);
	*leaf |= _PAGE_PRESENT;
	assert_int_equal(gmem_read(&f->fm.gm, f->cr3, 0x800000, &b, 1), 0);
}

static void test_write_readonly(void **state)
{
	struct fixture *f = *state;
	uint64_t gpa = 0, *l4e;
	uint8_t b = 0x77;

	fm_map(&f->fm, f->cr3, 0x600000, 0x30000, FM_LEAF_RO);
	fm_ptr(&f->fm, 0x30000)[5] = 0x11;
	assert_int_equal(gmem_translate(&f->fm.gm, f->cr3, 0x600005, false,
					&gpa, NULL), 0);
	assert_int_equal(gpa, 0x30005);
	assert_int_equal(gmem_translate(&f->fm.gm, f->cr3, 0x600005, true,
					&gpa, NULL), -EFAULT);
	assert_int_equal(gmem_write(&f->fm.gm, f->cr3, 0x600005, &b, 1),
			 -EFAULT);
	assert_int_equal(fm_ptr(&f->fm, 0x30000)[5], 0x11);

	/* Read-only at an intermediate level also refuses writes. */
	fm_map(&f->fm, f->cr3, 0x0000008000000000ull, 0x31000, FM_LEAF_RW);
	l4e = &fm_table(&f->fm, f->cr3)[1];
	*l4e &= ~_PAGE_RW;
	assert_int_equal(gmem_write(&f->fm.gm, f->cr3, 0x0000008000000000ull,
				    &b, 1), -EFAULT);
	assert_int_equal(fm_ptr(&f->fm, 0x31000)[0], 0);
	*l4e |= _PAGE_RW;
	assert_int_equal(gmem_write(&f->fm.gm, f->cr3, 0x0000008000000000ull,
				    &b, 1), 0);
	assert_int_equal(fm_ptr(&f->fm, 0x31000)[0], 0x77);
}

static void test_noncanonical_and_reserved(void **state)
{
	struct fixture *f = *state;
	uint64_t gpa = 0;

	/*
	 * L4 slot 256 is mapped: the non-canonical 0x0000800000000000 and
	 * the reserved 0xffff800000000000 would both walk into it.
	 */
	fm_map(&f->fm, f->cr3, FM_RESERVED_START, 0x40000, FM_LEAF_RW);
	fm_map(&f->fm, f->cr3, FM_RESERVED_END - PAGE_SIZE, 0x41000,
	       FM_LEAF_RW);
	fm_map(&f->fm, f->cr3, FM_RESERVED_END, 0x42000, FM_LEAF_RW);

	assert_int_equal(gmem_translate(&f->fm.gm, f->cr3,
					0x0000800000000000ull, false, &gpa,
					NULL), -EFAULT);
	assert_int_equal(gmem_translate(&f->fm.gm, f->cr3,
					0x8000000000000000ull, false, &gpa,
					NULL), -EFAULT);
	assert_int_equal(gmem_translate(&f->fm.gm, f->cr3, FM_RESERVED_START,
					false, &gpa, NULL), -EFAULT);
	assert_int_equal(gmem_translate(&f->fm.gm, f->cr3,
					FM_RESERVED_END - 1, false, &gpa,
					NULL), -EFAULT);
	/* The first address after the reserved range is reachable. */
	assert_int_equal(gmem_translate(&f->fm.gm, f->cr3, FM_RESERVED_END,
					false, &gpa, NULL), 0);
	assert_int_equal(gpa, 0x42000);
	/* With no reserved range the same mapping would be reachable. */
	f->fm.gm.reserved_va_start = f->fm.gm.reserved_va_end = 0;
	assert_int_equal(gmem_translate(&f->fm.gm, f->cr3, FM_RESERVED_START,
					false, &gpa, NULL), 0);
	assert_int_equal(gpa, 0x40000);
}


static void test_tables_outside_ram(void **state)
{
	struct fixture *f = *state;
	uint64_t gpa = 0, *l4e, good;

	fm_map(&f->fm, f->cr3, 0x400000, 0x10000, FM_LEAF_RW);
	l4e = &fm_table(&f->fm, f->cr3)[0];
	good = *l4e;

	/* L3 beyond the end of RAM. */
	*l4e = (FM_RAM_PAGES << PAGE_SHIFT) | FM_TABLE_FLAGS;
	assert_int_equal(gmem_translate(&f->fm.gm, f->cr3, 0x400000, false,
					&gpa, NULL), -EFAULT);
	/* L3 in a hypervisor frame the guest may even write: still no. */
	*l4e = ((HV_BASE_PFN + 1) << PAGE_SHIFT) | FM_TABLE_FLAGS;
	assert_int_equal(gmem_translate(&f->fm.gm, f->cr3, 0x400000, false,
					&gpa, NULL), -EFAULT);
	*l4e = good;
	assert_int_equal(gmem_translate(&f->fm.gm, f->cr3, 0x400000, false,
					&gpa, NULL), 0);
	/* cr3 itself outside RAM. */
	assert_int_equal(gmem_translate(&f->fm.gm, FM_RAM_PAGES << PAGE_SHIFT,
					0x400000, false, &gpa, NULL), -EFAULT);

	/* A leaf pointing past RAM translates, but cannot be accessed. */
	{
		uint8_t b;

		fm_map(&f->fm, f->cr3, 0x500000, 0x40000000ull, FM_LEAF_RW);
		assert_int_equal(gmem_translate(&f->fm.gm, f->cr3, 0x500000,
						false, &gpa, NULL), 0);
		assert_int_equal(gpa, 0x40000000ull);
		assert_int_equal(gmem_read(&f->fm.gm, f->cr3, 0x500000, &b, 1),
				 -EFAULT);
		assert_int_equal(gmem_write(&f->fm.gm, f->cr3, 0x500000, &b,
					    1), -EFAULT);
	}
}

static void test_cross_page_copy(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[16], out[16];

	/* Two consecutive VA pages on non-adjacent frames. */
	fm_map(&f->fm, f->cr3, 0x700000, 0x50000, FM_LEAF_RW);
	fm_map(&f->fm, f->cr3, 0x701000, 0x20000, FM_LEAF_RW);
	for (unsigned int i = 0; i < 16; i++)
		buf[i] = (uint8_t)(0xa0 + i);
	assert_int_equal(gmem_write(&f->fm.gm, f->cr3, 0x700ff8, buf, 16), 0);
	assert_memory_equal(fm_ptr(&f->fm, 0x50ff8), buf, 8);
	assert_memory_equal(fm_ptr(&f->fm, 0x20000), buf + 8, 8);
	memset(out, 0, sizeof(out));
	assert_int_equal(gmem_read(&f->fm.gm, f->cr3, 0x700ff8, out, 16), 0);
	assert_memory_equal(out, buf, 16);

	/* Next page not mapped: the copy fails as a whole. */
	fm_map(&f->fm, f->cr3, 0x710000, 0x51000, FM_LEAF_RW);
	assert_int_equal(gmem_read(&f->fm.gm, f->cr3, 0x710ffc, out, 8),
			 -EFAULT);
	assert_int_equal(gmem_write(&f->fm.gm, f->cr3, 0x710ffc, buf, 8),
			 -EFAULT);
	/* Next page read-only: writes fail, reads work. */
	fm_map(&f->fm, f->cr3, 0x711000, 0x52000, FM_LEAF_RO);
	assert_int_equal(gmem_write(&f->fm.gm, f->cr3, 0x710ffc, buf, 8),
			 -EFAULT);
	assert_int_equal(gmem_read(&f->fm.gm, f->cr3, 0x710ffc, out, 8), 0);
	/* A copy ending exactly at the page end does not touch the next. */
	fm_map(&f->fm, f->cr3, 0x720000, 0x53000, FM_LEAF_RW);
	assert_int_equal(gmem_write(&f->fm.gm, f->cr3, 0x720ff0, buf, 16), 0);
	assert_memory_equal(fm_ptr(&f->fm, 0x53ff0), buf, 16);
}

static void test_hv_frames(void **state)
{
	struct fixture *f = *state;
	uint8_t b = 0, v = 0x99;

	/* gmem_frame directly. */
	assert_ptr_equal(gmem_frame(&f->fm.gm, 3, true),
			 f->fm.gm.ram + 3 * PAGE_SIZE);
	assert_ptr_equal(gmem_ram_frame(&f->fm.gm, 3),
			 f->fm.gm.ram + 3 * PAGE_SIZE);
	assert_null(gmem_ram_frame(&f->fm.gm, FM_RAM_PAGES));
	assert_null(gmem_ram_frame(&f->fm.gm, HV_BASE_PFN));
	assert_null(gmem_frame(&f->fm.gm, FM_RAM_PAGES, false));
	assert_null(gmem_frame(&f->fm.gm, HV_BASE_PFN - 1, false));
	assert_ptr_equal(gmem_frame(&f->fm.gm, HV_BASE_PFN, false), f->hv);
	assert_null(gmem_frame(&f->fm.gm, HV_BASE_PFN, true));
	assert_ptr_equal(gmem_frame(&f->fm.gm, HV_BASE_PFN + 1, true),
			 f->hv + PAGE_SIZE);
	assert_null(gmem_frame(&f->fm.gm, HV_BASE_PFN + 2, false));
	assert_null(gmem_frame(&f->fm.gm, HV_BASE_PFN + HV_PAGES, false));

	/* Through guest mappings (PTEs writable in every case). */
	fm_map(&f->fm, f->cr3, 0x900000, HV_BASE_PFN << PAGE_SHIFT,
	       FM_LEAF_RW);
	fm_map(&f->fm, f->cr3, 0x901000, (HV_BASE_PFN + 1) << PAGE_SHIFT,
	       FM_LEAF_RW);
	fm_map(&f->fm, f->cr3, 0x902000, (HV_BASE_PFN + 2) << PAGE_SHIFT,
	       FM_LEAF_RW);
	f->hv[10] = 0x42;
	assert_int_equal(gmem_read(&f->fm.gm, f->cr3, 0x90000a, &b, 1), 0);
	assert_int_equal(b, 0x42);
	assert_int_equal(gmem_write(&f->fm.gm, f->cr3, 0x90000a, &v, 1),
			 -EFAULT);
	assert_int_equal(f->hv[10], 0x42);

	assert_int_equal(gmem_write(&f->fm.gm, f->cr3, 0x901010, &v, 1), 0);
	assert_int_equal(f->hv[PAGE_SIZE + 0x10], 0x99);
	assert_int_equal(gmem_read(&f->fm.gm, f->cr3, 0x901010, &b, 1), 0);
	assert_int_equal(b, 0x99);

	assert_int_equal(gmem_read(&f->fm.gm, f->cr3, 0x902000, &b, 1),
			 -EFAULT);

	/* No hypervisor region at all. */
	f->fm.gm.hv = NULL;
	assert_null(gmem_frame(&f->fm.gm, HV_BASE_PFN + 1, false));
}

static void test_read_string(void **state)
{
	struct fixture *f = *state;
	char s[16];

	fm_map(&f->fm, f->cr3, 0xa00000, 0x60000, FM_LEAF_RO);
	memcpy(fm_ptr(&f->fm, 0x60000), "hello\0", 6);
	memcpy(fm_ptr(&f->fm, 0x60100), "0123456789abcdefXYZ", 20);

	memset(s, 'x', sizeof(s));
	assert_int_equal(gmem_read_string(&f->fm.gm, f->cr3, 0xa00000, s,
					  sizeof(s)), 0);
	assert_string_equal(s, "hello");

	/* max-2 characters fit; max-1 too (see test_read_string_exact_fit). */
	memset(s, 'x', sizeof(s));
	assert_int_equal(gmem_read_string(&f->fm.gm, f->cr3, 0xa00000, s, 7),
			 0);
	assert_string_equal(s, "hello");
	/* max characters do not. */
	memset(s, 'x', sizeof(s));
	assert_int_equal(gmem_read_string(&f->fm.gm, f->cr3, 0xa00000, s, 5),
			 -ENAMETOOLONG);
	assert_string_equal(s, "hell");

	memset(s, 'x', sizeof(s));
	assert_int_equal(gmem_read_string(&f->fm.gm, f->cr3, 0xa00100, s,
					  sizeof(s)), -ENAMETOOLONG);
	assert_string_equal(s, "0123456789abcde");

	/* A string running into an unmapped page. */
	memset(fm_ptr(&f->fm, 0x60ffc), 'A', 4);
	assert_int_equal(gmem_read_string(&f->fm.gm, f->cr3, 0xa00ffc, s,
					  sizeof(s)), -EFAULT);
	/* Unmapped start. */
	assert_int_equal(gmem_read_string(&f->fm.gm, f->cr3, 0xb00000, s,
					  sizeof(s)), -EFAULT);
}

static void test_len_wraparound(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[0x2000];

	/* The top page and page 0 are both mapped. */
	fm_map(&f->fm, f->cr3, 0xfffffffffffff000ull, 0x70000, FM_LEAF_RW);
	fm_map(&f->fm, f->cr3, 0, 0x71000, FM_LEAF_RW);
	memset(buf, 0xee, sizeof(buf));

	assert_int_equal(gmem_read(&f->fm.gm, f->cr3, 0xfffffffffffff000ull,
				   buf, 0x1000), 0);
	assert_int_equal(gmem_read(&f->fm.gm, f->cr3, 0xfffffffffffff000ull,
				   buf, 0x2000), -EFAULT);
	assert_int_equal(gmem_write(&f->fm.gm, f->cr3, 0xfffffffffffff800ull,
				    buf, 0x1000), -EFAULT);
	/* Nothing was written to either page. */
	assert_int_equal(fm_ptr(&f->fm, 0x70fff)[0], 0);
	assert_int_equal(fm_ptr(&f->fm, 0x71000)[0], 0);
	/* A huge length wraps as well. */
	assert_int_equal(gmem_read(&f->fm.gm, f->cr3, 0x10, buf, SIZE_MAX),
			 -EFAULT);
}


/* Wrap-around with lower-half addresses. */
/*
 * guest_mem.h: "Copy a NUL-terminated string of at most max-1 bytes".
 * gmem_read_string stops its loop before reading the byte at index
 * max-1, so a string of exactly max-1 characters (which fits with its
 * NUL) is refused with -ENAMETOOLONG.
 */
static void test_read_string_exact_fit(void **state)
{
	struct fixture *f = *state;
	char s[8];

	fm_map(&f->fm, f->cr3, 0xa00000, 0x60000, FM_LEAF_RO);
	memcpy(fm_ptr(&f->fm, 0x60000), "hello\0", 6);
	memset(s, 'x', sizeof(s));
	assert_int_equal(gmem_read_string(&f->fm.gm, f->cr3, 0xa00000, s, 6),
			 0);
	assert_string_equal(s, "hello");
}

static void test_len_wraparound_low(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[64];

	fm_map(&f->fm, f->cr3, 0, 0x71000, FM_LEAF_RW);
	memset(fm_ptr(&f->fm, 0x71000), 0x3c, PAGE_SIZE);
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(gmem_read(&f->fm.gm, f->cr3, 0x10, buf, sizeof(buf)),
			 0);
	assert_int_equal(buf[0], 0x3c);
	/*
	 * va + len wraps: refused before any byte is copied (without the
	 * check, page 0 would be copied over the 64-byte buffer).
	 */
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(gmem_read(&f->fm.gm, f->cr3, 0x10, buf,
				   SIZE_MAX - 7), -EFAULT);
	assert_int_equal(buf[0], 0xee);
	assert_int_equal(gmem_write(&f->fm.gm, f->cr3, 0x10, buf,
				    SIZE_MAX - 7), -EFAULT);
	assert_int_equal(fm_ptr(&f->fm, 0x71010)[0], 0x3c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_translate_4k, setup, teardown),
		cmocka_unit_test_setup_teardown(test_translate_5level, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_translate_2m, setup, teardown),
		cmocka_unit_test_setup_teardown(test_translate_1g, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_present, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_readonly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_noncanonical_and_reserved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tables_outside_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cross_page_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hv_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_string, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_string_exact_fit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_len_wraparound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_len_wraparound_low, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
