/* SPDX-License-Identifier: MIT */
/*
 * The PV CPU model's trap bounce and iret (arch/x86/pv/traps.c, iret.c,
 * mode.c) against Xen's 64-bit bounce frame (contract §2.4, §2.7).
 * Addresses are lower-half for simplicity: the PV model does not care.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pvabi/callback.h>

#include "fake_mem.h"
#include "pvisor/pv_vcpu.h"

#define KSTACK_VA	0x0000000000c00000ull	/* 2 pages, kernel L4 only */
#define KSTACK_PA	0x100000ull
#define KSTACK_TOP	(KSTACK_VA + 2 * PAGE_SIZE)
#define RO_VA		0x0000000000d00000ull	/* read-only, kernel L4 */
#define RO_PA		0x110000ull

#define H_GP		0x10001300ull
#define H_PF		0x10001400ull
#define H_DE		0x10001000ull
#define H_UD		0x10001600ull
#define H_BP		0x10001a00ull
#define H_OF		0x10001b00ull
#define H_INT80		0x10008000ull
#define H_EVENT		0x10002000ull
#define H_SYSCALL	0x10003000ull
#define H_SYSCALL32	0x10003200ull

#define KRIP		0x00000000a1000123ull
#define URIP		0x0000000000401000ull
#define USP		0x00007ffffffde008ull
#define KGS		0x0000000000e00000ull
#define X86_EFLAGS_ZF_TEST	0x40u
#define UGS		0x00007f0000001000ull

struct fixture {
	struct fake_mem fm;
	uint64_t kcr3, ucr3;
	struct vcpu_info vi;
	struct pv_vcpu v;
	unsigned long assist;		/* the domain's vm_assist word */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	fm_init(&f->fm, FM_RAM_PAGES);
	f->kcr3 = fm_alloc_table(&f->fm);
	f->ucr3 = fm_alloc_table(&f->fm);
	fm_map_range(&f->fm, f->kcr3, KSTACK_VA, KSTACK_PA, 2, FM_LEAF_RW);
	fm_map(&f->fm, f->kcr3, RO_VA, RO_PA, FM_LEAF_RO);

	pv_vcpu_init(&f->v, 0, &f->fm.gm, &f->vi);
	f->v.vm_assist = &f->assist;
	f->v.kernel_cr3 = f->kcr3;
	f->v.cpu.cr3 = f->kcr3;
	f->v.kernel_sp = KSTACK_TOP;
	f->v.trap_ctxt[X86_VEC_DE].address = H_DE;
	f->v.trap_ctxt[X86_VEC_GP].address = H_GP;
	f->v.trap_ctxt[X86_VEC_PF].address = H_PF;
	f->v.trap_ctxt[X86_VEC_PF].flags = 4;	/* interrupt gate */
	f->v.trap_ctxt[X86_VEC_UD].address = H_UD;
	f->v.cpu.rip = KRIP;
	f->v.cpu.gpr[GPR_RSP] = KSTACK_VA + 0x1f88;
	f->v.cpu.gpr[GPR_RCX] = 0x1111;
	f->v.cpu.gpr[GPR_R11] = 0x2222;
	f->v.cpu.gpr[GPR_RAX] = 0x3333;
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

/* Switch the fixture's vCPU to guest user mode with a user L4. */
static void go_user(struct fixture *f)
{
	f->v.user_cr3 = f->ucr3;
	f->v.in_kernel = false;
	f->v.cpu.cr3 = f->ucr3;
	f->v.gs_base_kernel = KGS;
	f->v.cpu.gs_base = UGS;
	assert_int_equal(pv_load_segments(&f->v, FLAT_USER_CS, FLAT_USER_SS),
			 0);
	f->v.cpu.rip = URIP;
	f->v.cpu.gpr[GPR_RSP] = USP;
}

static void read_kstack(struct fixture *f, uint64_t va, uint64_t *out,
			unsigned int n)
{
	assert_int_equal(gmem_read(&f->fm.gm, f->kcr3, va, out, n * 8), 0);
}

static void test_exception_with_error_code_kernel(void **state)
{
	struct fixture *f = *state;
	uint64_t fr[8], rsp0 = f->v.cpu.gpr[GPR_RSP];
	uint64_t rfl = X86_EFLAGS_FIXED | X86_EFLAGS_IF | X86_EFLAGS_CF |
		       X86_EFLAGS_AC | X86_EFLAGS_TF | X86_EFLAGS_DF |
		       X86_EFLAGS_IOPL | X86_EFLAGS_NT | X86_EFLAGS_RF;
	uint64_t sp = (rsp0 & ~0xfull) - 64;

	f->v.cpu.rflags = rfl;
	f->vi.evtchn_upcall_mask = 0;
	assert_int_equal(pv_inject_exception(&f->v, X86_VEC_GP, 0x1234), 0);

	read_kstack(f, sp, fr, 8);
	assert_int_equal(fr[0], 0x1111);			/* rcx */
	assert_int_equal(fr[1], 0x2222);			/* r11 */
	assert_int_equal(fr[2], 0x1234);			/* error code */
	assert_int_equal(fr[3], KRIP);
	assert_int_equal(fr[4], FLAT_KERNEL_CS & ~3u);		/* RPL 0, mask 0 */
	assert_int_equal(fr[5], rfl & ~(uint64_t)X86_EFLAGS_IOPL);
	assert_int_equal(fr[6], rsp0);
	assert_int_equal(fr[7], FLAT_KERNEL_SS);

	assert_int_equal(f->v.cpu.rip, H_GP);
	assert_int_equal(f->v.cpu.gpr[GPR_RSP], sp);
	assert_int_equal(f->v.cpu.cs, FLAT_KERNEL_CS);
	assert_int_equal(f->v.cpu.ss, FLAT_KERNEL_SS);
	/* AC, TF, NT, RF cleared; DF kept (not a syscall); IF stays set. */
	assert_int_equal(f->v.cpu.rflags,
			 X86_EFLAGS_FIXED | X86_EFLAGS_IF | X86_EFLAGS_CF |
			 X86_EFLAGS_DF | X86_EFLAGS_IOPL);
	assert_int_equal(f->vi.evtchn_upcall_mask, 0);
	assert_true(f->v.in_kernel);
	assert_int_equal(f->v.cpu.cr3, f->kcr3);
	/* Other GPRs are untouched. */
	assert_int_equal(f->v.cpu.gpr[GPR_RCX], 0x1111);
	assert_int_equal(f->v.cpu.gpr[GPR_RAX], 0x3333);
	assert_true(f->v.cpu.dirty);
}

static void test_exception_no_error_code_masked(void **state)
{
	struct fixture *f = *state;
	uint64_t fr[8], rsp0 = KSTACK_VA + 0x1f80;	/* already aligned */
	uint64_t sp = rsp0 - 56;

	f->v.cpu.gpr[GPR_RSP] = rsp0;
	f->v.cpu.rflags = X86_EFLAGS_FIXED | X86_EFLAGS_IF;
	f->vi.evtchn_upcall_mask = 1;
	/* A word just below the frame must stay untouched. */
	assert_int_equal(gmem_write(&f->fm.gm, f->kcr3, sp - 8,
				    &(uint64_t){ 0xdeadbeef }, 8), 0);
	assert_int_equal(pv_inject_exception(&f->v, X86_VEC_DE, 0x5555), 0);

	read_kstack(f, sp - 8, fr, 8);
	assert_int_equal(fr[0], 0xdeadbeef);
	assert_int_equal(fr[1], 0x1111);
	assert_int_equal(fr[2], 0x2222);
	assert_int_equal(fr[3], KRIP);				/* no error code */
	assert_int_equal(fr[4], (FLAT_KERNEL_CS & ~3u) | (1ull << 32));
	assert_int_equal(fr[5], X86_EFLAGS_FIXED);		/* IF = !mask */
	assert_int_equal(fr[6], rsp0);
	assert_int_equal(fr[7], FLAT_KERNEL_SS);
	assert_int_equal(f->v.cpu.gpr[GPR_RSP], sp);
	assert_int_equal(f->v.cpu.rip, H_DE);
	assert_int_equal(f->vi.evtchn_upcall_mask, 1);
}

static void test_exception_from_user(void **state)
{
	struct fixture *f = *state;
	uint64_t fr[8], sp = KSTACK_TOP - 64;

	go_user(f);
	f->v.cpu.rflags = X86_EFLAGS_FIXED | X86_EFLAGS_IF | X86_EFLAGS_ZF_TEST;
	f->vi.evtchn_upcall_mask = 0;
	assert_int_equal(pv_inject_exception(&f->v, X86_VEC_GP, 0), 0);

	assert_true(f->v.in_kernel);
	assert_int_equal(f->v.cpu.cr3, f->kcr3);
	assert_int_equal(f->v.cpu.gs_base, KGS);
	assert_int_equal(f->v.gs_base_user, UGS);
	/* Frame exactly at kernel_sp, written through the kernel L4. */
	read_kstack(f, sp, fr, 8);
	assert_int_equal(fr[0], 0x1111);
	assert_int_equal(fr[1], 0x2222);
	assert_int_equal(fr[2], 0);
	assert_int_equal(fr[3], URIP);
	assert_int_equal(fr[4], FLAT_USER_CS);			/* RPL 3 kept */
	assert_int_equal(fr[5], X86_EFLAGS_FIXED | X86_EFLAGS_IF |
				X86_EFLAGS_ZF_TEST);
	assert_int_equal(fr[6], USP);
	assert_int_equal(fr[7], FLAT_USER_SS);
	assert_int_equal(f->v.cpu.gpr[GPR_RSP], sp);
	assert_int_equal(f->v.cpu.rip, H_GP);
	assert_int_equal(f->v.cpu.cs, FLAT_KERNEL_CS);
}

static void test_exception_from_user_unaligned_kernel_sp(void **state)
{
	struct fixture *f = *state;
	uint64_t fr[7];

	go_user(f);
	f->v.kernel_sp = KSTACK_TOP - 8;	/* rounded down to 16 */
	assert_int_equal(pv_inject_exception(&f->v, X86_VEC_DE, 0), 0);
	assert_int_equal(f->v.cpu.gpr[GPR_RSP], KSTACK_TOP - 16 - 56);
	read_kstack(f, KSTACK_TOP - 16 - 56, fr, 7);
	assert_int_equal(fr[2], URIP);
	assert_int_equal(fr[5], USP);
}

static void test_interrupt_gate_masks(void **state)
{
	struct fixture *f = *state;
	uint64_t fr[8];

	f->vi.evtchn_upcall_mask = 0;
	f->v.trap_ctxt[X86_VEC_GP].flags = 4;
	assert_int_equal(pv_inject_exception(&f->v, X86_VEC_GP, 0), 0);
	assert_int_equal(f->vi.evtchn_upcall_mask, 1);
	read_kstack(f, f->v.cpu.gpr[GPR_RSP], fr, 8);
	/* The frame records the mask from before the bounce. */
	assert_int_equal(fr[4] >> 32, 0);
	assert_true(fr[5] & X86_EFLAGS_IF);
}

static void test_no_handler(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(pv_inject_exception(&f->v, X86_VEC_NM, 0), -ENOENT);
	assert_int_equal(f->v.cpu.rip, KRIP);
	assert_int_equal(f->v.cpu.gpr[GPR_RSP], KSTACK_VA + 0x1f88);
	/* Vector numbers are taken modulo 256. */
	f->v.trap_ctxt[0x81].address = 0;
	assert_int_equal(pv_inject_exception(&f->v, 0x181, 0), -ENOENT);
}

static void test_unwritable_stack(void **state)
{
	struct fixture *f = *state;
	uint64_t zero[8] = { 0 };

	f->v.cpu.gpr[GPR_RSP] = RO_VA + 0x800;
	assert_int_equal(pv_inject_exception(&f->v, X86_VEC_GP, 0), -EFAULT);
	assert_memory_equal(fm_ptr(&f->fm, RO_PA + 0x800 - 64), zero, 64);
	/* Unmapped stack. */
	f->v.cpu.gpr[GPR_RSP] = 0x0000000000f00000ull;
	assert_int_equal(pv_inject_exception(&f->v, X86_VEC_GP, 0), -EFAULT);
	/* The frame straddles a page whose predecessor is unmapped. */
	f->v.cpu.gpr[GPR_RSP] = KSTACK_VA + 0x20;
	assert_int_equal(pv_inject_exception(&f->v, X86_VEC_GP, 0), -EFAULT);
	assert_int_equal(f->v.cpu.rip, KRIP);
}

static void test_page_fault_kernel(void **state)
{
	struct fixture *f = *state;
	uint64_t fr[8];

	f->vi.evtchn_upcall_mask = 0;
	assert_int_equal(pv_inject_page_fault(&f->v, 0xabc000, 0x7), 0);
	assert_int_equal(f->vi.arch.cr2, 0xabc000);
	assert_int_equal(f->v.virt_cr2, 0xabc000);
	read_kstack(f, f->v.cpu.gpr[GPR_RSP], fr, 8);
	assert_int_equal(fr[2], 0x3);		/* U/S cleared: kernel mode */
	assert_int_equal(fr[3], KRIP);
	assert_int_equal(f->v.cpu.rip, H_PF);
	assert_int_equal(f->vi.evtchn_upcall_mask, 1);	/* flags 4 */
}

static void test_page_fault_user(void **state)
{
	struct fixture *f = *state;
	uint64_t fr[8];

	go_user(f);
	assert_int_equal(pv_inject_page_fault(&f->v, 0x7000beef, 0x2), 0);
	assert_int_equal(f->vi.arch.cr2, 0x7000beef);
	read_kstack(f, KSTACK_TOP - 64, fr, 8);
	assert_int_equal(fr[2], 0x6);		/* U/S set: user mode */
	assert_int_equal(fr[3], URIP);
	assert_true(f->v.in_kernel);
}

static void test_soft_int_kernel(void **state)
{
	struct fixture *f = *state;
	uint64_t fr[8];

	/* DPL 1: allowed from kernel mode, RIP after the insn, no ec. */
	f->v.trap_ctxt[0x80].address = H_INT80;
	f->v.trap_ctxt[0x80].flags = 1;
	f->vi.evtchn_upcall_mask = 0;
	assert_int_equal(pv_inject_soft_int(&f->v, 0x80, 2), 0);
	assert_int_equal(f->v.cpu.rip, H_INT80);
	assert_int_equal(f->v.cpu.gpr[GPR_RSP],
			 ((KSTACK_VA + 0x1f88) & ~0xfull) - 56);
	read_kstack(f, f->v.cpu.gpr[GPR_RSP], fr, 7);
	assert_int_equal(fr[2], KRIP + 2);
	assert_int_equal(fr[3], FLAT_KERNEL_CS & ~3u);
	assert_int_equal(f->vi.evtchn_upcall_mask, 0);
}

static void test_soft_int_kernel_dpl0_gp(void **state)
{
	struct fixture *f = *state;
	uint64_t fr[8];

	f->v.trap_ctxt[0x80].address = H_INT80;
	f->v.trap_ctxt[0x80].flags = 0;
	assert_int_equal(pv_inject_soft_int(&f->v, 0x80, 2), 0);
	assert_int_equal(f->v.cpu.rip, H_GP);
	read_kstack(f, f->v.cpu.gpr[GPR_RSP], fr, 8);
	assert_int_equal(fr[2], (0x80 << 3) | 2);
	assert_int_equal(fr[3], KRIP);		/* the faulting int */
}

static void test_soft_int_user(void **state)
{
	struct fixture *f = *state;
	uint64_t fr[8];

	/* DPL 1 is not enough from user mode. */
	go_user(f);
	f->v.trap_ctxt[0x80].address = H_INT80;
	f->v.trap_ctxt[0x80].flags = 1;
	assert_int_equal(pv_inject_soft_int(&f->v, 0x80, 2), 0);
	assert_int_equal(f->v.cpu.rip, H_GP);
	read_kstack(f, KSTACK_TOP - 64, fr, 8);
	assert_int_equal(fr[2], (0x80 << 3) | 2);
	assert_int_equal(fr[3], URIP);

	/* DPL 3 (with the interrupt-gate flag): delivered, masked. */
	teardown(state);
	setup(state);
	f = *state;
	go_user(f);
	f->v.trap_ctxt[0x80].address = H_INT80;
	f->v.trap_ctxt[0x80].flags = 3 | 4;
	assert_int_equal(pv_inject_soft_int(&f->v, 0x80, 2), 0);
	assert_int_equal(f->v.cpu.rip, H_INT80);
	assert_int_equal(f->vi.evtchn_upcall_mask, 1);
	read_kstack(f, KSTACK_TOP - 56, fr, 7);
	assert_int_equal(fr[2], URIP + 2);
	assert_int_equal(fr[3], FLAT_USER_CS);

	/* No handler at all: #GP as well. */
	f->v.trap_ctxt[0x81].flags = 3;
	assert_int_equal(pv_inject_soft_int(&f->v, 0x81, 2), 0);
	assert_int_equal(f->v.cpu.rip, H_GP);
}

/*
 * int $0x80 through its DPL3 host gate arrives with RIP past it. Refused,
 * it is the #GP the CPU would raise for a DPL0 gate: RIP back at the int,
 * error code (0x80 << 3) | 2, as Xen's int80 slow path reports it.
 */
static void test_soft_int_trap_refused(void **state)
{
	struct fixture *f = *state;
	uint64_t fr[8];

	f->v.trap_ctxt[0x80].address = H_INT80;
	f->v.trap_ctxt[0x80].flags = 0;
	f->v.cpu.rip = KRIP + 2;
	assert_int_equal(pv_inject_soft_int_trap(&f->v, 0x80), 0);
	assert_int_equal(f->v.cpu.rip, H_GP);
	read_kstack(f, f->v.cpu.gpr[GPR_RSP], fr, 8);
	assert_int_equal(fr[2], (0x80 << 3) | 2);
	assert_int_equal(fr[3], KRIP);

	/* No entry at all, from user mode: the same fault. */
	teardown(state);
	setup(state);
	f = *state;
	go_user(f);
	f->v.cpu.rip = URIP + 2;
	assert_int_equal(pv_inject_soft_int_trap(&f->v, 0x80), 0);
	assert_int_equal(f->v.cpu.rip, H_GP);
	read_kstack(f, KSTACK_TOP - 64, fr, 8);
	assert_int_equal(fr[2], (0x80 << 3) | 2);
	assert_int_equal(fr[3], URIP);
	assert_int_equal(fr[4], FLAT_USER_CS);
}

/* Allowed, it is a trap: the handler sees RIP past the int. */
static void test_soft_int_trap_allowed(void **state)
{
	struct fixture *f = *state;
	uint64_t fr[7];

	f->v.trap_ctxt[0x80].address = H_INT80;
	f->v.trap_ctxt[0x80].flags = 3;
	f->v.cpu.rip = KRIP + 2;
	assert_int_equal(pv_inject_soft_int_trap(&f->v, 0x80), 0);
	assert_int_equal(f->v.cpu.rip, H_INT80);
	read_kstack(f, f->v.cpu.gpr[GPR_RSP], fr, 7);
	assert_int_equal(fr[2], KRIP + 2);
}

/*
 * `int $3`/`int $4` (reported as #UD on some hosts, so decoded here) are
 * #BP/#OF past the instruction whatever DPL the guest gave them: Xen's
 * gates for them are DPL3 and it ignores the guest's choice.
 */
static void test_soft_int_bp_of(void **state)
{
	struct fixture *f = *state;
	uint64_t fr[7];

	f->v.trap_ctxt[X86_VEC_BP].address = H_BP;
	f->v.trap_ctxt[X86_VEC_BP].flags = 0;
	f->v.trap_ctxt[X86_VEC_OF].address = H_OF;
	f->v.trap_ctxt[X86_VEC_OF].flags = 0;
	go_user(f);
	assert_int_equal(pv_inject_soft_int(&f->v, 3, 2), 0);
	assert_int_equal(f->v.cpu.rip, H_BP);
	read_kstack(f, KSTACK_TOP - 56, fr, 7);
	assert_int_equal(fr[2], URIP + 2);	/* no error code: rip */
	assert_int_equal(fr[3], FLAT_USER_CS);

	f->v.cpu.rip = KRIP;
	assert_int_equal(pv_inject_soft_int(&f->v, 4, 2), 0);
	assert_int_equal(f->v.cpu.rip, H_OF);
	read_kstack(f, f->v.cpu.gpr[GPR_RSP], fr, 7);
	assert_int_equal(fr[2], KRIP + 2);
}

/*
 * VMASST_TYPE_architectural_iopl: bounce frames carry the virtual IOPL
 * and iret sets it; without the assist, frames show 0 and iret leaves
 * it alone. The real IOPL stays 0 either way.
 */
static void test_architectural_iopl_frames(void **state)
{
	struct fixture *f = *state;
	uint64_t fr[8], sp;

	f->v.iopl = 2;
	f->v.cpu.rflags |= X86_EFLAGS_IOPL;	/* never shown as is */
	sp = (f->v.cpu.gpr[GPR_RSP] & ~0xfull) - 64;
	assert_int_equal(pv_inject_exception(&f->v, X86_VEC_GP, 0), 0);
	read_kstack(f, sp, fr, 8);
	assert_int_equal(fr[5] & X86_EFLAGS_IOPL, 0);

	f->assist = 1ul << VMASST_TYPE_architectural_iopl;
	f->v.cpu.gpr[GPR_RSP] = KSTACK_VA + 0x1f88;
	sp = (f->v.cpu.gpr[GPR_RSP] & ~0xfull) - 64;
	assert_int_equal(pv_inject_exception(&f->v, X86_VEC_GP, 0), 0);
	read_kstack(f, sp, fr, 8);
	assert_int_equal(fr[5] & X86_EFLAGS_IOPL, 2u << 12);
}

static void put_iret(struct fixture *f, uint64_t sp,
		     const struct iret_context *ctx);

static void test_architectural_iopl_iret(void **state)
{
	struct fixture *f = *state;
	struct iret_context ctx = {
		.rip = 0x00000000a1000500ull, .cs = FLAT_KERNEL_CS & ~3u,
		.rflags = X86_EFLAGS_IF | (3u << 12),
		.rsp = KSTACK_VA + 0x1ff0, .ss = FLAT_KERNEL_SS,
	};

	f->v.iopl = 1;
	put_iret(f, KSTACK_VA + 0x1000, &ctx);
	assert_int_equal(pv_do_iret(&f->v), 0);
	assert_int_equal(f->v.iopl, 1);		/* no assist: unchanged */

	f->assist = 1ul << VMASST_TYPE_architectural_iopl;
	put_iret(f, KSTACK_VA + 0x1000, &ctx);
	assert_int_equal(pv_do_iret(&f->v), 0);
	assert_int_equal(f->v.iopl, 3);
	assert_int_equal(f->v.cpu.rflags & X86_EFLAGS_IOPL, 0);

	ctx.rflags = X86_EFLAGS_IF;
	put_iret(f, KSTACK_VA + 0x1000, &ctx);
	assert_int_equal(pv_do_iret(&f->v), 0);
	assert_int_equal(f->v.iopl, 0);
}

static void test_user_syscall(void **state)
{
	struct fixture *f = *state;
	uint64_t fr[7];

	go_user(f);
	f->v.syscall_cb.address = H_SYSCALL;
	f->v.syscall_cb.flags = CALLBACKF_mask_events;
	/* After syscall: rcx = next rip, r11 = rflags. */
	f->v.cpu.gpr[GPR_RCX] = URIP;
	f->v.cpu.gpr[GPR_R11] = X86_EFLAGS_FIXED | X86_EFLAGS_IF |
				X86_EFLAGS_DF;
	f->v.cpu.rflags = X86_EFLAGS_FIXED | X86_EFLAGS_IF | X86_EFLAGS_DF;
	f->vi.evtchn_upcall_mask = 0;
	assert_int_equal(pv_user_syscall(&f->v, false), 0);

	assert_true(f->v.in_kernel);
	assert_int_equal(f->v.cpu.rip, H_SYSCALL);
	assert_int_equal(f->v.cpu.gpr[GPR_RSP], KSTACK_TOP - 56);
	assert_int_equal(f->v.cpu.rflags, X86_EFLAGS_FIXED | X86_EFLAGS_IF);
	assert_int_equal(f->vi.evtchn_upcall_mask, 1);
	read_kstack(f, KSTACK_TOP - 56, fr, 7);
	assert_int_equal(fr[0], URIP);
	assert_int_equal(fr[1], X86_EFLAGS_FIXED | X86_EFLAGS_IF |
				X86_EFLAGS_DF);
	assert_int_equal(fr[2], URIP);
	assert_int_equal(fr[3], FLAT_KERNEL_CS64);		/* placeholder */
	assert_int_equal(fr[4], X86_EFLAGS_FIXED | X86_EFLAGS_IF |
				X86_EFLAGS_DF);
	assert_int_equal(fr[5], USP);
	assert_int_equal(fr[6], FLAT_KERNEL_SS);
}

static void test_user_syscall32(void **state)
{
	struct fixture *f = *state;
	uint64_t fr[7];

	go_user(f);
	f->v.syscall32_cb.address = H_SYSCALL32;
	f->v.syscall32_cb.flags = 0;
	f->vi.evtchn_upcall_mask = 0;
	assert_int_equal(pv_user_syscall(&f->v, true), 0);
	assert_int_equal(f->v.cpu.rip, H_SYSCALL32);
	assert_int_equal(f->vi.evtchn_upcall_mask, 0);
	read_kstack(f, KSTACK_TOP - 56, fr, 7);
	assert_int_equal(fr[3], FLAT_USER_CS32);
	assert_int_equal(fr[6], FLAT_USER_SS32);
}

static void test_user_syscall_no_callback(void **state)
{
	struct fixture *f = *state;
	uint64_t fr[7];

	go_user(f);
	assert_int_equal(pv_user_syscall(&f->v, false), 0);
	assert_int_equal(f->v.cpu.rip, H_UD);
	read_kstack(f, KSTACK_TOP - 56, fr, 7);
	assert_int_equal(fr[2], URIP - 2);			/* #UD at the insn */
	assert_int_equal(fr[3], FLAT_USER_CS);
	assert_int_equal(fr[5], USP);

	/* And no #UD handler either. */
	teardown(state);
	setup(state);
	f = *state;
	go_user(f);
	f->v.trap_ctxt[X86_VEC_UD].address = 0;
	assert_int_equal(pv_user_syscall(&f->v, false), -ENOENT);
}

static void put_iret(struct fixture *f, uint64_t sp,
		     const struct iret_context *ctx)
{
	assert_int_equal(gmem_write(&f->fm.gm, f->kcr3, sp, ctx, sizeof(*ctx)),
			 0);
	f->v.cpu.gpr[GPR_RSP] = sp;
}

static void test_iret_to_kernel(void **state)
{
	struct fixture *f = *state;
	struct iret_context ctx = {
		.rax = 0xa0, .r11 = 0xb0, .rcx = 0xc0, .flags = 0,
		.rip = 0x00000000a1000500ull, .cs = FLAT_KERNEL_CS & ~3u,
		.rflags = X86_EFLAGS_IF | X86_EFLAGS_CF | X86_EFLAGS_IOPL |
			  X86_EFLAGS_VM | X86_EFLAGS_DF,
		.rsp = KSTACK_VA + 0x1ff0, .ss = FLAT_KERNEL_SS,
	};

	f->vi.evtchn_upcall_mask = 1;
	put_iret(f, KSTACK_VA + 0x1000, &ctx);
	assert_int_equal(pv_do_iret(&f->v), 0);
	assert_true(f->v.in_kernel);
	assert_int_equal(f->v.cpu.rip, 0x00000000a1000500ull);
	assert_int_equal(f->v.cpu.gpr[GPR_RSP], KSTACK_VA + 0x1ff0);
	assert_int_equal(f->v.cpu.cs, FLAT_KERNEL_CS);
	assert_int_equal(f->v.cpu.ss, FLAT_KERNEL_SS);
	assert_int_equal(f->v.cpu.rflags, X86_EFLAGS_IF | X86_EFLAGS_CF |
					  X86_EFLAGS_DF | X86_EFLAGS_FIXED);
	assert_int_equal(f->v.cpu.gpr[GPR_RAX], 0xa0);
	assert_int_equal(f->v.cpu.gpr[GPR_R11], 0xb0);
	assert_int_equal(f->v.cpu.gpr[GPR_RCX], 0xc0);
	assert_int_equal(f->vi.evtchn_upcall_mask, 0);
	assert_int_equal(f->v.cpu.cr3, f->kcr3);
}

static void test_iret_masks_when_if_clear(void **state)
{
	struct fixture *f = *state;
	struct iret_context ctx = {
		.rax = 1, .rip = 0x00000000a1000600ull,
		.cs = FLAT_KERNEL_CS & ~3u, .rflags = X86_EFLAGS_FIXED,
		.rsp = KSTACK_VA + 0x1f00, .ss = FLAT_KERNEL_SS,
	};

	f->vi.evtchn_upcall_mask = 0;
	put_iret(f, KSTACK_VA + 0x1000, &ctx);
	assert_int_equal(pv_do_iret(&f->v), 0);
	assert_int_equal(f->vi.evtchn_upcall_mask, 1);
	/* The real IF stays set. */
	assert_int_equal(f->v.cpu.rflags, X86_EFLAGS_IF | X86_EFLAGS_FIXED);
}

static void test_iret_to_user(void **state)
{
	struct fixture *f = *state;
	struct iret_context ctx = {
		.rax = 0x77, .r11 = 0x246, .rcx = URIP, .flags = 0,
		.rip = URIP, .cs = FLAT_USER_CS, .rflags = X86_EFLAGS_IF,
		.rsp = USP, .ss = FLAT_USER_SS,
	};

	f->v.user_cr3 = f->ucr3;
	f->v.gs_base_user = UGS;
	f->v.cpu.gs_base = KGS;
	put_iret(f, KSTACK_TOP - sizeof(ctx), &ctx);
	assert_int_equal(pv_do_iret(&f->v), 0);
	assert_false(f->v.in_kernel);
	assert_int_equal(f->v.cpu.cr3, f->ucr3);
	assert_int_equal(f->v.cpu.gs_base, UGS);
	assert_int_equal(f->v.gs_base_kernel, KGS);
	assert_int_equal(f->v.cpu.rip, URIP);
	assert_int_equal(f->v.cpu.gpr[GPR_RSP], USP);
	assert_int_equal(f->v.cpu.cs, FLAT_USER_CS);
	assert_int_equal(f->v.cpu.ss, FLAT_USER_SS);
	assert_int_equal(f->v.cpu.gpr[GPR_RAX], 0x77);
	assert_int_equal(f->v.cpu.gpr[GPR_R11], 0x246);
	assert_int_equal(f->v.cpu.gpr[GPR_RCX], URIP);
	assert_int_equal(f->vi.evtchn_upcall_mask, 0);

	/* Round trip: a trap in user mode comes back to kernel_sp. */
	assert_int_equal(pv_inject_exception(&f->v, X86_VEC_DE, 0), 0);
	assert_true(f->v.in_kernel);
	assert_int_equal(f->v.cpu.gs_base, KGS);
	assert_int_equal(f->v.gs_base_user, UGS);
}

static void test_iret_to_user_without_user_cr3(void **state)
{
	struct fixture *f = *state;
	struct iret_context ctx = {
		.rip = URIP, .cs = FLAT_USER_CS, .rflags = X86_EFLAGS_IF,
		.rsp = USP, .ss = FLAT_USER_SS,
	};

	put_iret(f, KSTACK_VA + 0x1000, &ctx);
	assert_int_not_equal(pv_do_iret(&f->v), 0);
	assert_true(f->v.in_kernel);
	assert_int_equal(f->v.cpu.cr3, f->kcr3);
	assert_int_equal(f->v.cpu.rip, KRIP);
}

static void test_iret_in_syscall(void **state)
{
	struct fixture *f = *state;
	struct iret_context ctx = {
		.rax = 0x42, .r11 = 0xdead, .rcx = 0xbeef,
		.flags = VGCF_in_syscall, .rip = 0x00000000a1000700ull,
		.cs = FLAT_KERNEL_CS & ~3u, .rflags = X86_EFLAGS_IF,
		.rsp = KSTACK_VA + 0x1f00, .ss = FLAT_KERNEL_SS,
	};

	put_iret(f, KSTACK_VA + 0x1000, &ctx);
	assert_int_equal(pv_do_iret(&f->v), 0);
	assert_int_equal(f->v.cpu.gpr[GPR_RAX], 0x42);
	assert_int_equal(f->v.cpu.gpr[GPR_RCX], 0x1111);
	assert_int_equal(f->v.cpu.gpr[GPR_R11], 0x2222);
	assert_int_equal(f->v.cpu.rip, 0x00000000a1000700ull);
}

static void test_iret_unreadable(void **state)
{
	struct fixture *f = *state;

	f->v.cpu.gpr[GPR_RSP] = 0x0000000000f00000ull;
	assert_int_equal(pv_do_iret(&f->v), -EFAULT);
	/* The frame runs off the end of the mapped stack. */
	f->v.cpu.gpr[GPR_RSP] = KSTACK_TOP - 8;
	assert_int_equal(pv_do_iret(&f->v), -EFAULT);
	assert_int_equal(f->v.cpu.rip, KRIP);
	/* From guest user mode iret is refused outright. */
	go_user(f);
	assert_int_equal(pv_do_iret(&f->v), -EPERM);
}


/* A guest GDT in fake RAM, frame GDT_PFN, and the fault handlers. */
#define GDT_PFN		0x120ull
#define H_NP		0x10001b80ull
#define H_SS		0x10001c00ull
#define D_CODE64	0x00affa000000ffffull	/* DPL 3, present */
#define D_DATA		0x00cff2000000ffffull	/* DPL 3, present */
#define D_NOT_PRESENT	(1ull << 47)

static void guest_gdt(struct fixture *f)
{
	uint64_t *g = (uint64_t *)(void *)fm_ptr(&f->fm, GDT_PFN << PAGE_SHIFT);

	memset(g, 0, PAGE_SIZE);
	g[2] = D_CODE64;			/* 0x10 */
	g[3] = D_DATA;				/* 0x18 */
	g[4] = D_CODE64 & ~D_NOT_PRESENT;	/* 0x20: not present */
	g[5] = D_DATA & ~D_NOT_PRESENT;		/* 0x28: not present */
	g[6] = D_CODE64 & ~(3ull << 45);	/* 0x30: DPL 0 */
	g[7] = D_DATA & ~(1ull << 41);		/* 0x38: read-only data */
	f->v.gdt_frames[0] = GDT_PFN;
	f->v.gdt_ents = 16;
	f->v.trap_ctxt[X86_VEC_NP].address = H_NP;
	f->v.trap_ctxt[X86_VEC_SS].address = H_SS;
}

/* iret to cs:ss from the kernel; returns the vector's handler reached. */
static uint64_t iret_fault(struct fixture *f, uint16_t cs, uint16_t ss,
			   uint64_t *ec)
{
	struct iret_context ctx = {
		.rax = 0x5a, .rip = 0x00000000a1000800ull, .cs = cs,
		.rflags = X86_EFLAGS_IF, .rsp = KSTACK_VA + 0x1f00, .ss = ss,
	};
	uint64_t frame[8];

	f->v.cpu.rip = KRIP;
	put_iret(f, KSTACK_VA + 0x1000, &ctx);
	assert_int_equal(pv_do_iret(&f->v), 0);
	read_kstack(f, f->v.cpu.gpr[GPR_RSP], frame, 8);
	*ec = frame[2];
	if (f->v.cpu.rip == 0x00000000a1000800ull)
		return 0;			/* no fault */
	/* As at the iret's target: rip, rax, the selectors given. */
	assert_int_equal(frame[3], 0x00000000a1000800ull);
	assert_int_equal((uint16_t)frame[4], cs & ~3u);
	assert_int_equal(frame[7], ss | 3u);
	assert_int_equal(f->v.cpu.gpr[GPR_RAX], 0x5a);
	return f->v.cpu.rip;
}

/*
 * A bad CS or SS in the iret frame: the fault iretq raises, with the
 * selector as the CPU reports it (Xen lets the real iretq fault).
 */
static void test_iret_segment_faults(void **state)
{
	struct fixture *f = *state;
	uint64_t ec;

	/* Without a GDT, the kernel's 0x10 does not exist. */
	assert_int_equal(iret_fault(f, 0x10, 0x18, &ec), H_GP);
	assert_int_equal(ec, 0x10);
	guest_gdt(f);
	assert_int_equal(iret_fault(f, 0x10, 0x18, &ec), 0);
	assert_int_equal(f->v.cpu.cs, 0x13);
	/*
	 * CS (RPL 0: back to the kernel): null, outside the table, data,
	 * DPL 0, not present.
	 */
	assert_int_equal(iret_fault(f, 0x0, 0x18, &ec), H_GP);
	assert_int_equal(ec, 0);
	assert_int_equal(iret_fault(f, 0x80, 0x18, &ec), H_GP);
	assert_int_equal(ec, 0x80);
	assert_int_equal(iret_fault(f, 0x18, 0x18, &ec), H_GP);
	assert_int_equal(ec, 0x18);
	assert_int_equal(iret_fault(f, 0x30, 0x18, &ec), H_GP);
	assert_int_equal(ec, 0x30);
	assert_int_equal(iret_fault(f, 0x20, 0x18, &ec), H_NP);
	assert_int_equal(ec, 0x20);
	/* The LDT: none set, every selector is outside it (TI kept). */
	assert_int_equal(iret_fault(f, 0x0c, 0x18, &ec), H_GP);
	assert_int_equal(ec, 0x0c);
	/* SS: null, code, read-only, outside the table, not present. */
	assert_int_equal(iret_fault(f, 0x10, 0x3, &ec), H_GP);
	assert_int_equal(ec, 0);
	assert_int_equal(iret_fault(f, 0x10, 0x10, &ec), H_GP);
	assert_int_equal(ec, 0x10);
	assert_int_equal(iret_fault(f, 0x10, 0x3b, &ec), H_GP);
	assert_int_equal(ec, 0x38);
	assert_int_equal(iret_fault(f, 0x10, 0x1f, &ec), H_GP);
	assert_int_equal(ec, 0x1c);
	assert_int_equal(iret_fault(f, 0x10, 0x2b, &ec), H_SS);
	assert_int_equal(ec, 0x28);
	/* CS is checked first. */
	assert_int_equal(iret_fault(f, 0x20, 0x2b, &ec), H_NP);
	assert_int_equal(ec, 0x20);
}

/* To user mode: the fault comes from there, onto the kernel stack. */
static void test_iret_segment_fault_user(void **state)
{
	struct fixture *f = *state;
	struct iret_context ctx = {
		.rip = URIP, .cs = FLAT_USER_CS, .rflags = X86_EFLAGS_IF,
		.rsp = USP, .ss = 0x2b,
	};
	uint64_t frame[8];

	guest_gdt(f);
	f->v.user_cr3 = f->ucr3;
	put_iret(f, KSTACK_VA + 0x1000, &ctx);
	assert_int_equal(pv_do_iret(&f->v), 0);
	assert_true(f->v.in_kernel);
	assert_int_equal(f->v.cpu.rip, H_SS);
	assert_int_equal(f->v.cpu.gpr[GPR_RSP], KSTACK_TOP - 8 * 8);
	read_kstack(f, KSTACK_TOP - 8 * 8, frame, 8);
	assert_int_equal(frame[2], 0x28);
	assert_int_equal(frame[3], URIP);
	assert_int_equal((uint16_t)frame[4], FLAT_USER_CS);
	assert_int_equal(frame[6], USP);
	assert_int_equal(frame[7], 0x2b);

	/* No handler for the fault: an error (the domain is crashed). */
	f->v.trap_ctxt[X86_VEC_GP].address = 0;
	ctx.cs = FLAT_KERNEL_CS & ~3u;
	ctx.ss = 0;
	put_iret(f, KSTACK_VA + 0x1000, &ctx);
	assert_int_equal(pv_do_iret(&f->v), -ENOENT);
}

static void test_upcall(void **state)
{
	struct fixture *f = *state;
	uint64_t fr[7];

	f->v.event_cb.address = H_EVENT;
	f->vi.evtchn_upcall_pending = 1;
	f->vi.evtchn_upcall_mask = 0;
	assert_true(pv_upcall_deliverable(&f->v));
	f->vi.evtchn_upcall_mask = 1;
	assert_false(pv_upcall_deliverable(&f->v));
	f->vi.evtchn_upcall_mask = 0;
	f->vi.evtchn_upcall_pending = 0;
	assert_false(pv_upcall_deliverable(&f->v));
	f->vi.evtchn_upcall_pending = 1;
	f->v.event_cb.address = 0;
	assert_false(pv_upcall_deliverable(&f->v));
	f->v.event_cb.address = H_EVENT;

	go_user(f);
	assert_int_equal(pv_deliver_upcall(&f->v), 0);
	assert_int_equal(f->v.cpu.rip, H_EVENT);
	assert_int_equal(f->vi.evtchn_upcall_mask, 1);
	assert_true(f->v.in_kernel);
	assert_int_equal(f->v.cpu.gpr[GPR_RSP], KSTACK_TOP - 56);
	read_kstack(f, KSTACK_TOP - 56, fr, 7);
	assert_int_equal(fr[2], URIP);
	assert_int_equal(fr[3], FLAT_USER_CS);
	assert_true(fr[4] & X86_EFLAGS_IF);
	/* Now masked: no longer deliverable. */
	assert_false(pv_upcall_deliverable(&f->v));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_exception_with_error_code_kernel),
		T(test_exception_no_error_code_masked),
		T(test_exception_from_user),
		T(test_exception_from_user_unaligned_kernel_sp),
		T(test_interrupt_gate_masks),
		T(test_no_handler),
		T(test_unwritable_stack),
		T(test_page_fault_kernel),
		T(test_page_fault_user),
		T(test_soft_int_kernel),
		T(test_soft_int_kernel_dpl0_gp),
		T(test_soft_int_user),
		T(test_soft_int_trap_refused),
		T(test_soft_int_trap_allowed),
		T(test_soft_int_bp_of),
		T(test_architectural_iopl_frames),
		T(test_architectural_iopl_iret),
		T(test_user_syscall),
		T(test_user_syscall32),
		T(test_user_syscall_no_callback),
		T(test_iret_to_kernel),
		T(test_iret_masks_when_if_clear),
		T(test_iret_to_user),
		T(test_iret_to_user_without_user_cr3),
		T(test_iret_in_syscall),
		T(test_iret_unreadable),
		T(test_iret_segment_faults),
		T(test_iret_segment_fault_user),
		T(test_upcall),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
