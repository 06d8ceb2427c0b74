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
