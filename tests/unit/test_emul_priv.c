/* SPDX-License-Identifier: MIT */
/*
 * Privileged-instruction emulation (arch/x86/pv/emul_priv.c): the bytes
 * are placed in fake guest memory at RIP.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_mem.h"
#include "pvisor/pv_vcpu.h"

/* See test_guest_mem.c: x86_is_canonical() is UB for such values. */

#define CODE_VA		0x0000000000600000ull
#define CODE_PA		0x80000ull
#define RIP0		(CODE_VA + 0x100)
#define KSTACK_VA	0x0000000000c00000ull
#define KSTACK_PA	0x100000ull
#define BMP_VA		0x0000000000d00000ull	/* kernel tables only */
#define BMP_PA		0x110000ull
#define H_PF		0x0000000000601400ull
#define H_DB		0x0000000000601100ull
#define CR4_DE		0x8ull

struct fixture {
	struct fake_mem fm;
	uint64_t kcr3;
	struct vcpu_info vi;
	struct pv_vcpu v;
	struct cpuid_policy pol;
	unsigned long assist;		/* the domain's vm_assist word */
};

static const struct cpuid_leaf host[] = {
	{ .leaf = 0, .eax = 1, .ebx = 0x756e6547 },
	{ .leaf = 1, .eax = 0x906ea, .ecx = 0x7ffefbff, .edx = 0xbfebfbff },
	{ .leaf = 0x40000000, .eax = 0x40000001, .ebx = 0x4b4d564b },
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	fm_init(&f->fm, FM_RAM_PAGES);
	f->kcr3 = fm_alloc_table(&f->fm);
	fm_map_range(&f->fm, f->kcr3, CODE_VA, CODE_PA, 2, FM_LEAF_RO);
	fm_map_range(&f->fm, f->kcr3, KSTACK_VA, KSTACK_PA, 2, FM_LEAF_RW);
	/* Two bitmap pages, then a hole. */
	fm_map_range(&f->fm, f->kcr3, BMP_VA, BMP_PA, 2, FM_LEAF_RW);
	pv_vcpu_init(&f->v, 0, &f->fm.gm, &f->vi);
	f->v.cpu.gpr[GPR_RSP] = KSTACK_VA + 0x1f88;
	f->v.kernel_sp = KSTACK_VA + 2 * PAGE_SIZE;
	f->v.trap_ctxt[X86_VEC_PF].address = H_PF;
	f->v.trap_ctxt[X86_VEC_DB].address = H_DB;
	f->v.kernel_cr3 = f->kcr3;
	f->v.cpu.cr3 = f->kcr3;
	f->v.cpu.rip = RIP0;
	assert_int_equal(cpuid_policy_build(&f->pol, host,
					    sizeof(host) / sizeof(host[0])), 0);
	f->v.cpuid = &f->pol;
	f->v.vm_assist = &f->assist;
	f->v.iopl = 1;		/* what Linux asks for with set_iopl */
	f->v.cpu.cr4 = 0x620;	/* the VM's real CR4 */
	f->v.guest_cr4 = pv_fixup_guest_cr4(&f->v, 0);
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

static void put_code(struct fixture *f, uint64_t va, const uint8_t *b,
		     size_t n)
{
	memcpy(fm_ptr(&f->fm, CODE_PA + (va - CODE_VA)), b, n);
}

#define PUT(f, ...) do {						\
	static const uint8_t code_[] = { __VA_ARGS__ };			\
	put_code((f), (f)->v.cpu.rip, code_, sizeof(code_));		\
} while (0)

static void test_wrmsr_gs_base(void **state)
{
	struct fixture *f = *state;

	PUT(f, 0x0f, 0x30);
	f->v.cpu.gpr[GPR_RCX] = 0xc0000101;
	f->v.cpu.gpr[GPR_RDX] = 0x00000000;
	f->v.cpu.gpr[GPR_RAX] = 0x00e01000;
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.gs_base, 0x00e01000);
	assert_int_equal(f->v.gs_base_kernel, 0x00e01000);
	assert_int_equal(f->v.cpu.rip, RIP0 + 2);
	assert_true(f->v.cpu.dirty);

	/* edx:eax, upper halves of rax/rdx ignored (still lower half). */
	PUT(f, 0x0f, 0x30);
	f->v.cpu.gpr[GPR_RDX] = 0xffffffff00007f00ull;
	f->v.cpu.gpr[GPR_RAX] = 0xffffffff12345000ull;
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.gs_base, 0x00007f0012345000ull);
	assert_int_equal(f->v.cpu.rip, RIP0 + 4);
}

static void test_wrmsr_gs_base_upper_and_noncanonical(void **state)
{
	struct fixture *f = *state;

	PUT(f, 0x0f, 0x30);
	f->v.cpu.gpr[GPR_RCX] = 0xc0000101;
	f->v.cpu.gpr[GPR_RDX] = 0xffff8880;
	f->v.cpu.gpr[GPR_RAX] = 0x3fc00000;
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.gs_base, 0xffff88803fc00000ull);
	assert_int_equal(f->v.gs_base_kernel, 0xffff88803fc00000ull);

	/* Non-canonical: not emulated, nothing changes. */
	PUT(f, 0x0f, 0x30);
	f->v.cpu.gpr[GPR_RDX] = 0x00008000;
	f->v.cpu.gpr[GPR_RAX] = 0;
	assert_int_equal(pv_emulate_gp(&f->v), 0);
	assert_int_equal(f->v.cpu.gs_base, 0xffff88803fc00000ull);
	assert_int_equal(f->v.cpu.rip, RIP0 + 2);
}

static void test_rdmsr(void **state)
{
	struct fixture *f = *state;

	PUT(f, 0x0f, 0x32);
	f->v.cpu.gpr[GPR_RCX] = 0x277;
	f->v.cpu.gpr[GPR_RAX] = 0xffffffffffffffffull;
	f->v.cpu.gpr[GPR_RDX] = 0xffffffffffffffffull;
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.gpr[GPR_RAX], XEN_MSR_PAT & 0xffffffffu);
	assert_int_equal(f->v.cpu.gpr[GPR_RDX], XEN_MSR_PAT >> 32);
	assert_int_equal(f->v.cpu.rip, RIP0 + 2);

	/* Unknown MSR: not emulated (the guest gets its #GP). */
	PUT(f, 0x0f, 0x32);
	f->v.cpu.gpr[GPR_RCX] = 0x123;
	f->v.cpu.gpr[GPR_RAX] = 0x55;
	assert_int_equal(pv_emulate_gp(&f->v), 0);
	assert_int_equal(f->v.cpu.rip, RIP0 + 2);
	assert_int_equal(f->v.cpu.gpr[GPR_RAX], 0x55);

	/* SHADOW_GS_BASE reads the user GS base. */
	f->v.gs_base_user = 0x0000123456789000ull;
	f->v.cpu.gpr[GPR_RCX] = 0xc0000102;
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.gpr[GPR_RAX], 0x56789000);
	assert_int_equal(f->v.cpu.gpr[GPR_RDX], 0x1234);
}

static void test_port_in(void **state)
{
	struct fixture *f = *state;

	PUT(f, 0xe4, 0x60);			/* in $0x60,%al */
	f->v.cpu.gpr[GPR_RAX] = 0x1234567800000000ull;
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.gpr[GPR_RAX], 0x12345678000000ffull);
	assert_int_equal(f->v.cpu.rip, RIP0 + 2);

	PUT(f, 0xed);				/* in (%dx),%eax */
	f->v.cpu.gpr[GPR_RAX] = 0x1234567800000000ull;
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.gpr[GPR_RAX], 0xffffffffull);
	assert_int_equal(f->v.cpu.rip, RIP0 + 3);

	PUT(f, 0x66, 0xed);			/* in (%dx),%ax */
	f->v.cpu.gpr[GPR_RAX] = 0x10000;
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.gpr[GPR_RAX], 0x1ffff);
	assert_int_equal(f->v.cpu.rip, RIP0 + 5);
}

/* cli/sti: #GP at vIOPL 0; skipped (as on Xen) from 1 up. */
static void test_cli_sti(void **state)
{
	struct fixture *f = *state;
	uint8_t mask = f->v.vcpu_info->evtchn_upcall_mask;

	PUT(f, 0xfa);				/* cli */
	f->v.iopl = 0;
	assert_int_equal(pv_emulate_gp(&f->v), 0);
	assert_int_equal(f->v.cpu.rip, RIP0);
	f->v.iopl = 1;
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.rip, RIP0 + 1);
	assert_int_equal(f->v.vcpu_info->evtchn_upcall_mask, mask);

	PUT(f, 0xfb);				/* sti */
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.vcpu_info->evtchn_upcall_mask, mask);
}

/* The PIT counters read 0 so Linux's quick PIT calibration stops at once. */
static void test_port_in_pit(void **state)
{
	struct fixture *f = *state;

	PUT(f, 0xe4, 0x42);			/* in $0x42,%al */
	f->v.cpu.gpr[GPR_RAX] = 0x12345678000000ffull;
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.gpr[GPR_RAX], 0x1234567800000000ull);
	assert_int_equal(f->v.cpu.rip, RIP0 + 2);

	PUT(f, 0xec);				/* in (%dx),%al, dx = 0x40 */
	f->v.cpu.gpr[GPR_RDX] = 0x40;
	f->v.cpu.gpr[GPR_RAX] = 0xff;
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.gpr[GPR_RAX], 0);

	PUT(f, 0xec);				/* 0x43 (mode register) floats */
	f->v.cpu.gpr[GPR_RDX] = 0x43;
	f->v.cpu.gpr[GPR_RAX] = 0;
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.gpr[GPR_RAX], 0xff);
}

static void test_port_out(void **state)
{
	struct fixture *f = *state;

	PUT(f, 0xe6, 0x80);			/* out %al,$0x80 */
	f->v.cpu.gpr[GPR_RAX] = 0x42;
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.gpr[GPR_RAX], 0x42);
	assert_int_equal(f->v.cpu.rip, RIP0 + 2);

	PUT(f, 0xee);				/* out %al,(%dx) */
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.rip, RIP0 + 3);

	/* rep outsb is not emulated. */
	PUT(f, 0xf3, 0x6e);
	assert_int_equal(pv_emulate_gp(&f->v), 0);
	assert_int_equal(f->v.cpu.rip, RIP0 + 3);
}

/*
 * emulate_mov_cr() reads the ModRM byte from bytes[len + 1], where len
 * indexes the 0x0f escape, so it reads the opcode (0x20/0x22) as ModRM:
 * mod == 0, and every mov from/to a control register is refused.
 */
static void test_mov_cr(void **state)
{
	struct fixture *f = *state;

	f->v.virt_cr2 = 0x0000000000abc123ull;
	PUT(f, 0x0f, 0x20, 0xd0);		/* mov %cr2,%rax */
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.gpr[GPR_RAX], 0xabc123);
	assert_int_equal(f->v.cpu.rip, RIP0 + 3);

	PUT(f, 0x41, 0x0f, 0x20, 0xd3);		/* mov %cr2,%r11 */
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.gpr[GPR_R11], 0xabc123);
	assert_int_equal(f->v.cpu.rip, RIP0 + 7);

	/* mov %cr0,%rcx reports the virtual TS. */
	f->v.cpu.cr0 = 0x80050033;
	f->v.fpu_ts = false;
	PUT(f, 0x0f, 0x20, 0xc1);
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.gpr[GPR_RCX], 0x80050033 & ~8u);
	assert_int_equal(f->v.cpu.rip, RIP0 + 10);
}


static void test_cpuid_forced_emulation(void **state)
{
	struct fixture *f = *state;
	char sig[13];

	PUT(f, 0x0f, 0x0b, 0x78, 0x65, 0x6e, 0x0f, 0xa2);
	f->v.cpu.gpr[GPR_RAX] = 0x40000000;
	f->v.cpu.gpr[GPR_RCX] = 0;
	assert_int_equal(pv_emulate_ud(&f->v), 1);
	assert_int_equal(f->v.cpu.rip, RIP0 + 7);
	assert_int_equal(f->v.cpu.gpr[GPR_RAX], 0x40000002);
	memcpy(sig, &f->v.cpu.gpr[GPR_RBX], 4);
	memcpy(sig + 4, &f->v.cpu.gpr[GPR_RCX], 4);
	memcpy(sig + 8, &f->v.cpu.gpr[GPR_RDX], 4);
	sig[12] = '\0';
	assert_string_equal(sig, "XenVMMXenVMM");

	PUT(f, 0x0f, 0x0b, 0x78, 0x65, 0x6e, 0x0f, 0xa2);
	f->v.cpu.gpr[GPR_RAX] = 1;
	assert_int_equal(pv_emulate_ud(&f->v), 1);
	assert_int_equal(f->v.cpu.rip, RIP0 + 14);
	assert_int_equal(f->v.cpu.gpr[GPR_RAX], 0x906ea);
	assert_true(f->v.cpu.gpr[GPR_RCX] & (1u << 31));
	assert_false(f->v.cpu.gpr[GPR_RDX] & (1u << 3));	/* PSE */
	assert_false(f->v.cpu.gpr[GPR_RDX] & (1u << 13));	/* PGE */
	assert_true(f->v.cpu.gpr[GPR_RDX] & (1u << 0));		/* FPU */
	assert_int_equal(f->v.cpu.gpr[GPR_RAX] >> 32, 0);
}

static void test_ud_not_forced(void **state)
{
	struct fixture *f = *state;

	/* A plain ud2. */
	PUT(f, 0x0f, 0x0b, 0x90, 0x90, 0x90, 0x90, 0x90);
	f->v.cpu.gpr[GPR_RAX] = 0x40000000;
	assert_int_equal(pv_emulate_ud(&f->v), 0);
	assert_int_equal(f->v.cpu.rip, RIP0);
	assert_int_equal(f->v.cpu.gpr[GPR_RAX], 0x40000000);
	/* The signature followed by something other than cpuid. */
	PUT(f, 0x0f, 0x0b, 0x78, 0x65, 0x6e, 0x0f, 0x31);
	assert_int_equal(pv_emulate_ud(&f->v), 0);
	assert_int_equal(f->v.cpu.rip, RIP0);
	/* The prefix runs off the end of the mapped code. */
	f->v.cpu.rip = CODE_VA + 2 * PAGE_SIZE - 4;
	PUT(f, 0x0f, 0x0b, 0x78, 0x65);
	assert_int_equal(pv_emulate_ud(&f->v), 0);
}

/* Switch the vCPU to guest user mode, with the code mapped there too. */
static void enter_user_mode(struct fixture *f)
{
	uint64_t ucr3 = fm_alloc_table(&f->fm);

	fm_map_range(&f->fm, ucr3, CODE_VA, CODE_PA, 2, FM_LEAF_RO);
	f->v.user_cr3 = ucr3;
	assert_int_equal(pv_toggle_guest_mode(&f->v), 0);
	assert_false(f->v.in_kernel);
}

static void test_user_mode_never_emulated(void **state)
{
	struct fixture *f = *state;

	enter_user_mode(f);

	PUT(f, 0xe4, 0x60);
	f->v.cpu.gpr[GPR_RAX] = 0;
	assert_int_equal(pv_emulate_gp(&f->v), 0);
	assert_int_equal(f->v.cpu.gpr[GPR_RAX], 0);
	PUT(f, 0x0f, 0x32);
	f->v.cpu.gpr[GPR_RCX] = 0x277;
	assert_int_equal(pv_emulate_gp(&f->v), 0);
	assert_int_equal(f->v.cpu.rip, RIP0);
	PUT(f, 0xfa);	/* cli, even with a virtual IOPL */
	f->v.iopl = 1;
	assert_int_equal(pv_emulate_gp(&f->v), 0);
	assert_int_equal(f->v.cpu.rip, RIP0);
}

#define ARCH_IOPL	(1ul << VMASST_TYPE_architectural_iopl)

/*
 * Xen's iopl_ok(): the kernel is ring 1 (ring 0 with architectural
 * IOPL), user mode ring 3; allowed when that ring <= the virtual IOPL.
 */
static void test_iopl_ok_matrix(void **state)
{
	struct fixture *f = *state;

	for (unsigned int iopl = 0; iopl < 4; iopl++) {
		f->v.iopl = iopl;
		f->assist = 0;
		assert_int_equal(pv_iopl_ok(&f->v), iopl >= 1);
		f->assist = ARCH_IOPL;
		assert_true(pv_iopl_ok(&f->v));
		/* Other assists change nothing. */
		f->assist = ~ARCH_IOPL;
		assert_int_equal(pv_iopl_ok(&f->v), iopl >= 1);
	}
	/* No domain word at all (a vCPU outside a domain): no assist. */
	f->v.vm_assist = NULL;
	f->v.iopl = 0;
	assert_false(pv_iopl_ok(&f->v));

	f->v.vm_assist = &f->assist;
	enter_user_mode(f);
	for (unsigned int iopl = 0; iopl < 4; iopl++) {
		f->v.iopl = iopl;
		f->assist = 0;
		assert_int_equal(pv_iopl_ok(&f->v), iopl == 3);
		f->assist = ARCH_IOPL;	/* only the kernel's ring changes */
		assert_int_equal(pv_iopl_ok(&f->v), iopl == 3);
	}
}

/* vIOPL 0: the kernel's port I/O and cli/sti are the guest's #GP. */
static void test_kernel_iopl0_refused(void **state)
{
	struct fixture *f = *state;

	f->v.iopl = 0;
	PUT(f, 0xe6, 0x80);			/* out %al,$0x80 */
	assert_int_equal(pv_emulate_gp(&f->v), 0);
	assert_int_equal(f->v.cpu.rip, RIP0);
	PUT(f, 0xe4, 0x60);			/* in $0x60,%al */
	f->v.cpu.gpr[GPR_RAX] = 0x1234;
	assert_int_equal(pv_emulate_gp(&f->v), 0);
	assert_int_equal(f->v.cpu.gpr[GPR_RAX], 0x1234);
	PUT(f, 0x66, 0xef);			/* out %ax,(%dx) */
	assert_int_equal(pv_emulate_gp(&f->v), 0);
	PUT(f, 0xfa);
	assert_int_equal(pv_emulate_gp(&f->v), 0);
	PUT(f, 0xfb);
	assert_int_equal(pv_emulate_gp(&f->v), 0);
	assert_int_equal(f->v.cpu.rip, RIP0);

	/* What IOPL does not guard is still emulated. */
	PUT(f, 0x0f, 0x32);
	f->v.cpu.gpr[GPR_RCX] = 0x277;
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.rip, RIP0 + 2);
	PUT(f, 0x0f, 0x06);			/* clts */
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.rip, RIP0 + 4);
}

/* Architectural IOPL: the kernel is ring 0, so vIOPL 0 is enough. */
static void test_kernel_architectural_iopl(void **state)
{
	struct fixture *f = *state;

	f->v.iopl = 0;
	f->assist = ARCH_IOPL;
	PUT(f, 0xe6, 0x80);			/* out %al,$0x80 */
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.rip, RIP0 + 2);
	PUT(f, 0xec);				/* in (%dx),%al, dx = 0x42 */
	f->v.cpu.gpr[GPR_RDX] = 0x42;
	f->v.cpu.gpr[GPR_RAX] = 0x77;
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.gpr[GPR_RAX], 0);	/* the PIT, as before */
	PUT(f, 0xfa);
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.rip, RIP0 + 4);

	/* Switched off again: back to ring 1. */
	f->assist = 0;
	PUT(f, 0xfb);
	assert_int_equal(pv_emulate_gp(&f->v), 0);
	assert_int_equal(f->v.cpu.rip, RIP0 + 4);
}

/* Each vIOPL from 1 up gives the kernel port I/O and cli/sti. */
static void test_kernel_iopl_levels(void **state)
{
	struct fixture *f = *state;
	uint64_t rip = RIP0;

	for (unsigned int iopl = 1; iopl < 4; iopl++) {
		f->v.iopl = iopl;
		PUT(f, 0xee);			/* out %al,(%dx) */
		assert_int_equal(pv_emulate_gp(&f->v), 1);
		assert_int_equal(f->v.cpu.rip, rip += 1);
		PUT(f, 0xfb);			/* sti */
		assert_int_equal(pv_emulate_gp(&f->v), 1);
		assert_int_equal(f->v.cpu.rip, rip += 1);
	}
}

/*
 * vIOPL 3 gives guest user mode cli/sti (skipped) and port I/O, and
 * nothing else privileged; below 3 it gets nothing, assist or not.
 */
static void test_user_iopl3(void **state)
{
	struct fixture *f = *state;
	uint8_t mask = f->vi.evtchn_upcall_mask;

	enter_user_mode(f);
	f->v.iopl = 3;

	PUT(f, 0xfa);				/* cli */
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.rip, RIP0 + 1);
	assert_int_equal(f->vi.evtchn_upcall_mask, mask);
	PUT(f, 0xfb);				/* sti */
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.rip, RIP0 + 2);
	PUT(f, 0xe6, 0x80);			/* out %al,$0x80 */
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.rip, RIP0 + 4);
	PUT(f, 0xe5, 0x70);			/* in $0x70,%eax */
	f->v.cpu.gpr[GPR_RAX] = 0x1234567800000000ull;
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.gpr[GPR_RAX], 0xffffffffull);
	assert_int_equal(f->v.cpu.rip, RIP0 + 6);
	assert_false(f->v.in_kernel);

	/* Not emulated for user mode at any vIOPL. */
	PUT(f, 0xf3, 0x6e);			/* rep outsb */
	assert_int_equal(pv_emulate_gp(&f->v), 0);
	PUT(f, 0x0f, 0x32);			/* rdmsr */
	f->v.cpu.gpr[GPR_RCX] = 0x277;
	assert_int_equal(pv_emulate_gp(&f->v), 0);
	PUT(f, 0x0f, 0x06);			/* clts */
	assert_int_equal(pv_emulate_gp(&f->v), 0);
	PUT(f, 0x0f, 0x20, 0xd0);		/* mov %cr2,%rax */
	assert_int_equal(pv_emulate_gp(&f->v), 0);
	assert_int_equal(f->v.cpu.rip, RIP0 + 6);

	for (unsigned int iopl = 0; iopl < 3; iopl++) {
		f->v.iopl = iopl;
		f->assist = iopl == 2 ? ARCH_IOPL : 0;
		PUT(f, 0xfa);
		assert_int_equal(pv_emulate_gp(&f->v), 0);
		PUT(f, 0xee);
		assert_int_equal(pv_emulate_gp(&f->v), 0);
		assert_int_equal(f->v.cpu.rip, RIP0 + 6);
	}
}

/*
 * Where the host faults CPUID at CPL3 (CPUID faulting on AMD-V/VT-x),
 * guest user mode's CPUID must still be answered from the policy.
 */
static void test_user_mode_cpuid(void **state)
{
	struct fixture *f = *state;

	enter_user_mode(f);

	PUT(f, 0x0f, 0xa2);
	f->v.cpu.gpr[GPR_RAX] = 0x40000000;
	f->v.cpu.gpr[GPR_RCX] = 0;
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.rip, RIP0 + 2);
	/* Xen's signature from the policy, not the host's KVMKVMKVM. */
	assert_int_equal(f->v.cpu.gpr[GPR_RBX], 0x566e6558);
	assert_false(f->v.in_kernel);
}

static void test_unreadable_rip(void **state)
{
	struct fixture *f = *state;

	f->v.cpu.rip = 0x0000000000900000ull;
	assert_int_equal(pv_emulate_gp(&f->v), 0);
	assert_int_equal(pv_emulate_ud(&f->v), 0);
	/* An instruction ending right before a hole is still emulated. */
	f->v.cpu.rip = CODE_VA + 2 * PAGE_SIZE - 2;
	PUT(f, 0xe4, 0x64);
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.rip, CODE_VA + 2 * PAGE_SIZE);
}


/*
 * CR4 as Xen shows it to a PV guest: PAE, OSFXSR, OSXMMEXCPT (and MCE)
 * of the real CR4, plus DE when the guest sets it; writes never fault,
 * other bits are dropped.
 */
static void test_mov_cr4(void **state)
{
	struct fixture *f = *state;

	PUT(f, 0x0f, 0x20, 0xe0);		/* mov %cr4,%rax */
	f->v.cpu.gpr[GPR_RAX] = ~0ull;
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.gpr[GPR_RAX], 0x620);
	assert_int_equal(f->v.cpu.rip, RIP0 + 3);

	/* DE sticks; TSD, PSE, PGE, VMXE, SMEP are not the guest's. */
	PUT(f, 0x0f, 0x22, 0xe0);		/* mov %rax,%cr4 */
	f->v.cpu.gpr[GPR_RAX] = 0x620 | CR4_DE | 0x4 | 0x10 | 0x80 |
				0x2000 | 0x100000;
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.guest_cr4, 0x628);
	assert_int_equal(f->v.cpu.cr4, 0x620);	/* the VM's is untouched */
	PUT(f, 0x0f, 0x20, 0xe1);		/* mov %cr4,%rcx */
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.gpr[GPR_RCX], 0x628);

	/* Clearing what the guest only observes changes nothing either. */
	PUT(f, 0x0f, 0x22, 0xe1);		/* mov %rcx,%cr4 */
	f->v.cpu.gpr[GPR_RCX] = 0;
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.guest_cr4, 0x620);
	assert_int_equal(f->v.cpu.rip, RIP0 + 12);

	/* Guest user mode: #GP, as any control register access. */
	enter_user_mode(f);
	PUT(f, 0x0f, 0x22, 0xe0);
	assert_int_equal(pv_emulate_gp(&f->v), 0);
	assert_int_equal(f->v.guest_cr4, 0x620);
}

/* Without DE in the CPUID policy, CR4.DE cannot be set (Xen's fixup). */
static void test_cr4_de_needs_policy(void **state)
{
	static const struct cpuid_leaf no_de[] = {
		{ .leaf = 0, .eax = 1, .ebx = 0x756e6547 },
		{ .leaf = 1, .eax = 0x906ea, .edx = 0xbfebfbff & ~4u },
	};
	struct fixture *f = *state;

	assert_int_equal(cpuid_policy_build(&f->pol, no_de, 2), 0);
	PUT(f, 0x0f, 0x22, 0xe0);		/* mov %rax,%cr4 */
	f->v.cpu.gpr[GPR_RAX] = 0x620 | CR4_DE;
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.guest_cr4, 0x620);
	assert_int_equal(pv_set_debugreg(&f->v, 7, 0x401 | (2u << 16)), -EPERM);
}

static uint8_t *bmp(struct fixture *f)
{
	return fm_ptr(&f->fm, BMP_PA);
}

/*
 * vIOPL 0: the I/O bitmap decides, a clear bit allowing the port, for
 * ports below nr_ports only (Xen's guest_io_okay).
 */
static void test_iobitmap_kernel(void **state)
{
	struct fixture *f = *state;

	f->v.iopl = 0;
	memset(bmp(f), 0xff, 2 * PAGE_SIZE);
	bmp(f)[0x80 >> 3] = 0xfe;		/* 0x80 allowed, 0x81-0x87 not */
	bmp(f)[0x88 >> 3] = 0xfe;		/* 0x88 allowed */
	f->v.iobmp = BMP_VA;
	f->v.iobmp_nr = 0x100;

	PUT(f, 0xe6, 0x80);			/* out %al,$0x80 */
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.rip, RIP0 + 2);
	PUT(f, 0xe4, 0x81);			/* in $0x81,%al */
	assert_int_equal(pv_emulate_gp(&f->v), 0);
	assert_int_equal(f->v.cpu.rip, RIP0 + 2);
	/* A word at 0x87 needs 0x87 and 0x88: the first is refused. */
	PUT(f, 0x66, 0xef);			/* out %ax,(%dx) */
	f->v.cpu.gpr[GPR_RDX] = 0x87;
	assert_int_equal(pv_emulate_gp(&f->v), 0);
	bmp(f)[0x80 >> 3] = 0x7e;		/* now 0x87 too */
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.rip, RIP0 + 4);
	/* A dword at 0x86 covers 0x86..0x89, so 0x86 and 0x89 too. */
	PUT(f, 0xed);				/* in (%dx),%eax */
	f->v.cpu.gpr[GPR_RDX] = 0x86;
	assert_int_equal(pv_emulate_gp(&f->v), 0);
	bmp(f)[0x80 >> 3] = 0x3e;
	bmp(f)[0x88 >> 3] = 0xfc;
	f->v.cpu.gpr[GPR_RAX] = 0;
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.gpr[GPR_RAX], 0xffffffffull);
	assert_int_equal(f->v.cpu.rip, RIP0 + 5);

	/* cli/sti are the virtual IOPL's alone. */
	PUT(f, 0xfa);
	assert_int_equal(pv_emulate_gp(&f->v), 0);

	/* nr_ports bounds the bitmap: port + size must fit. */
	memset(bmp(f), 0, 2 * PAGE_SIZE);
	f->v.iobmp_nr = 0x81;
	PUT(f, 0xe6, 0x80);
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	PUT(f, 0xe6, 0x81);
	assert_int_equal(pv_emulate_gp(&f->v), 0);
	PUT(f, 0x66, 0xe7, 0x80);		/* out %ax,$0x80: 0x80-0x81 */
	assert_int_equal(pv_emulate_gp(&f->v), 0);
	f->v.iobmp_nr = 0x10000;		/* the last port */
	f->v.cpu.gpr[GPR_RDX] = 0xffff;
	PUT(f, 0xee);
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	PUT(f, 0x66, 0xef);			/* 0xffff-0x10000: beyond */
	assert_int_equal(pv_emulate_gp(&f->v), 0);

	/* Unset again (nr_ports 0): nothing allowed. */
	f->v.iobmp_nr = 0;
	PUT(f, 0xe6, 0x80);
	assert_int_equal(pv_emulate_gp(&f->v), 0);

	/* A virtual IOPL that allows does not look at the bitmap. */
	f->v.iopl = 1;
	f->v.iobmp = 0x0000000000900000ull;	/* unmapped */
	f->v.iobmp_nr = 0x10000;
	assert_int_equal(pv_emulate_gp(&f->v), 1);
}

/*
 * Guest user mode: the same bitmap, read through the kernel's tables
 * (Xen switches to them), where user mode has no mapping of it.
 */
static void test_iobitmap_user(void **state)
{
	struct fixture *f = *state;

	memset(bmp(f), 0xff, PAGE_SIZE);
	bmp(f)[0x70 >> 3] = 0xfe;
	f->v.iobmp = BMP_VA;
	f->v.iobmp_nr = 0x400;
	f->v.iopl = 0;
	enter_user_mode(f);

	PUT(f, 0xe4, 0x70);			/* in $0x70,%al */
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.rip, RIP0 + 2);
	assert_false(f->v.in_kernel);
	PUT(f, 0xe4, 0x71);
	assert_int_equal(pv_emulate_gp(&f->v), 0);
	PUT(f, 0xfb);				/* sti: still not user mode's */
	assert_int_equal(pv_emulate_gp(&f->v), 0);
	assert_int_equal(f->v.cpu.rip, RIP0 + 2);
}

/*
 * An unreadable bitmap is the guest's #PF at the byte that could not be
 * read, the instruction not done; both bytes are always read, so the
 * second may fault even when the port's bit is in the first.
 */
static void test_iobitmap_fault(void **state)
{
	struct fixture *f = *state;
	uint64_t frame[8];

	f->v.iopl = 0;
	memset(bmp(f), 0, 2 * PAGE_SIZE);
	f->v.iobmp = BMP_VA + 2 * PAGE_SIZE - 1;	/* last mapped byte */
	f->v.iobmp_nr = 8;
	PUT(f, 0xe6, 0x00);			/* out %al,$0x0 */
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.rip, H_PF);
	assert_int_equal(f->v.virt_cr2, BMP_VA + 2 * PAGE_SIZE);
	assert_int_equal(pv_read(&f->v, f->v.cpu.gpr[GPR_RSP], frame,
				 sizeof(frame)), 0);
	assert_int_equal(frame[2], 0);		/* rcx, r11, ec: read, kernel */
	assert_int_equal(frame[3], RIP0);	/* at the instruction */

	/* From user mode: U/S set, delivered to the kernel all the same. */
	f->v.cpu.rip = RIP0;
	f->v.iobmp = BMP_VA + 2 * PAGE_SIZE;	/* first byte unmapped */
	enter_user_mode(f);
	PUT(f, 0xe6, 0x00);
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_true(f->v.in_kernel);
	assert_int_equal(f->v.cpu.rip, H_PF);
	assert_int_equal(f->v.virt_cr2, BMP_VA + 2 * PAGE_SIZE);
	assert_int_equal(pv_read(&f->v, f->v.cpu.gpr[GPR_RSP], frame,
				 sizeof(frame)), 0);
	assert_int_equal(frame[2], 4);

	/* No #PF handler: an error, the domain's end. */
	f->v.trap_ctxt[X86_VEC_PF].address = 0;
	f->v.cpu.rip = RIP0;
	assert_int_equal(pv_toggle_guest_mode(&f->v), 0);
	assert_true(pv_emulate_gp(&f->v) < 0);
	assert_int_equal(f->v.cpu.rip, RIP0);
}

/*
 * I/O breakpoints (CR4.DE, DR7 RW=10b) fire on emulated port I/O: #DB
 * after the instruction, with DR6.Bn, as Xen's check_guest_io_breakpoint.
 */
static void test_io_breakpoint(void **state)
{
	struct fixture *f = *state;
	uint64_t dr6, frame[7];

	f->v.guest_cr4 = pv_fixup_guest_cr4(&f->v, CR4_DE);
	assert_int_equal(pv_set_debugreg(&f->v, 1, 0x80), 0);
	assert_int_equal(pv_set_debugreg(&f->v, 2, 0x71), 0);
	/* L1, RW1 = I/O, LEN1 = 1; L2, RW2 = I/O, LEN2 = 4 (0x70-0x73). */
	assert_int_equal(pv_set_debugreg(&f->v, 7, 0x404 | 0x10 |
					 (2u << 20) | (2u << 24) |
					 (3u << 26)), 0);

	PUT(f, 0xe6, 0x81);			/* out %al,$0x81: no hit */
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.rip, RIP0 + 2);
	PUT(f, 0xe6, 0x80);			/* out %al,$0x80: DR1 */
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.rip, H_DB);
	assert_int_equal(pv_read(&f->v, f->v.cpu.gpr[GPR_RSP], frame,
				 sizeof(frame)), 0);
	assert_int_equal(frame[2], RIP0 + 4);	/* a trap: past the out */
	assert_int_equal(pv_get_debugreg(&f->v, 6, &dr6), 0);
	assert_int_equal(dr6, 0xffff0ff0 | 2);

	/* A word at 0x7f reaches 0x80: DR1; the DR2 hit replaces it. */
	f->v.cpu.rip = RIP0;
	f->v.cpu.gpr[GPR_RSP] = KSTACK_VA + 0x1f88;
	f->v.cpu.gpr[GPR_RDX] = 0x73;
	PUT(f, 0xec);				/* in (%dx),%al: 0x73, DR2 */
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.rip, H_DB);
	assert_int_equal(pv_get_debugreg(&f->v, 6, &dr6), 0);
	assert_int_equal(dr6, 0xffff0ff0 | 4);

	/* CR4.DE cleared again: the enables stay but nothing fires. */
	f->v.cpu.rip = RIP0;
	f->v.guest_cr4 = pv_fixup_guest_cr4(&f->v, 0);
	PUT(f, 0xe6, 0x80);
	assert_int_equal(pv_emulate_gp(&f->v), 1);
	assert_int_equal(f->v.cpu.rip, RIP0 + 2);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_wrmsr_gs_base),
		T(test_wrmsr_gs_base_upper_and_noncanonical),
		T(test_rdmsr),
		T(test_port_in),
		T(test_port_in_pit),
		T(test_cli_sti),
		T(test_port_out),
		T(test_mov_cr),
		T(test_cpuid_forced_emulation),
		T(test_ud_not_forced),
		T(test_user_mode_never_emulated),
		T(test_user_mode_cpuid),
		T(test_unreadable_rip),
		T(test_iopl_ok_matrix),
		T(test_kernel_iopl0_refused),
		T(test_kernel_architectural_iopl),
		T(test_kernel_iopl_levels),
		T(test_user_iopl3),
		T(test_mov_cr4),
		T(test_cr4_de_needs_policy),
		T(test_iobitmap_kernel),
		T(test_iobitmap_user),
		T(test_iobitmap_fault),
		T(test_io_breakpoint),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
