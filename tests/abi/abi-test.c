/* SPDX-License-Identifier: MIT */
/*
 * The pvabi headers must describe Xen's guest ABI exactly.  This test
 * evaluates abi-list.h under pvabi and under Xen's public headers and
 * compares the two, entry by entry, printing every difference.  A few
 * layouts Xen's headers do not describe are checked against fixed
 * values instead.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <pvabi/memory.h>
#include <pvabi/xen.h>

#include "abi-entry.h"

#define ABI_MAX_ENTRIES	4096

static struct abi_entry ours[ABI_MAX_ENTRIES];
static struct abi_entry xen[ABI_MAX_ENTRIES];

static int entry_differs(const struct abi_entry *a, const struct abi_entry *b)
{
	if (strcmp(a->name, b->name) != 0)
		return 1;
	if (a->str || b->str)
		return !a->str || !b->str || strcmp(a->str, b->str) != 0;
	return a->value != b->value;
}

static void print_value(const struct abi_entry *e)
{
	if (e->str)
		printf("\"%s\"", e->str);
	else
		printf("%llu (0x%llx)", (unsigned long long)e->value,
		       (unsigned long long)e->value);
}

static void test_layout_matches_xen(void **state)
{
	size_t n_ours = abi_collect_ours(ours, ABI_MAX_ENTRIES);
	size_t n_xen = abi_collect_xen(xen, ABI_MAX_ENTRIES);
	size_t i, bad = 0;

	(void)state;
	assert_true(n_ours <= ABI_MAX_ENTRIES);
	/* Both sides expand the same list, so this only fails on a bug here. */
	assert_int_equal(n_ours, n_xen);

	for (i = 0; i < n_ours; i++) {
		if (!entry_differs(&ours[i], &xen[i]))
			continue;
		bad++;
		printf("mismatch: %s: pvabi ", ours[i].name);
		print_value(&ours[i]);
		printf(", xen ");
		print_value(&xen[i]);
		printf("\n");
	}
	printf("abi-layout: %zu entries checked, %zu mismatches\n", n_ours, bad);
	fflush(stdout);
	assert_int_equal(bad, 0);
}

/* The BIOS e820 entry format that XENMEM_memory_map returns. */
static void test_e820_entry(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct e820entry), 20);
	assert_int_equal(offsetof(struct e820entry, addr), 0);
	assert_int_equal(offsetof(struct e820entry, size), 8);
	assert_int_equal(offsetof(struct e820entry, type), 16);
	assert_int_equal(E820_RAM, 1);
	assert_int_equal(E820_RESERVED, 2);
	assert_int_equal(E820_ACPI, 3);
	assert_int_equal(E820_NVS, 4);
	assert_int_equal(E820_UNUSABLE, 5);
}

/* Sizes the domain builder and the guests rely on, as documented. */
static void test_documented_sizes(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct vcpu_info), 64);
	assert_int_equal(sizeof(struct start_info), 1168);
	assert_int_equal(sizeof(struct shared_info), 3136);
	assert_true(sizeof(struct shared_info) <= 4096);
}

/* A guest handle is set from a pointer and keeps all 64 bits. */
static void test_guest_handle(void **state)
{
	struct xen_memory_reservation r = { 0 };
	xen_pfn_t frames[1];

	(void)state;
	set_xen_guest_handle(r.extent_start, frames);
	assert_int_equal(r.extent_start, (uint64_t)(uintptr_t)frames);
	set_xen_guest_handle(r.extent_start, NULL);
	assert_int_equal(r.extent_start, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_matches_xen),
		cmocka_unit_test(test_e820_entry),
		cmocka_unit_test(test_documented_sizes),
		cmocka_unit_test(test_guest_handle),
	};

	return cmocka_run_group_tests_name("abi-layout", tests, NULL, NULL);
}
