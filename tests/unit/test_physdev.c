/* SPDX-License-Identifier: MIT */
/*
 * physdev_op for a domU (arch/x86/pv/physdev.c): set_iopl and
 * set_iobitmap, and the error codes Xen's do_physdev_op returns to an
 * unprivileged PV guest for the device operations it refuses.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pvabi/physdev.h>

#include "hc_fixture.h"
#include "pvisor/domain.h"
#include "pvisor/hypercall.h"
#include "pvisor/pv_vcpu.h"


static int setup(void **state)
{
	*state = hc_fixture_new();
	return 0;
}

static int teardown(void **state)
{
	hc_fixture_free(*state);
	return 0;
}

static long op(struct hc_fixture *f, uint64_t cmd, uint64_t arg)
{
	const uint64_t a[6] = { cmd, arg };

	return do_physdev_op(&f->vcpu, a);
}

static long set_iobitmap(struct hc_fixture *f, uint64_t bitmap, uint32_t nr)
{
	struct physdev_set_iobitmap b = { .bitmap = bitmap, .nr_ports = nr };

	memcpy(fm_ptr(&f->fm, ARG_PA), &b, sizeof(b));
	return op(f, PHYSDEVOP_set_iobitmap, ARG_VA);
}

static void test_set_iobitmap(void **state)
{
	struct hc_fixture *f = *state;

	assert_int_equal(set_iobitmap(f, 0x0000000000d00000ull, 0x400), 0);
	assert_int_equal(f->v->iobmp, 0x0000000000d00000ull);
	assert_int_equal(f->v->iobmp_nr, 0x400);
	/* All 65536 ports; not read until a port is used, so a hole is ok. */
	assert_int_equal(set_iobitmap(f, HOLE_VA, 65536), 0);
	assert_int_equal(f->v->iobmp_nr, 65536);
	/* Off again. */
	assert_int_equal(set_iobitmap(f, 0, 0), 0);
	assert_int_equal(f->v->iobmp_nr, 0);
	/* Above the kernel's hole is a guest address too. */
	assert_int_equal(set_iobitmap(f, 0xffff880000000000ull, 8), 0);
}

/* Xen: -EFAULT for the argument, -EINVAL for the handle or nr_ports. */
static void test_set_iobitmap_refused(void **state)
{
	struct hc_fixture *f = *state;

	assert_int_equal(set_iobitmap(f, 0x0000000000d00000ull, 0x400), 0);
	assert_int_equal(op(f, PHYSDEVOP_set_iobitmap, HOLE_VA), -EFAULT);
	assert_int_equal(op(f, PHYSDEVOP_set_iobitmap, 0), -EFAULT);
	assert_int_equal(set_iobitmap(f, 0x1000, 65537), -EINVAL);
	assert_int_equal(set_iobitmap(f, 0x1000, 0xffffffffu), -EINVAL);
	/* Non-canonical, and the hypervisor's slots. */
	assert_int_equal(set_iobitmap(f, 0x0000800000000000ull, 8), -EINVAL);
	assert_int_equal(set_iobitmap(f, 0xffff800000000000ull, 8), -EINVAL);
	assert_int_equal(set_iobitmap(f, 0xffff87ffffffffffull, 0), -EINVAL);
	/* Nothing changed by the refusals. */
	assert_int_equal(f->v->iobmp, 0x0000000000d00000ull);
	assert_int_equal(f->v->iobmp_nr, 0x400);
}

static void test_set_iopl(void **state)
{
	struct hc_fixture *f = *state;
	uint32_t iopl = 3;

	memcpy(fm_ptr(&f->fm, ARG_PA), &iopl, sizeof(iopl));
	assert_int_equal(op(f, PHYSDEVOP_set_iopl, ARG_VA), 0);
	assert_int_equal(f->v->iopl, 3);
	iopl = 4;
	memcpy(fm_ptr(&f->fm, ARG_PA), &iopl, sizeof(iopl));
	assert_int_equal(op(f, PHYSDEVOP_set_iopl, ARG_VA), -EINVAL);
	assert_int_equal(op(f, PHYSDEVOP_set_iopl, HOLE_VA), -EFAULT);
	assert_int_equal(f->v->iopl, 3);
	/* The command is an int: high bits are not part of it. */
	memcpy(fm_ptr(&f->fm, ARG_PA), &(uint32_t){ 1 }, 4);
	assert_int_equal(op(f, (1ull << 32) | PHYSDEVOP_set_iopl, ARG_VA), 0);
	assert_int_equal(f->v->iopl, 1);
}

/* What Xen's do_physdev_op gives a domU that owns no device. */
static void test_device_ops_refused(void **state)
{
	struct hc_fixture *f = *state;

	memset(fm_ptr(&f->fm, ARG_PA), 0, 64);
	/* eoi: read, then no such pirq. */
	assert_int_equal(op(f, PHYSDEVOP_eoi, ARG_VA), -EINVAL);
	assert_int_equal(op(f, PHYSDEVOP_eoi, HOLE_VA), -EFAULT);
	/* Legacy unmask: nothing bound, nothing to do. */
	assert_int_equal(op(f, PHYSDEVOP_IRQ_UNMASK_NOTIFY, 0), 0);
	/* I/O APIC access and vectors: read, then dom0's only. */
	assert_int_equal(op(f, PHYSDEVOP_apic_read, ARG_VA), -EPERM);
	assert_int_equal(op(f, PHYSDEVOP_apic_write, ARG_VA), -EPERM);
	assert_int_equal(op(f, PHYSDEVOP_alloc_irq_vector, ARG_VA), -EPERM);
	assert_int_equal(op(f, PHYSDEVOP_apic_read, HOLE_VA), -EFAULT);
	assert_int_equal(op(f, PHYSDEVOP_apic_write, HOLE_VA), -EFAULT);
	assert_int_equal(op(f, PHYSDEVOP_alloc_irq_vector, HOLE_VA), -EFAULT);
	/* dbgp_op: refused before anything is read. */
	assert_int_equal(op(f, PHYSDEVOP_dbgp_op, HOLE_VA), -EPERM);
	/* Unknown. */
	assert_int_equal(op(f, 999, ARG_VA), -ENOSYS);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_set_iobitmap),
		T(test_set_iobitmap_refused),
		T(test_set_iopl),
		T(test_device_ops_refused),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
