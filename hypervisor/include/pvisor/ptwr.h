/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_PTWR_H
#define PVISOR_PTWR_H

/*
 * Writable-page-table emulation (contract §2.9): the instructions a PV
 * kernel uses to write its read-only L1 tables directly, decoded and
 * executed against one naturally aligned memory operand of 1-8 bytes.
 * Pure functions over a cpu_state, so they can be unit tested.
 */
#include <stdbool.h>
#include <stdint.h>

#include "pvisor/cpu_state.h"

enum ptwr_op {
	PTWR_MOV,	/* 88 89 c6 c7: store */
	PTWR_XCHG,	/* 86 87: swap with a register */
	PTWR_CMPXCHG,	/* 0f b0/b1 */
	PTWR_AND,	/* 20 21, 80/81/83 /4 */
	PTWR_OR,	/* 08 09, 80/81/83 /1 */
	PTWR_XOR,	/* 30 31, 80/81/83 /6 */
	PTWR_BTS,	/* 0f ab, 0f ba /5 */
	PTWR_BTR,	/* 0f b3, 0f ba /6 */
	PTWR_BTC,	/* 0f bb, 0f ba /7 */
};

struct ptwr_insn {
	enum ptwr_op op;
	unsigned int len;	/* instruction bytes */
	unsigned int size;	/* operand bytes: 1, 2, 4 or 8 */
	bool lock;
	bool has_imm;		/* else the source is register `reg` */
	uint64_t imm;		/* sign-extended to 64 bits */
	unsigned int reg;	/* ModRM.reg with REX.R */
	bool rex;		/* byte registers 4-7 are SPL..DIL, not AH..BH */
	uint64_t ea;		/* memory operand address (bit ops: adjusted) */
	unsigned int bit;	/* bit ops: bit number inside the operand */
};

/*
 * Decode the instruction in bytes[0..n) that c is about to execute.
 * 0, or -EINVAL for anything outside the supported set (register
 * destinations, other opcodes, truncated bytes).
 */
int ptwr_decode(const uint8_t *bytes, unsigned int n,
		const struct cpu_state *c, struct ptwr_insn *in);

/*
 * Execute on the operand's current value: *newv is what memory must
 * hold afterwards; *write false when memory is left alone (a failed
 * cmpxchg). Registers and flags are updated in c, RIP is not.
 */
void ptwr_execute(const struct ptwr_insn *in, uint64_t old,
		  struct cpu_state *c, uint64_t *newv, bool *write);

/* Put a size-byte value at byte offset off of an 8-byte word. */
static inline uint64_t ptwr_merge(uint64_t word, uint64_t val,
				  unsigned int off, unsigned int size)
{
	uint64_t mask = size == 8 ? ~0ull : ((1ull << (size * 8)) - 1);

	return (word & ~(mask << (off * 8))) | ((val & mask) << (off * 8));
}

static inline uint64_t ptwr_extract(uint64_t word, unsigned int off,
				    unsigned int size)
{
	uint64_t mask = size == 8 ? ~0ull : ((1ull << (size * 8)) - 1);

	return (word >> (off * 8)) & mask;
}

#endif
