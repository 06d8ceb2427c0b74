/* SPDX-License-Identifier: MIT */
/*
 * memory_op's queries (arch/x86/pv/memory_op.c) against the values Xen
 * returns for the same input (common/memory.c, x86 arch_memory_op):
 * memory_map, current/maximum_reservation and maximum_gpfn.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pvabi/memory.h>

#include "hc_fixture.h"
#include "pvisor/domain.h"
#include "pvisor/hypercall.h"
#include "pvisor/pv_vcpu.h"

#define MEMOP_EXTENT	(1ull << 6)		/* start extent 1 */

static int setup(void **state)
{
	struct hc_fixture *f = hc_fixture_new();

	f->d.id = 7;
	f->d.shared_info = &f->si;
	f->d.mm.tot_pages = 1000;
	f->d.mm.max_pages = 1024;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	hc_fixture_free(*state);
	return 0;
}

static long memop(struct hc_fixture *f, uint64_t cmd, uint64_t arg)
{
	const uint64_t a[6] = { cmd, arg };

	return do_memory_op(&f->vcpu, a);
}

static long memory_map(struct hc_fixture *f, uint32_t nr, uint64_t buffer)
{
	struct xen_memory_map map = { .nr_entries = nr, .buffer = buffer };

	memcpy(fm_ptr(&f->fm, ARG_PA), &map, sizeof(map));
	return memop(f, XENMEM_memory_map, ARG_VA);
}

/* XENMEM_memory_map copies min(nr_entries, the map's) entries. */
static void test_memory_map(void **state)
{
	struct hc_fixture *f = *state;
	struct xen_memory_map map;
	struct e820entry e;

	assert_int_equal(memory_map(f, 4, ARG_VA + 0x100), 0);
	memcpy(&map, fm_ptr(&f->fm, ARG_PA), sizeof(map));
	memcpy(&e, fm_ptr(&f->fm, ARG_PA + 0x100), sizeof(e));
	assert_int_equal(map.nr_entries, 1);
	assert_int_equal(e.addr, 0);
	assert_int_equal(e.size, FM_RAM_PAGES << PAGE_SHIFT);
	assert_int_equal(e.type, E820_RAM);
	/* Room for none: nothing copied, no error. */
	assert_int_equal(memory_map(f, 0, HOLE_VA), 0);
	memcpy(&map, fm_ptr(&f->fm, ARG_PA), sizeof(map));
	assert_int_equal(map.nr_entries, 0);
	assert_int_equal(memory_map(f, 1, HOLE_VA), -EFAULT);
	assert_int_equal(memop(f, XENMEM_memory_map, HOLE_VA), -EFAULT);
}

static long query(struct hc_fixture *f, uint64_t cmd, domid_t id)
{
	memcpy(fm_ptr(&f->fm, ARG_PA), &id, sizeof(id));
	return memop(f, cmd, ARG_VA);
}

static void test_reservation_queries(void **state)
{
	struct hc_fixture *f = *state;

	assert_int_equal(query(f, XENMEM_current_reservation, DOMID_SELF),
			 1000);
	assert_int_equal(query(f, XENMEM_maximum_reservation, 7), 1024);
	/* Xen: -EINVAL with a start extent, -EFAULT, -ESRCH, -EPERM. */
	assert_int_equal(query(f, XENMEM_current_reservation | MEMOP_EXTENT,
			       DOMID_SELF), -EINVAL);
	assert_int_equal(memop(f, XENMEM_current_reservation, HOLE_VA),
			 -EFAULT);
	assert_int_equal(query(f, XENMEM_current_reservation, 5000), -ESRCH);
	assert_int_equal(query(f, XENMEM_current_reservation, DOMID_IO),
			 -ESRCH);
	assert_int_equal(query(f, XENMEM_maximum_reservation, DOMID_XEN),
			 -ESRCH);
	assert_int_equal(query(f, XENMEM_current_reservation, 0), -EPERM);
}

/* A PV guest's maximum_gpfn: its shared_info max_pfn (a count) - 1. */
static void test_maximum_gpfn(void **state)
{
	struct hc_fixture *f = *state;

	assert_int_equal(query(f, XENMEM_maximum_gpfn, DOMID_SELF), 0);
	f->si.arch.max_pfn = 0x8000;
	assert_int_equal(query(f, XENMEM_maximum_gpfn, DOMID_SELF), 0x7fff);
	assert_int_equal(query(f, XENMEM_maximum_gpfn, 7), 0x7fff);
	assert_int_equal(query(f, XENMEM_maximum_gpfn | MEMOP_EXTENT,
			       DOMID_SELF), -EINVAL);
	assert_int_equal(query(f, XENMEM_maximum_gpfn, 5000), -ESRCH);
	assert_int_equal(memop(f, XENMEM_maximum_gpfn, HOLE_VA), -EFAULT);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_memory_map),
		T(test_reservation_queries),
		T(test_maximum_gpfn),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
