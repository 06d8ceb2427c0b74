/* SPDX-License-Identifier: MIT */
/*
 * Fixed-address M2P reads (arch/x86/pv/m2p_compat.c): the loads it
 * decodes, addressing modes, register width semantics, and everything
 * it must leave to the guest: other error codes, other addresses,
 * undecodable instructions, and reads past the table (which become a
 * not-present fault). The table is a heap array of exactly nr entries,
 * so AddressSanitizer catches any read outside it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pvisor/m2p_compat.h"

#define VA	M2P_COMPAT_VA_START
#define NR	600ull		/* entries: spans two 4K pages */
#define RSVD	0x08u
#define EC	(RSVD | 0x01u)	/* present + reserved bit: kernel read */
#define RIP0	0xffffffff81000000ull

static uint64_t *table;
static struct m2p_view view;

static int setup(void **state)
{
	(void)state;
	table = malloc(NR * sizeof(*table));
	for (uint64_t i = 0; i < NR; i++)
		table[i] = 0x100000000ull * i + i * 3 + 1;	/* distinct halves */
	view = (struct m2p_view){ .table = table, .nr = NR };
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(table);
	return 0;
}

static uint64_t ent(uint64_t mfn)
{
	return table[mfn];
}

static struct cpu_state cpu(void)
{
	struct cpu_state c;

	memset(&c, 0, sizeof(c));
	for (unsigned int i = 0; i < NR_GPRS; i++)
		c.gpr[i] = 0x1111111111111111ull * (i + 1);
	c.rip = RIP0;
	c.rflags = 0x202;
	return c;
}

/* Emulate the bytes with cr2 and error code ec; returns the result. */
#define EMUL(c, cr2, ec, ...) ({					\
	const uint8_t b_[] = { __VA_ARGS__ };				\
	uint32_t ec_ = (ec);						\
	m2p_compat_emulate(&view, (cr2), &ec_, b_, sizeof(b_), &(c));	\
})

static void test_mov64(void **state)
{
	struct cpu_state c = cpu(), before;

	(void)state;
	/* mov (%rax,%rdi,8),%rax: Linux's mfn_to_pfn shape */
	c.gpr[GPR_RAX] = VA;
	c.gpr[GPR_RDI] = 5;
	before = c;
	assert_int_equal(EMUL(c, VA + 40, EC, 0x48, 0x8b, 0x04, 0xf8), 1);
	assert_int_equal(c.gpr[GPR_RAX], ent(5));
	assert_int_equal(c.rip, RIP0 + 4);
	assert_true(c.dirty);
	assert_int_equal(c.gpr[GPR_RDI], before.gpr[GPR_RDI]);
	assert_int_equal(c.rflags, before.rflags);

	/* mov 8(%rsi),%r9: REX.WR, disp8 */
	c = cpu();
	c.gpr[GPR_RSI] = VA + 8 * 7;
	assert_int_equal(EMUL(c, VA + 64, EC, 0x4c, 0x8b, 0x4e, 0x08), 1);
	assert_int_equal(c.gpr[GPR_R9], ent(8));
	assert_int_equal(c.rip, RIP0 + 4);

	/* The last entry. */
	c = cpu();
	c.gpr[GPR_RBX] = VA + 8 * (NR - 1);
	assert_int_equal(EMUL(c, VA + 8 * (NR - 1), EC, 0x48, 0x8b, 0x0b), 1);
	assert_int_equal(c.gpr[GPR_RCX], ent(NR - 1));

	/* The host may report not-present instead of PFEC.RSVD. */
	c = cpu();
	c.gpr[GPR_RBX] = VA + 16;
	assert_int_equal(EMUL(c, VA + 16, 0x04, 0x48, 0x8b, 0x0b), 1);
	assert_int_equal(c.gpr[GPR_RCX], ent(2));
	c = cpu();
	c.gpr[GPR_RBX] = VA + 16;
	assert_int_equal(EMUL(c, VA + 16, 0x00, 0x48, 0x8b, 0x0b), 1);
	assert_int_equal(c.gpr[GPR_RCX], ent(2));

	/* A user-mode read (PFEC.U) is emulated too: the M2P is user RO. */
	c = cpu();
	c.gpr[GPR_RBX] = VA;
	assert_int_equal(EMUL(c, VA, EC | 0x04, 0x48, 0x8b, 0x0b), 1);
	assert_int_equal(c.gpr[GPR_RCX], ent(0));
}

static void test_widths(void **state)
{
	struct cpu_state c = cpu();

	(void)state;
	/* mov (%rbx),%ecx: zero-extends into rcx */
	c.gpr[GPR_RBX] = VA + 8 * 3;
	assert_int_equal(EMUL(c, VA + 24, EC, 0x8b, 0x0b), 1);
	assert_int_equal(c.gpr[GPR_RCX], ent(3) & 0xffffffff);
	assert_int_equal(c.rip, RIP0 + 2);

	/* mov 4(%rbx),%ecx: the high half */
	c = cpu();
	c.gpr[GPR_RBX] = VA + 8 * 3;
	assert_int_equal(EMUL(c, VA + 28, EC, 0x8b, 0x4b, 0x04), 1);
	assert_int_equal(c.gpr[GPR_RCX], ent(3) >> 32);

	/* mov (%rbx),%cx: 16-bit merges */
	c = cpu();
	c.gpr[GPR_RBX] = VA + 8 * 3;
	assert_int_equal(EMUL(c, VA + 24, EC, 0x66, 0x8b, 0x0b), 1);
	assert_int_equal(c.gpr[GPR_RCX],
			 (0x2222222222222222ull & ~0xffffull) | (ent(3) & 0xffff));

	/* movzbl (%rbx),%ecx and movzwq (%rbx),%rcx */
	c = cpu();
	c.gpr[GPR_RBX] = VA + 8 * 300;
	assert_int_equal(EMUL(c, VA + 2400, EC, 0x0f, 0xb6, 0x0b), 1);
	assert_int_equal(c.gpr[GPR_RCX], ent(300) & 0xff);
	c = cpu();
	c.gpr[GPR_RBX] = VA + 8 * 300;
	assert_int_equal(EMUL(c, VA + 2400, EC, 0x48, 0x0f, 0xb7, 0x0b), 1);
	assert_int_equal(c.gpr[GPR_RCX], ent(300) & 0xffff);

	/* movsbq / movswl of a negative value; movslq (63) */
	table[9] = 0x00000000ffff8080ull;
	c = cpu();
	c.gpr[GPR_RBX] = VA + 72;
	assert_int_equal(EMUL(c, VA + 72, EC, 0x48, 0x0f, 0xbe, 0x0b), 1);
	assert_int_equal(c.gpr[GPR_RCX], 0xffffffffffffff80ull);
	c = cpu();
	c.gpr[GPR_RBX] = VA + 72;
	assert_int_equal(EMUL(c, VA + 72, EC, 0x0f, 0xbf, 0x0b), 1);
	assert_int_equal(c.gpr[GPR_RCX], 0xffff8080ull);
	c = cpu();
	c.gpr[GPR_RBX] = VA + 72;
	assert_int_equal(EMUL(c, VA + 72, EC, 0x48, 0x63, 0x0b), 1);
	assert_int_equal(c.gpr[GPR_RCX], 0xffffffffffff8080ull);
	table[9] = 0x100000000ull * 9 + 28;

	/* An unaligned load across two entries. */
	c = cpu();
	c.gpr[GPR_RBX] = VA + 8 * 10 + 4;
	assert_int_equal(EMUL(c, VA + 84, EC, 0x48, 0x8b, 0x0b), 1);
	assert_int_equal(c.gpr[GPR_RCX], (ent(10) >> 32) | (ent(11) << 32));
}

static void test_addressing(void **state)
{
	struct cpu_state c = cpu();
	struct m2p_load ld;
	const uint8_t abs32[] = { 0x48, 0x8b, 0x04, 0x25, 0x10, 0x00, 0x00, 0x00 };
	const uint8_t rip[] = { 0x48, 0x8b, 0x05, 0xf8, 0xff, 0xff, 0xff };
	const uint8_t sib_r12[] = { 0x4b, 0x8b, 0x44, 0xfc, 0x10 };
	const uint8_t gs[] = { 0x65, 0x48, 0x8b, 0x04, 0x25, 0x08, 0x00, 0x00, 0x00 };

	(void)state;
	assert_int_equal(m2p_decode_load(abs32, sizeof(abs32), &c, &ld), 0);
	assert_int_equal(ld.ea, 0x10);
	assert_int_equal(ld.len, 8);
	/* RIP-relative: relative to the next instruction */
	assert_int_equal(m2p_decode_load(rip, sizeof(rip), &c, &ld), 0);
	assert_int_equal(ld.ea, RIP0 + 7 - 8);
	/* 0x10(%r12,%r15,8): REX.B base, REX.X index */
	c.gpr[GPR_R12] = VA;
	c.gpr[GPR_R15] = 4;
	assert_int_equal(m2p_decode_load(sib_r12, sizeof(sib_r12), &c, &ld), 0);
	assert_int_equal(ld.ea, VA + 0x10 + 32);
	assert_int_equal(ld.reg, GPR_RAX);
	/* %gs:8 */
	c.gs_base = VA;
	assert_int_equal(m2p_decode_load(gs, sizeof(gs), &c, &ld), 0);
	assert_int_equal(ld.ea, VA + 8);
	c.gpr[GPR_RAX] = 0;
	assert_int_equal(m2p_compat_emulate(&view, VA + 8, &(uint32_t){ EC },
					    gs, sizeof(gs), &c), 1);
	assert_int_equal(c.gpr[GPR_RAX], ent(1));
	assert_int_equal(c.rip, RIP0 + sizeof(gs));
	/* A 32-bit address wraps: never reaches the slot. */
	c = cpu();
	c.gpr[GPR_RBX] = VA + 8;
	assert_int_equal(EMUL(c, VA + 8, EC, 0x67, 0x48, 0x8b, 0x0b), 0);
}

static void test_not_ours(void **state)
{
	struct cpu_state c = cpu(), before;

	(void)state;
	c.gpr[GPR_RBX] = VA + 8;
	before = c;
	/* A protection fault, a write or a fetch. */
	assert_int_equal(EMUL(c, VA + 8, 0x01, 0x48, 0x8b, 0x0b), 0);
	assert_int_equal(EMUL(c, VA + 8, 0x05, 0x48, 0x8b, 0x0b), 0);
	assert_int_equal(EMUL(c, VA + 8, 0x02, 0x48, 0x8b, 0x0b), 0);
	assert_int_equal(EMUL(c, VA + 8, EC | 0x02, 0x48, 0x8b, 0x0b), 0);
	assert_int_equal(EMUL(c, VA + 8, EC | 0x10, 0x48, 0x8b, 0x0b), 0);
	/* Outside slot 256. */
	assert_int_equal(EMUL(c, VA - 8, EC, 0x48, 0x8b, 0x0b), 0);
	assert_int_equal(EMUL(c, M2P_COMPAT_VA_END, EC, 0x48, 0x8b, 0x0b), 0);
	/* Stores, read-modify-writes, string ops, lock, register forms. */
	assert_int_equal(EMUL(c, VA + 8, EC, 0x48, 0x89, 0x0b), 0);
	assert_int_equal(EMUL(c, VA + 8, EC, 0x48, 0x03, 0x0b), 0);
	assert_int_equal(EMUL(c, VA + 8, EC, 0xf3, 0x48, 0xa5), 0);
	assert_int_equal(EMUL(c, VA + 8, EC, 0xf0, 0x48, 0x8b, 0x0b), 0);
	assert_int_equal(EMUL(c, VA + 8, EC, 0x48, 0x8b, 0xcb), 0);
	assert_int_equal(EMUL(c, VA + 8, EC, 0x8a, 0x0b), 0);
	/* Truncated: the fetch stopped at an unmapped page. */
	assert_int_equal(EMUL(c, VA + 8, EC, 0x48, 0x8b), 0);
	assert_int_equal(EMUL(c, VA + 8, EC, 0x48, 0x8b, 0x4b), 0);
	assert_int_equal(EMUL(c, VA + 8, EC, 0x48, 0x8b, 0x8b, 0x00, 0x00), 0);
	/* A decoded address that is not the faulting one. */
	assert_int_equal(EMUL(c, VA + 16, EC, 0x48, 0x8b, 0x0b), 0);
	assert_int_equal(EMUL(c, VA + 7, EC, 0x48, 0x8b, 0x0b), 0);
	/* Fifteen prefixes and more: too long. */
	assert_int_equal(EMUL(c, VA + 8, EC, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e,
			      0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e,
			      0x48, 0x8b, 0x0b), 0);
	/* No table. */
	{
		struct m2p_view none = { 0 };
		const uint8_t b[] = { 0x48, 0x8b, 0x0b };
		uint32_t ec = EC;

		assert_int_equal(m2p_compat_emulate(&none, VA + 8, &ec, b,
						    sizeof(b), &c), 0);
	}
	assert_memory_equal(&c, &before, sizeof(c));
}

static void test_past_end(void **state)
{
	struct cpu_state c = cpu(), before;
	const uint8_t b[] = { 0x48, 0x8b, 0x0b };
	const uint8_t b32[] = { 0x8b, 0x0b };
	uint32_t ec;

	(void)state;
	/* One past the last entry: a not-present fault for the guest. */
	c.gpr[GPR_RBX] = VA + 8 * NR;
	before = c;
	ec = EC;
	assert_int_equal(m2p_compat_emulate(&view, VA + 8 * NR, &ec, b,
					    sizeof(b), &c), 0);
	assert_int_equal(ec, 0);
	ec = EC | 0x04;		/* the U bit stays */
	assert_int_equal(m2p_compat_emulate(&view, VA + 8 * NR, &ec, b,
					    sizeof(b), &c), 0);
	assert_int_equal(ec, 0x04);
	/* Straddling the end: half of it is past the table. */
	c.gpr[GPR_RBX] = VA + 8 * NR - 4;
	ec = EC;
	assert_int_equal(m2p_compat_emulate(&view, VA + 8 * NR, &ec, b,
					    sizeof(b), &c), 0);
	assert_int_equal(ec, 0);
	/* ... while its first 4 bytes are fine. */
	ec = EC;
	assert_int_equal(m2p_compat_emulate(&view, VA + 8 * NR - 4, &ec, b32,
					    sizeof(b32), &c), 1);
	assert_int_equal(c.gpr[GPR_RCX], ent(NR - 1) >> 32);
	c = before;
	/* The far end of the slot and a huge index: no wrap-around. */
	c.gpr[GPR_RBX] = M2P_COMPAT_VA_END - 8;
	ec = EC;
	assert_int_equal(m2p_compat_emulate(&view, M2P_COMPAT_VA_END - 8, &ec,
					    b, sizeof(b), &c), 0);
	assert_int_equal(ec, 0);
	c.gpr[GPR_RBX] = M2P_COMPAT_VA_END - 4;
	ec = EC;
	assert_int_equal(m2p_compat_emulate(&view, M2P_COMPAT_VA_END - 4, &ec,
					    b, sizeof(b), &c), 0);
	assert_int_equal(ec, 0);
	{
		/* mov (%rax,%rdi,8),%rax with rdi = 2^61 + 1: wraps to VA + 8 */
		const uint8_t w[] = { 0x48, 0x8b, 0x04, 0xf8 };

		c = before;
		c.gpr[GPR_RAX] = VA;
		c.gpr[GPR_RDI] = (1ull << 61) + 1;
		ec = EC;
		/* The CPU computes the same wrapped address; that is fine. */
		assert_int_equal(m2p_compat_emulate(&view, VA + 8, &ec, w,
						    sizeof(w), &c), 1);
		assert_int_equal(c.gpr[GPR_RAX], ent(1));
	}
	/* An absurd table size is clamped to the slot. */
	{
		struct m2p_view big = { .table = table, .nr = ~0ull };

		c = before;
		c.gpr[GPR_RBX] = M2P_COMPAT_VA_END - 4;
		ec = EC;
		assert_int_equal(m2p_compat_emulate(&big, M2P_COMPAT_VA_END - 4,
						    &ec, b, sizeof(b), &c), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mov64),
		cmocka_unit_test(test_widths),
		cmocka_unit_test(test_addressing),
		cmocka_unit_test(test_not_ours),
		cmocka_unit_test(test_past_end),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
