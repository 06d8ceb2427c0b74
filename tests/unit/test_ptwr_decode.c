/* SPDX-License-Identifier: MIT */
/*
 * Writable-page-table instruction decoder and executor
 * (arch/x86/pv/ptwr_decode.c): the encodings Linux's PTE helpers
 * produce, addressing modes, register and flag effects, sub-word
 * merges, and everything that must be refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pvisor/ptwr.h"

#define CF 0x001u
#define PF 0x004u
#define ZF 0x040u
#define SF 0x080u
#define OF 0x800u

#define PTE 0x8000000012345067ull
#define BASE 0xffff888000100000ull

static struct cpu_state cpu(void)
{
	struct cpu_state c;

	memset(&c, 0, sizeof(c));
	for (unsigned int i = 0; i < NR_GPRS; i++)
		c.gpr[i] = 0x1000 * (i + 1);
	c.gpr[GPR_RDI] = BASE + 0x18;
	c.rip = 0xffffffff81000000ull;
	c.rflags = 0x202;
	return c;
}

#define DECODE(c, in, ...) ({						\
	const uint8_t b_[] = { __VA_ARGS__ };				\
	ptwr_decode(b_, sizeof(b_), &(c), &(in));			\
})

static void test_mov(void **state)
{
	struct cpu_state c = cpu();
	struct ptwr_insn in;
	uint64_t nv;
	bool w;

	(void)state;
	c.gpr[GPR_RAX] = 0x2000063;
	/* mov %rax,(%rdi): native_set_pte */
	assert_int_equal(DECODE(c, in, 0x48, 0x89, 0x07), 0);
	assert_int_equal(in.op, PTWR_MOV);
	assert_int_equal(in.size, 8);
	assert_int_equal(in.len, 3);
	assert_int_equal(in.ea, BASE + 0x18);
	ptwr_execute(&in, PTE, &c, &nv, &w);
	assert_true(w);
	assert_int_equal(nv, 0x2000063);
	assert_int_equal(c.rflags, 0x202);
	/* movl %eax,4(%rdi) */
	assert_int_equal(DECODE(c, in, 0x89, 0x47, 0x04), 0);
	assert_int_equal(in.size, 4);
	assert_int_equal(in.ea, BASE + 0x1c);
	/* movw %ax,(%rdi) */
	assert_int_equal(DECODE(c, in, 0x66, 0x89, 0x07), 0);
	assert_int_equal(in.size, 2);
	/* movb %ah,(%rdi): high byte register without REX */
	c.gpr[GPR_RAX] = 0xab00;
	assert_int_equal(DECODE(c, in, 0x88, 0x27), 0);
	assert_int_equal(in.size, 1);
	ptwr_execute(&in, 0x67, &c, &nv, &w);
	assert_int_equal(nv, 0xab);
	/* movb %spl,(%rdi): with REX, register 4 is SPL */
	c.gpr[GPR_RSP] = 0x5c;
	assert_int_equal(DECODE(c, in, 0x40, 0x88, 0x27), 0);
	ptwr_execute(&in, 0x67, &c, &nv, &w);
	assert_int_equal(nv, 0x5c);
	/* movq $imm32,(%rdi): sign-extended */
	assert_int_equal(DECODE(c, in, 0x48, 0xc7, 0x07, 0x00, 0x00, 0x00, 0x80), 0);
	assert_true(in.has_imm);
	ptwr_execute(&in, PTE, &c, &nv, &w);
	assert_int_equal(nv, 0xffffffff80000000ull);
	/* movw $imm16 with 0x66: 2-byte immediate */
	assert_int_equal(DECODE(c, in, 0x66, 0xc7, 0x07, 0x34, 0x12), 0);
	assert_int_equal(in.len, 5);
	ptwr_execute(&in, 0, &c, &nv, &w);
	assert_int_equal(nv, 0x1234);
	/* movb $0,(%rdi) */
	assert_int_equal(DECODE(c, in, 0xc6, 0x07, 0x00), 0);
	ptwr_execute(&in, 0x67, &c, &nv, &w);
	assert_int_equal(nv, 0);
}

static void test_xchg_cmpxchg(void **state)
{
	struct cpu_state c = cpu();
	struct ptwr_insn in;
	uint64_t nv;
	bool w;

	(void)state;
	/* xchg %rax,(%rdi): native_ptep_get_and_clear with rax = 0 */
	c.gpr[GPR_RAX] = 0;
	assert_int_equal(DECODE(c, in, 0x48, 0x87, 0x07), 0);
	assert_int_equal(in.op, PTWR_XCHG);
	ptwr_execute(&in, PTE, &c, &nv, &w);
	assert_true(w);
	assert_int_equal(nv, 0);
	assert_int_equal(c.gpr[GPR_RAX], PTE);
	/* xchg %ecx,(%rdi): 32-bit writes zero-extend */
	c.gpr[GPR_RCX] = 0xffffffff00000001ull;
	assert_int_equal(DECODE(c, in, 0x87, 0x0f), 0);
	ptwr_execute(&in, 0x89abcdef, &c, &nv, &w);
	assert_int_equal(c.gpr[GPR_RCX], 0x89abcdef);
	assert_int_equal(nv, 1);

	/* lock cmpxchg %rdx,(%rdi), match */
	c.gpr[GPR_RAX] = PTE;
	c.gpr[GPR_RDX] = 0x3000063;
	assert_int_equal(DECODE(c, in, 0xf0, 0x48, 0x0f, 0xb1, 0x17), 0);
	assert_true(in.lock);
	assert_int_equal(in.op, PTWR_CMPXCHG);
	ptwr_execute(&in, PTE, &c, &nv, &w);
	assert_true(w);
	assert_int_equal(nv, 0x3000063);
	assert_true(c.rflags & ZF);
	assert_false(c.rflags & CF);
	/* mismatch: rax gets memory, no write, flags of rax - mem */
	c.gpr[GPR_RAX] = 1;
	ptwr_execute(&in, PTE, &c, &nv, &w);
	assert_false(w);
	assert_int_equal(c.gpr[GPR_RAX], PTE);
	assert_false(c.rflags & ZF);
	assert_true(c.rflags & CF);	/* 1 < PTE unsigned */
	/* cmpxchg %dl,(%rdi): byte, accumulator AL */
	c.gpr[GPR_RAX] = 0x1167;
	c.gpr[GPR_RDX] = 0x65;
	assert_int_equal(DECODE(c, in, 0x0f, 0xb0, 0x17), 0);
	assert_int_equal(in.size, 1);
	ptwr_execute(&in, 0x67, &c, &nv, &w);
	assert_true(w && nv == 0x65 && (c.rflags & ZF));
}

static void test_logic(void **state)
{
	struct cpu_state c = cpu();
	struct ptwr_insn in;
	uint64_t nv;
	bool w;

	(void)state;
	/* lock andb $0xfd,(%rdi): ptep_set_wrprotect */
	c.rflags = 0x202 | CF | OF;
	assert_int_equal(DECODE(c, in, 0xf0, 0x80, 0x27, 0xfd), 0);
	assert_int_equal(in.op, PTWR_AND);
	assert_int_equal(in.size, 1);
	assert_int_equal(in.len, 4);
	ptwr_execute(&in, 0x67, &c, &nv, &w);
	assert_int_equal(nv, 0x65);
	assert_false(c.rflags & (CF | OF | ZF));
	/* lock orq $2,(%rdi) with 0x83 (imm8 sign-extended) */
	assert_int_equal(DECODE(c, in, 0xf0, 0x48, 0x83, 0x0f, 0x02), 0);
	assert_int_equal(in.op, PTWR_OR);
	ptwr_execute(&in, 0x65, &c, &nv, &w);
	assert_int_equal(nv, 0x67);
	/* andq $-2,(%rdi): 0x83 /4 with a negative immediate */
	assert_int_equal(DECODE(c, in, 0x48, 0x83, 0x27, 0xfe), 0);
	ptwr_execute(&in, PTE, &c, &nv, &w);
	assert_int_equal(nv, PTE & ~1ull);
	assert_true(c.rflags & SF);
	/* xorl $0x80000000 with 0x81 /6 */
	assert_int_equal(DECODE(c, in, 0x81, 0x37, 0x00, 0x00, 0x00, 0x80), 0);
	assert_int_equal(in.op, PTWR_XOR);
	ptwr_execute(&in, 0x80000000, &c, &nv, &w);
	assert_int_equal(nv, 0);
	assert_true(c.rflags & ZF);
	assert_true(c.rflags & PF);
	/* lock andq %rax,(%rdi) and lock orq %rax,(%rdi) register forms */
	c.gpr[GPR_RAX] = ~2ull;
	assert_int_equal(DECODE(c, in, 0xf0, 0x48, 0x21, 0x07), 0);
	ptwr_execute(&in, 0x67, &c, &nv, &w);
	assert_int_equal(nv, 0x65);
	assert_int_equal(DECODE(c, in, 0xf0, 0x48, 0x09, 0x07), 0);
	assert_int_equal(in.op, PTWR_OR);
	assert_int_equal(DECODE(c, in, 0x48, 0x31, 0x07), 0);
	assert_int_equal(in.op, PTWR_XOR);
}

static void test_bitops(void **state)
{
	struct cpu_state c = cpu();
	struct ptwr_insn in;
	uint64_t nv;
	bool w;

	(void)state;
	/* lock btrq $5,(%rdi): ptep_test_and_clear_young */
	assert_int_equal(DECODE(c, in, 0xf0, 0x48, 0x0f, 0xba, 0x37, 0x05), 0);
	assert_int_equal(in.op, PTWR_BTR);
	assert_int_equal(in.bit, 5);
	ptwr_execute(&in, 0x67, &c, &nv, &w);
	assert_int_equal(nv, 0x47);
	assert_true(c.rflags & CF);
	ptwr_execute(&in, 0x47, &c, &nv, &w);
	assert_false(c.rflags & CF);
	/* lock btsq $1 and btcq $63 */
	assert_int_equal(DECODE(c, in, 0xf0, 0x48, 0x0f, 0xba, 0x2f, 0x01), 0);
	assert_int_equal(in.op, PTWR_BTS);
	ptwr_execute(&in, 0x65, &c, &nv, &w);
	assert_int_equal(nv, 0x67);
	assert_int_equal(DECODE(c, in, 0x48, 0x0f, 0xba, 0x3f, 0x3f), 0);
	assert_int_equal(in.op, PTWR_BTC);
	ptwr_execute(&in, PTE, &c, &nv, &w);
	assert_int_equal(nv, PTE & ~(1ull << 63));
	/* lock btrq %rdx,(%rdi): the offset addresses the bit string */
	c.gpr[GPR_RDX] = 64 + 5;
	assert_int_equal(DECODE(c, in, 0xf0, 0x48, 0x0f, 0xb3, 0x17), 0);
	assert_int_equal(in.ea, BASE + 0x18 + 8);
	assert_int_equal(in.bit, 5);
	c.gpr[GPR_RDX] = (uint64_t)-1;
	assert_int_equal(DECODE(c, in, 0xf0, 0x48, 0x0f, 0xab, 0x17), 0);
	assert_int_equal(in.op, PTWR_BTS);
	assert_int_equal(in.ea, BASE + 0x18 - 8);
	assert_int_equal(in.bit, 63);
	/* 32-bit operand: the offset counts 32-bit units */
	c.gpr[GPR_RDX] = 33;
	assert_int_equal(DECODE(c, in, 0x0f, 0xbb, 0x17), 0);
	assert_int_equal(in.op, PTWR_BTC);
	assert_int_equal(in.ea, BASE + 0x18 + 4);
	assert_int_equal(in.bit, 1);
}

static void test_addressing(void **state)
{
	struct cpu_state c = cpu();
	struct ptwr_insn in;

	(void)state;
	/* mov %rax,(%rdi,%rcx,8) */
	c.gpr[GPR_RCX] = 3;
	assert_int_equal(DECODE(c, in, 0x48, 0x89, 0x04, 0xcf), 0);
	assert_int_equal(in.ea, BASE + 0x18 + 24);
	/* mov %rax,0x10(%r13): REX.B, disp8 */
	c.gpr[GPR_R13] = BASE;
	assert_int_equal(DECODE(c, in, 0x49, 0x89, 0x45, 0x10), 0);
	assert_int_equal(in.ea, BASE + 0x10);
	/* mov %rax,-8(%r12,%r9,1): SIB with REX.X and REX.B */
	c.gpr[GPR_R12] = BASE;
	c.gpr[GPR_R9] = 0x20;
	assert_int_equal(DECODE(c, in, 0x4b, 0x89, 0x44, 0x0c, 0xf8), 0);
	assert_int_equal(in.ea, BASE + 0x18);
	/* mov %rax,0x100(,%rcx,8): no base, disp32 */
	assert_int_equal(DECODE(c, in, 0x48, 0x89, 0x04, 0xcd, 0x00, 0x01,
				0x00, 0x00), 0);
	assert_int_equal(in.ea, 0x100 + 24);
	/* mov %r8,disp32(%rip) */
	assert_int_equal(DECODE(c, in, 0x4c, 0x89, 0x05, 0x10, 0x00, 0x00,
				0x00), 0);
	assert_int_equal(in.reg, GPR_R8);
	assert_int_equal(in.len, 7);
	assert_int_equal(in.ea, c.rip + 7 + 0x10);
	/* %gs: prefix adds the GS base */
	c.gs_base = 0x7000;
	assert_int_equal(DECODE(c, in, 0x65, 0x48, 0x89, 0x07), 0);
	assert_int_equal(in.ea, BASE + 0x18 + 0x7000);
	/* 0x67: 32-bit address */
	assert_int_equal(DECODE(c, in, 0x67, 0x48, 0x89, 0x07), 0);
	assert_int_equal(in.ea, (uint32_t)(BASE + 0x18));
	/* Segment overrides other than fs/gs are ignored. */
	assert_int_equal(DECODE(c, in, 0x3e, 0x48, 0x89, 0x07), 0);
	assert_int_equal(in.ea, BASE + 0x18);
}

static void test_refused(void **state)
{
	struct cpu_state c = cpu();
	struct ptwr_insn in;

	(void)state;
	/* register destinations */
	assert_int_equal(DECODE(c, in, 0x48, 0x89, 0xc7), -EINVAL);
	assert_int_equal(DECODE(c, in, 0xf0, 0x48, 0x0f, 0xba, 0xf7, 0x05), -EINVAL);
	/* add, sub, inc, plain bt, c7 /1, unknown opcodes */
	assert_int_equal(DECODE(c, in, 0x48, 0x01, 0x07), -EINVAL);
	assert_int_equal(DECODE(c, in, 0x48, 0x83, 0x07, 0x01), -EINVAL);
	assert_int_equal(DECODE(c, in, 0x48, 0x83, 0x2f, 0x01), -EINVAL);
	assert_int_equal(DECODE(c, in, 0x48, 0xff, 0x07), -EINVAL);
	assert_int_equal(DECODE(c, in, 0x48, 0x0f, 0xba, 0x27, 0x05), -EINVAL);
	assert_int_equal(DECODE(c, in, 0x48, 0xc7, 0x0f, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(DECODE(c, in, 0x0f, 0x0b), -EINVAL);
	assert_int_equal(DECODE(c, in, 0x8b, 0x07), -EINVAL);	/* a load */
	/* rep prefixes */
	assert_int_equal(DECODE(c, in, 0xf3, 0x48, 0x89, 0x07), -EINVAL);
	/* truncated instructions */
	assert_int_equal(DECODE(c, in, 0x48, 0x89), -EINVAL);
	assert_int_equal(DECODE(c, in, 0x48, 0x89, 0x04), -EINVAL);
	assert_int_equal(DECODE(c, in, 0x48, 0x89, 0x47), -EINVAL);
	assert_int_equal(DECODE(c, in, 0x48, 0xc7, 0x07, 0x00, 0x00), -EINVAL);
	assert_int_equal(DECODE(c, in, 0x0f), -EINVAL);
	assert_int_equal(DECODE(c, in, 0xf0, 0xf0, 0xf0), -EINVAL);
	assert_int_equal(ptwr_decode(NULL, 0, &c, &in), -EINVAL);
	/* a bit operation without its immediate */
	assert_int_equal(DECODE(c, in, 0x0f, 0xba, 0x37), -EINVAL);
	/* fifteen prefixes: nothing left to decode */
	assert_int_equal(DECODE(c, in, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
				0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
				0x89, 0x07), -EINVAL);
}

static void test_merge(void **state)
{
	(void)state;
	assert_int_equal(ptwr_merge(PTE, 0x65, 0, 1), 0x8000000012345065ull);
	assert_int_equal(ptwr_merge(PTE, 0, 4, 4), 0x12345067ull);
	assert_int_equal(ptwr_merge(PTE, 0xffff, 6, 2), 0xffff000012345067ull);
	assert_int_equal(ptwr_merge(PTE, 0x1ff, 2, 1), 0x8000000012ff5067ull);
	assert_int_equal(ptwr_merge(PTE, 7, 0, 8), 7);
	assert_int_equal(ptwr_extract(PTE, 4, 4), 0x80000000);
	assert_int_equal(ptwr_extract(PTE, 0, 1), 0x67);
	assert_int_equal(ptwr_extract(PTE, 7, 1), 0x80);
	assert_int_equal(ptwr_extract(PTE, 0, 8), PTE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mov),
		cmocka_unit_test(test_xchg_cmpxchg),
		cmocka_unit_test(test_logic),
		cmocka_unit_test(test_bitops),
		cmocka_unit_test(test_addressing),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
