/* SPDX-License-Identifier: MIT */
/*
 * Debug registers (arch/x86/pv/debugreg.c): Xen's set_debugreg checks
 * and error codes, DR4/DR5 aliasing, the guest kernel's `mov %dbN`, and
 * DR6 merging after a #DB. Expected values are those of Xen's
 * set_debugreg/x86emul_read_dr and x86_adj_dr6_rsvd/x86_adj_dr7_rsvd.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_mem.h"
#include "pvisor/domain.h"
#include "pvisor/hypercall.h"
#include "pvisor/pv_vcpu.h"

#define CODE_VA		0x0000000000600000ull
#define CODE_PA		0x80000ull
#define RIP0		(CODE_VA + 0x100)
#define KSTACK_VA	0x0000000000c00000ull
#define KSTACK_PA	0x100000ull
#define KSTACK_TOP	(KSTACK_VA + 2 * PAGE_SIZE)
#define H_UD		0x0000000000601000ull

#define CR4_DE		0x8ull
#define DR7_L0		0x1u
#define DR7_G1		0x8u
#define DR7_GD		0x2000u
#define DR7_RW0_IO	(2u << 16)
#define DR7_RW1_W	(1u << 20)

struct fixture {
	struct fake_mem fm;
	uint64_t kcr3;
	struct vcpu_info vi;
	struct vcpu vcpu;		/* for the hypercall entry points */
	struct pv_vcpu *v;
	struct cpuid_policy pol;
};

/* No RTM, no bus-lock detect: their DR6/DR7 bits are reserved. */
static const struct cpuid_leaf host_plain[] = {
	{ .leaf = 0, .eax = 7, .ebx = 0x756e6547 },
	{ .leaf = 1, .eax = 0x906ea, .ecx = 0x7ffefbff, .edx = 0xbfebfbff },
	{ .leaf = 7, .ebx = 0 },
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	fm_init(&f->fm, FM_RAM_PAGES);
	f->kcr3 = fm_alloc_table(&f->fm);
	fm_map_range(&f->fm, f->kcr3, CODE_VA, CODE_PA, 2, FM_LEAF_RO);
	fm_map_range(&f->fm, f->kcr3, KSTACK_VA, KSTACK_PA, 2, FM_LEAF_RW);
	f->v = &f->vcpu.pv;
	pv_vcpu_init(f->v, 0, &f->fm.gm, &f->vi);
	f->v->kernel_cr3 = f->kcr3;
	f->v->cpu.cr3 = f->kcr3;
	f->v->cpu.rip = RIP0;
	f->v->cpu.gpr[GPR_RSP] = KSTACK_VA + 0x1f88;
	f->v->kernel_sp = KSTACK_TOP;
	f->v->trap_ctxt[X86_VEC_UD].address = H_UD;
	f->v->cpu.cr4 = 0x620;		/* pvisor's CR4: no DE */
	assert_int_equal(cpuid_policy_build(&f->pol, host_plain,
					    sizeof(host_plain) /
					    sizeof(host_plain[0])), 0);
	f->v->cpuid = &f->pol;
	f->v->guest_cr4 = pv_fixup_guest_cr4(f->v, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fm_free(&f->fm);
	free(f);
	return 0;
}

static uint64_t get(struct fixture *f, unsigned int reg)
{
	uint64_t val = 0xdeadbeef;

	assert_int_equal(pv_get_debugreg(f->v, reg, &val), 0);
	return val;
}

/* Through the hypercall handlers, with the guest's argument words. */
static long hc_set(struct fixture *f, uint64_t reg, uint64_t val)
{
	const uint64_t a[6] = { reg, val };

	return do_set_debugreg(&f->vcpu, a);
}

static long hc_get(struct fixture *f, uint64_t reg)
{
	const uint64_t a[6] = { reg };

	return do_get_debugreg(&f->vcpu, a);
}

static void test_reset_values(void **state)
{
	struct fixture *f = *state;

	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(get(f, i), 0);
	assert_int_equal(get(f, 6), 0xffff0ff0);
	assert_int_equal(get(f, 7), 0x400);
	assert_int_equal(hc_get(f, 6), 0xffff0ff0);
}

static void test_breakpoint_addresses(void **state)
{
	struct fixture *f = *state;
	static const uint64_t ok[] = {
		0, 0x400000, 0x00007fffffffffffull,
		0xffff880000000000ull,		/* first VA above Xen's range */
		0xffffffff80000000ull, ~0ull,
	};
	static const uint64_t refused[] = {
		0x0000800000000000ull,		/* non-canonical */
		0x8000000000000000ull,
		0xffff7fffffffffffull,
		0xffff800000000000ull,		/* the hypervisor's slots */
		0xffff820000000000ull,
		0xffff87fffffffff8ull,
	};

	for (unsigned int r = 0; r < 4; r++) {
		for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
			assert_int_equal(hc_set(f, r, ok[i]), 0);
			assert_int_equal(get(f, r), ok[i]);
		}
		assert_int_equal(hc_set(f, r, 0x1234), 0);
		for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]);
		     i++) {
			assert_int_equal(hc_set(f, r, refused[i]), -EPERM);
			assert_int_equal(get(f, r), 0x1234);
		}
	}
}

static void test_dr6(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(hc_set(f, 6, 0x100000000ull), -EINVAL);
	assert_int_equal(hc_set(f, 6, ~0ull), -EINVAL);
	assert_int_equal(get(f, 6), 0xffff0ff0);
	/* Reserved-1 bits forced on, bit 12 forced off, B0-3/BD/BS/BT kept. */
	assert_int_equal(hc_set(f, 6, 0), 0);
	assert_int_equal(get(f, 6), 0xffff0ff0);
	assert_int_equal(hc_set(f, 6, 0x1000 | 0x1 | 0x4000), 0);
	assert_int_equal(get(f, 6), 0xffff4ff1);
	assert_int_equal(hc_set(f, 6, 0xffffffff), 0);
	assert_int_equal(get(f, 6), 0xffffefff);
}

static void test_dr6_dr7_with_rtm(void **state)
{
	struct fixture *f = *state;
	static const struct cpuid_leaf host_rtm[] = {
		{ .leaf = 0, .eax = 7 },
		{ .leaf = 7, .ebx = 1u << 11, .ecx = 1u << 24 },	/* RTM, BLD */
	};
	struct cpuid_policy pol;

	assert_int_equal(cpuid_policy_build(&pol, host_rtm, 2), 0);
	f->v->cpuid = &pol;
	/* Active-low RTM and BLD bits are then the guest's to clear. */
	assert_int_equal(hc_set(f, 6, 0), 0);
	if (get(f, 6) == 0xffff0ff0)
		skip();		/* the policy hides RTM/BLD from guests */
	assert_int_equal(get(f, 6) & 0x10800, 0);
	assert_int_equal(hc_set(f, 7, 0x800), 0);
	assert_int_equal(get(f, 7) & 0x800, 0x800);
	f->v->cpuid = &f->pol;
}

static void test_dr7_reserved_and_gd(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(hc_set(f, 7, 0x100000000ull | DR7_L0), -EINVAL);
	/* GD is refused, and the old value stays. */
	assert_int_equal(hc_set(f, 7, DR7_L0), 0);
	assert_int_equal(hc_set(f, 7, DR7_GD), -EPERM);
	assert_int_equal(hc_set(f, 7, DR7_GD | DR7_L0), -EPERM);
	assert_int_equal(get(f, 7), 0x401);
	/* Bits 12, 14, 15 (and RTM without RTM) read 0, bit 10 reads 1. */
	assert_int_equal(hc_set(f, 7, 0xd800), 0);
	assert_int_equal(get(f, 7), 0x400);
	assert_int_equal(hc_set(f, 7, 0), 0);
	assert_int_equal(get(f, 7), 0x400);
	/* Everything else is the guest's: enables, LE/GE, RW/LEN fields. */
	assert_int_equal(hc_set(f, 7, 0xdddd03ff), 0);
	assert_int_equal(get(f, 7), 0xdddd07ff);
	assert_true(f->v->dr_dirty);
}

/* The guest sets CR4.DE as Xen lets it: through pv_fixup_guest_cr4. */
static void set_guest_de(struct fixture *f)
{
	f->v->guest_cr4 = pv_fixup_guest_cr4(f->v, f->v->guest_cr4 | CR4_DE);
	assert_true(f->v->guest_cr4 & CR4_DE);
}

static void test_dr7_io_breakpoints(void **state)
{
	struct fixture *f = *state;

	/* Without CR4.DE an I/O breakpoint is refused once DR7 is live... */
	assert_int_equal(hc_set(f, 7, DR7_L0 | DR7_RW0_IO), -EPERM);
	/* ...in any slot, enabled or not. */
	assert_int_equal(hc_set(f, 7, DR7_G1 | DR7_RW0_IO), -EPERM);
	assert_int_equal(get(f, 7), 0x400);
	/* With DR7 inactive, the fields are not looked at. */
	assert_int_equal(hc_set(f, 7, DR7_RW0_IO), 0);
	assert_int_equal(get(f, 7), 0x400 | DR7_RW0_IO);

	/* The VM's real CR4.DE is not the guest's: still refused. */
	f->v->cpu.cr4 |= CR4_DE;
	assert_int_equal(hc_set(f, 7, DR7_L0 | DR7_RW0_IO), -EPERM);

	/* With the guest's CR4.DE: accepted, read back whole, not armed. */
	set_guest_de(f);
	assert_int_equal(hc_set(f, 7, DR7_L0 | DR7_RW0_IO | DR7_G1 |
			 DR7_RW1_W), 0);
	assert_int_equal(get(f, 7), 0x400 | DR7_L0 | DR7_RW0_IO | DR7_G1 |
			 DR7_RW1_W);
	assert_int_equal(f->v->debugreg[7], 0x400 | DR7_RW0_IO | DR7_G1 |
			 DR7_RW1_W);
	assert_int_equal(f->v->dr7_emul, DR7_L0);
	/* Inactive DR7 drops the emulated enables too. */
	assert_int_equal(hc_set(f, 7, 0), 0);
	assert_int_equal(f->v->dr7_emul, 0);
}

static void test_dr4_dr5(void **state)
{
	struct fixture *f = *state;

	/* Without CR4.DE they alias DR6 and DR7, checks included. */
	assert_int_equal(hc_set(f, 4, 0x1), 0);
	assert_int_equal(get(f, 6), 0xffff0ff1);
	assert_int_equal(get(f, 4), 0xffff0ff1);
	assert_int_equal(hc_set(f, 5, DR7_L0), 0);
	assert_int_equal(get(f, 7), 0x401);
	assert_int_equal(hc_get(f, 5), 0x401);
	assert_int_equal(hc_set(f, 4, 1ull << 32), -EINVAL);
	assert_int_equal(hc_set(f, 5, DR7_GD), -EPERM);
	/* With CR4.DE they do not exist. */
	set_guest_de(f);
	assert_int_equal(hc_set(f, 4, 0), -ENODEV);
	assert_int_equal(hc_set(f, 5, 0x400), -ENODEV);
	assert_int_equal(hc_get(f, 4), -ENODEV);
	assert_int_equal(hc_get(f, 5), -ENODEV);
	assert_int_equal(get(f, 7), 0x401);
}

static void test_no_such_register(void **state)
{
	struct fixture *f = *state;
	static const uint64_t regs[] = {
		8, 15, 16, 0xffffffffull, 0x7fffffffull,
	};

	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		assert_int_equal(hc_set(f, regs[i], 0), -ENODEV);
		assert_int_equal(hc_get(f, regs[i]), -ENODEV);
	}
	/* The number is an int: upper argument bits are not part of it. */
	assert_int_equal(hc_set(f, 0x100000007ull, 0x401), 0);
	assert_int_equal(hc_get(f, 0x100000007ull), 0x401);
}

/* ---- mov %dbN ------------------------------------------------------- */

static void put_code(struct fixture *f, const uint8_t *b, size_t n)
{
	memcpy(fm_ptr(&f->fm, CODE_PA + (f->v->cpu.rip - CODE_VA)), b, n);
}

#define PUT(f, ...) do {						\
	static const uint8_t code_[] = { __VA_ARGS__ };			\
	put_code((f), code_, sizeof(code_));				\
} while (0)

static void test_mov_dr_write_read(void **state)
{
	struct fixture *f = *state;

	PUT(f, 0x0f, 0x23, 0xf8);		/* mov %rax,%db7 */
	f->v->cpu.gpr[GPR_RAX] = DR7_L0 | DR7_RW1_W;
	f->v->dr_dirty = false;
	assert_int_equal(pv_emulate_gp(f->v), 1);
	assert_int_equal(f->v->cpu.rip, RIP0 + 3);
	assert_int_equal(get(f, 7), 0x401 | DR7_RW1_W);
	assert_true(f->v->dr_dirty);

	PUT(f, 0x0f, 0x21, 0xfb);		/* mov %db7,%rbx */
	f->v->cpu.gpr[GPR_RBX] = ~0ull;
	assert_int_equal(pv_emulate_gp(f->v), 1);
	assert_int_equal(f->v->cpu.rip, RIP0 + 6);
	assert_int_equal(f->v->cpu.gpr[GPR_RBX], 0x401 | DR7_RW1_W);

	/* REX.B: mov %r9,%db2 then mov %db2,%r14 (REX.B, rm = 6). */
	PUT(f, 0x41, 0x0f, 0x23, 0xd1);
	f->v->cpu.gpr[GPR_R9] = 0x7fffdeadb000ull;
	assert_int_equal(pv_emulate_gp(f->v), 1);
	assert_int_equal(f->v->cpu.rip, RIP0 + 10);
	assert_int_equal(get(f, 2), 0x7fffdeadb000ull);
	PUT(f, 0x41, 0x0f, 0x21, 0xd6);
	assert_int_equal(pv_emulate_gp(f->v), 1);
	assert_int_equal(f->v->cpu.rip, RIP0 + 14);
	assert_int_equal(f->v->cpu.gpr[GPR_R14], 0x7fffdeadb000ull);

	/* ModRM.mod is ignored: 0f 21 30 is mov %db6,%rax. 0x66 too. */
	PUT(f, 0x66, 0x0f, 0x21, 0x30);
	assert_int_equal(pv_emulate_gp(f->v), 1);
	assert_int_equal(f->v->cpu.rip, RIP0 + 18);
	assert_int_equal(f->v->cpu.gpr[GPR_RAX], 0xffff0ff0);
}

static void test_mov_dr_refused_is_gp(void **state)
{
	struct fixture *f = *state;

	PUT(f, 0x0f, 0x23, 0xf8);		/* mov %rax,%db7 */
	f->v->cpu.gpr[GPR_RAX] = DR7_GD | DR7_L0;
	assert_int_equal(pv_emulate_gp(f->v), 0);
	assert_int_equal(f->v->cpu.rip, RIP0);
	assert_int_equal(get(f, 7), 0x400);

	f->v->cpu.gpr[GPR_RAX] = 1ull << 40;	/* reserved upper half */
	assert_int_equal(pv_emulate_gp(f->v), 0);

	PUT(f, 0x0f, 0x23, 0xc0);		/* mov %rax,%db0 */
	f->v->cpu.gpr[GPR_RAX] = 0xffff800000001000ull;
	assert_int_equal(pv_emulate_gp(f->v), 0);
	assert_int_equal(get(f, 0), 0);
	assert_int_equal(f->v->cpu.rip, RIP0);
}

static void test_mov_dr_nonexistent_is_ud(void **state)
{
	struct fixture *f = *state;
	uint64_t frame[7];

	/* REX.R: %db8 does not exist; #UD is bounced at the instruction. */
	PUT(f, 0x44, 0x0f, 0x23, 0xc0);
	assert_int_equal(pv_emulate_gp(f->v), 1);
	assert_int_equal(f->v->cpu.rip, H_UD);
	assert_int_equal(pv_read(f->v, f->v->cpu.gpr[GPR_RSP], frame,
				 sizeof(frame)), 0);
	assert_int_equal(frame[2], RIP0);	/* rcx, r11, rip, ... */

	/* %db4 with CR4.DE: #UD too. Without a handler: an error. */
	f->v->cpu.rip = RIP0;
	set_guest_de(f);
	f->v->trap_ctxt[X86_VEC_UD].address = 0;
	PUT(f, 0x0f, 0x21, 0xe0);		/* mov %db4,%rax */
	assert_true(pv_emulate_gp(f->v) < 0);
	assert_int_equal(f->v->cpu.rip, RIP0);
}

static void test_mov_dr_user_mode_is_gp(void **state)
{
	struct fixture *f = *state;

	f->v->in_kernel = false;
	f->v->user_cr3 = f->kcr3;
	PUT(f, 0x0f, 0x21, 0xf8);		/* mov %db7,%rax */
	f->v->cpu.gpr[GPR_RAX] = 5;
	assert_int_equal(pv_emulate_gp(f->v), 0);
	assert_int_equal(f->v->cpu.gpr[GPR_RAX], 5);
	PUT(f, 0x0f, 0x23, 0xf8);		/* mov %rax,%db7 */
	f->v->cpu.gpr[GPR_RAX] = DR7_L0;
	assert_int_equal(pv_emulate_gp(f->v), 0);
	assert_int_equal(get(f, 7), 0x400);
	assert_int_equal(f->v->cpu.rip, RIP0);
}

static void test_mov_dr_truncated(void **state)
{
	struct fixture *f = *state;

	/* 0f 23 as the last bytes mapped: no ModRM, nothing emulated. */
	f->v->cpu.rip = CODE_VA + 2 * PAGE_SIZE - 2;
	PUT(f, 0x0f, 0x23);
	f->v->cpu.gpr[GPR_RAX] = 0x1000;
	assert_int_equal(pv_emulate_gp(f->v), 0);
	assert_int_equal(get(f, 0), 0);
	assert_int_equal(f->v->cpu.rip, CODE_VA + 2 * PAGE_SIZE - 2);
}

/* ---- DR6 after a #DB --------------------------------------------- */

static void test_debug_trap_merge(void **state)
{
	struct fixture *f = *state;

	pv_debug_trap(f->v, 0xffff0ff1);	/* B0 */
	assert_int_equal(get(f, 6), 0xffff0ff1);
	pv_debug_trap(f->v, 0xffff4ff0);	/* single step: B0 replaced */
	assert_int_equal(get(f, 6), 0xffff4ff0);
	pv_debug_trap(f->v, 0xffff0ff2);	/* B1; BS stays */
	assert_int_equal(get(f, 6), 0xffff4ff2);
	/* Junk the hardware (or a hostile host) reports is dropped. */
	pv_debug_trap(f->v, 0x00001ff8);
	assert_int_equal(get(f, 6) & 0xffffffff, 0xffff4ff8);
	/* The guest clears it the usual way. */
	assert_int_equal(hc_set(f, 6, 0xffff0ff0), 0);
	assert_int_equal(get(f, 6), 0xffff0ff0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_reset_values),
		T(test_breakpoint_addresses),
		T(test_dr6),
		T(test_dr6_dr7_with_rtm),
		T(test_dr7_reserved_and_gd),
		T(test_dr7_io_breakpoints),
		T(test_dr4_dr5),
		T(test_no_such_register),
		T(test_mov_dr_write_read),
		T(test_mov_dr_refused_is_gp),
		T(test_mov_dr_nonexistent_is_ud),
		T(test_mov_dr_user_mode_is_gp),
		T(test_mov_dr_truncated),
		T(test_debug_trap_merge),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
