/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_PV_INSN_H
#define PVISOR_PV_INSN_H

#include <stdbool.h>
#include <stdint.h>

#include "pvisor/cpu_state.h"

/*
 * The x86 instruction-decoding pieces the PV emulators share (ptwr
 * stores, M2P-compat loads): reading immediates and displacements, and
 * the effective address of a ModRM memory operand.
 */
#define INSN_MAX_LEN	15

struct insn_cursor {
	const uint8_t *b;
	unsigned int n, i;	/* bytes available, bytes consumed */
};

/* What the prefixes of an instruction said. */
struct insn_prefixes {
	bool opsize;		/* 0x66 */
	bool addr32;		/* 0x67 */
	bool lock;		/* 0xf0 */
	bool rep;		/* 0xf2 / 0xf3 */
	uint64_t seg_base;	/* fs/gs override; others are flat in 64-bit */
	uint8_t rex;		/* 0 when absent */
};

/* Consume legacy prefixes, then a REX prefix, at the cursor. */
void insn_prefixes(struct insn_cursor *cur, const struct cpu_state *c,
		   struct insn_prefixes *p);

/*
 * The linear address of a decoded memory operand, once the whole
 * instruction (len bytes) is known: RIP-relative, address size, segment.
 */
uint64_t insn_linear(uint64_t ea, bool riprel, const struct insn_prefixes *p,
		     const struct cpu_state *c, unsigned int len);

/* size little-endian bytes, sign-extended; -EINVAL past the end. */
int insn_take(struct insn_cursor *cur, unsigned int size, uint64_t *out);

/*
 * The memory operand of ModRM (and SIB/displacement that follow) as an
 * address from c's registers; *riprel says it is still relative to the
 * end of the instruction. -EINVAL for a register operand (mod == 3) or
 * a truncated instruction.
 */
int insn_modrm_ea(struct insn_cursor *cur, const struct cpu_state *c,
		  uint8_t modrm, uint8_t rex, uint64_t *ea, bool *riprel);

#endif
