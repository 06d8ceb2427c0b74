/* SPDX-License-Identifier: MIT */
/*
 * vcpu_op's argument handling (core/vcpu_op.c) against Xen's do_vcpu_op:
 * int cmd and unsigned int vcpuid, -ENOENT for a vCPU that does not
 * exist, and the sub-ops a domU is refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include <pvabi/vcpu.h>

#include "pvisor/domain.h"
#include "pvisor/hypercall.h"

struct fixture {
	struct domain d;
	struct vcpu vcpu;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->vcpu.d = &f->d;
	f->vcpu.online = true;
	f->d.nr_vcpus = 1;
	f->d.vcpus[0] = &f->vcpu;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static long op(struct fixture *f, uint64_t cmd, uint64_t id, uint64_t arg)
{
	const uint64_t a[6] = { cmd, id, arg };

	return do_vcpu_op(&f->vcpu, a);
}

static void test_ids(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(op(f, VCPUOP_is_up, 0, 0), 1);
	assert_int_equal(op(f, VCPUOP_is_up, 1, 0), -ENOENT);
	assert_int_equal(op(f, VCPUOP_is_up, 0xffffffffu, 0), -ENOENT);
	/* Only the low 32 bits of either are Xen's. */
	assert_int_equal(op(f, VCPUOP_is_up, 1ull << 32, 0), 1);
	assert_int_equal(op(f, (1ull << 32) | VCPUOP_is_up, 0, 0), 1);
	f->vcpu.online = false;
	assert_int_equal(op(f, VCPUOP_is_up, 0, 0), 0);
}

static void test_refused(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(op(f, VCPUOP_get_physid, 0, 0x1000), -EINVAL);
	/* send_nmi takes no argument: a non-null one is -EINVAL. */
	assert_int_equal(op(f, VCPUOP_send_nmi, 0, 0x1000), -EINVAL);
	assert_int_equal(op(f, 99, 0, 0), -ENOSYS);
	/* Another vCPU's one-shot timer is not to be set or stopped. */
	{
		struct vcpu other = { .d = &f->d };

		f->d.vcpus[1] = &other;
		f->d.nr_vcpus = 2;
		assert_int_equal(op(f, VCPUOP_set_singleshot_timer, 1, 0x1000),
				 -EINVAL);
		assert_int_equal(op(f, VCPUOP_stop_singleshot_timer, 1, 0),
				 -EINVAL);
		f->d.nr_vcpus = 1;
		f->d.vcpus[1] = NULL;
	}
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_ids),
		T(test_refused),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
