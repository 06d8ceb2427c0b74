/* SPDX-License-Identifier: MIT */
/*
 * The entry-configuration hypercalls (arch/x86/pv/callbacks.c) against
 * the values Xen returns for the same input (xen/arch/x86/pv/callback.c,
 * misc-hypercalls.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pvabi/callback.h>

#include "hc_fixture.h"
#include "pvisor/domain.h"
#include "pvisor/hypercall.h"
#include "pvisor/pv_vcpu.h"

#define NONCANON	0x0000800000000000ull
#define H1		0x0000000010001000ull
#define H2		0x0000000010002000ull
#define H3		0x0000000010003000ull

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

static long cb_op(struct hc_fixture *f, uint64_t cmd, uint32_t type,
		  uint64_t address, uint16_t flags)
{
	struct callback_register reg = {
		.type = type, .flags = flags, .address = address,
	};
	const uint64_t a[6] = { cmd, ARG_VA };

	memcpy(fm_ptr(&f->fm, ARG_PA), &reg, sizeof(reg));
	return do_callback_op(&f->vcpu, a);
}

static void test_callback_register(void **state)
{
	struct hc_fixture *f = *state;

	assert_int_equal(cb_op(f, CALLBACKOP_register, CALLBACKTYPE_syscall,
			       H1, CALLBACKF_mask_events), 0);
	assert_int_equal(f->v->syscall_cb.address, H1);
	assert_int_equal(f->v->syscall_cb.flags, CALLBACKF_mask_events);
	/* The address is checked before the type: -EINVAL either way. */
	assert_int_equal(cb_op(f, CALLBACKOP_register, CALLBACKTYPE_syscall,
			       NONCANON, 0), -EINVAL);
	assert_int_equal(cb_op(f, CALLBACKOP_register, 99, NONCANON, 0),
			 -EINVAL);
	assert_int_equal(cb_op(f, CALLBACKOP_register, 99, H1, 0), -ENOSYS);
	assert_int_equal(cb_op(f, CALLBACKOP_register,
			       CALLBACKTYPE_sysenter_deprecated, H1, 0),
			 -ENOSYS);
	assert_int_equal(f->v->syscall_cb.address, H1);
	/* Unknown command, bad handle. */
	assert_int_equal(cb_op(f, 2, CALLBACKTYPE_event, H1, 0), -ENOSYS);
	{
		const uint64_t a[6] = { CALLBACKOP_register, HOLE_VA };

		assert_int_equal(do_callback_op(&f->vcpu, a), -EFAULT);
	}
}

/* The NMI callback is vector 2 of the trap table, events masked. */
static void test_callback_nmi(void **state)
{
	struct hc_fixture *f = *state;
	const struct trap_info *t = &f->v->trap_ctxt[X86_VEC_NMI];

	assert_int_equal(cb_op(f, CALLBACKOP_register, CALLBACKTYPE_nmi, H2,
			       0), 0);
	assert_int_equal(t->address, H2);
	assert_int_equal(t->vector, X86_VEC_NMI);
	assert_true(TI_GET_IF(t));
	assert_int_equal(cb_op(f, CALLBACKOP_register, CALLBACKTYPE_nmi,
			       NONCANON, 0), -EINVAL);
	assert_int_equal(cb_op(f, CALLBACKOP_unregister, CALLBACKTYPE_nmi, 0,
			       0), 0);
	assert_int_equal(t->address, 0);
}

/* Xen lets no callback but NMI be unregistered. */
static void test_callback_unregister(void **state)
{
	struct hc_fixture *f = *state;
	static const uint32_t kept[] = {
		CALLBACKTYPE_event, CALLBACKTYPE_failsafe,
		CALLBACKTYPE_syscall, CALLBACKTYPE_syscall32,
		CALLBACKTYPE_sysenter,
	};

	for (unsigned int i = 0; i < 5; i++) {
		assert_int_equal(cb_op(f, CALLBACKOP_register, kept[i], H3, 0),
				 0);
		assert_int_equal(cb_op(f, CALLBACKOP_unregister, kept[i], 0, 0),
				 -EINVAL);
	}
	assert_int_equal(f->v->syscall_cb.address, H3);
	assert_int_equal(f->v->syscall32_cb.address, H3);
	assert_int_equal(f->v->sysenter_cb.address, H3);
	assert_int_equal(cb_op(f, CALLBACKOP_unregister, 99, 0, 0), -ENOSYS);
}

/* set_callbacks: three registrations, failures ignored, always 0. */
static void test_set_callbacks(void **state)
{
	struct hc_fixture *f = *state;
	const uint64_t a[6] = { H1, NONCANON, H3 };
	const uint64_t b[6] = { H2, H2, H2 };

	f->v->failsafe_cb.address = H2;
	f->v->failsafe_cb.flags = CALLBACKF_mask_events;
	f->v->syscall_cb.flags = CALLBACKF_mask_events;
	assert_int_equal(do_set_callbacks(&f->vcpu, a), 0);
	assert_int_equal(f->v->event_cb.address, H1);
	assert_int_equal(f->v->failsafe_cb.address, H2);	/* kept */
	assert_int_equal(f->v->failsafe_cb.flags, CALLBACKF_mask_events);
	assert_int_equal(f->v->syscall_cb.address, H3);
	assert_int_equal(f->v->syscall_cb.flags, 0);
	assert_int_equal(do_set_callbacks(&f->vcpu, b), 0);
	assert_int_equal(f->v->failsafe_cb.flags, 0);
}

static long segbase(struct hc_fixture *f, uint64_t which, uint64_t base)
{
	const uint64_t a[6] = { which, base };

	return do_set_segment_base(&f->vcpu, a);
}

static void test_set_segment_base(void **state)
{
	struct hc_fixture *f = *state;

	assert_int_equal(segbase(f, SEGBASE_FS, 0x7f0000001000ull), 0);
	assert_int_equal(f->v->cpu.fs_base, 0x7f0000001000ull);
	assert_int_equal(segbase(f, SEGBASE_FS, NONCANON), -EINVAL);
	assert_int_equal(segbase(f, SEGBASE_GS_USER, NONCANON), -EINVAL);
	assert_int_equal(segbase(f, SEGBASE_GS_KERNEL, NONCANON), -EINVAL);
	assert_int_equal(segbase(f, 99, 0), -EINVAL);
	/* `which` is an unsigned int: high bits are not looked at. */
	assert_int_equal(segbase(f, (1ull << 32) | SEGBASE_FS, 0x5000), 0);
	assert_int_equal(f->v->cpu.fs_base, 0x5000);
	/* GS_USER_SEL never fails; the selector is the low 16 bits. */
	f->v->gs_base_user = 0x1234;
	assert_int_equal(segbase(f, SEGBASE_GS_USER_SEL, 0x12340000002bull),
			 0);
	assert_int_equal(f->v->gs_base_user, 0);
	assert_int_equal(segbase(f, SEGBASE_GS_USER_SEL, ~0ull), 0);
}

/* fpu_taskswitch(int set): only the low 32 bits count. */
static void test_fpu_taskswitch(void **state)
{
	struct hc_fixture *f = *state;
	const uint64_t set[6] = { 1 }, high[6] = { 1ull << 32 };

	assert_int_equal(do_fpu_taskswitch(&f->vcpu, set), 0);
	assert_true(f->v->fpu_ts);
	assert_int_equal(do_fpu_taskswitch(&f->vcpu, high), 0);
	assert_false(f->v->fpu_ts);
	assert_int_equal(f->v->cpu.cr0 & X86_CR0_TS, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_callback_register),
		T(test_callback_nmi),
		T(test_callback_unregister),
		T(test_set_callbacks),
		T(test_set_segment_base),
		T(test_fpu_taskswitch),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
