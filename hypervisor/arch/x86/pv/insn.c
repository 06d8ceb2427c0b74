// SPDX-License-Identifier: MIT
/* Shared x86 decoding for the PV emulators (see insn.h). */
#include <errno.h>

#include "insn.h"

void insn_prefixes(struct insn_cursor *cur, const struct cpu_state *c,
		   struct insn_prefixes *p)
{
	*p = (struct insn_prefixes){ 0 };
	for (; cur->i < cur->n; cur->i++) {
		switch (cur->b[cur->i]) {
		case 0x66:
			p->opsize = true;
			continue;
		case 0x67:
			p->addr32 = true;
			continue;
		case 0xf0:
			p->lock = true;
			continue;
		case 0xf2: case 0xf3:
			p->rep = true;
			continue;
		case 0x26: case 0x2e: case 0x36: case 0x3e:
			continue;	/* ignored in 64-bit mode */
		case 0x64:
			p->seg_base = c->fs_base;
			continue;
		case 0x65:
			p->seg_base = c->gs_base;
			continue;
		}
		break;
	}
	/* REX counts only right before the opcode. */
	if (cur->i < cur->n && (cur->b[cur->i] & 0xf0) == 0x40)
		p->rex = cur->b[cur->i++];
}

uint64_t insn_linear(uint64_t ea, bool riprel, const struct insn_prefixes *p,
		     const struct cpu_state *c, unsigned int len)
{
	if (riprel)
		ea += c->rip + len;
	if (p->addr32)
		ea = (uint32_t)ea;
	return ea + p->seg_base;
}

int insn_take(struct insn_cursor *cur, unsigned int size, uint64_t *out)
{
	unsigned int shift = 64 - size * 8;
	uint64_t v = 0;

	if (size == 0 || size > 8 || cur->i + size > cur->n)
		return -EINVAL;
	for (unsigned int k = 0; k < size; k++)
		v |= (uint64_t)cur->b[cur->i + k] << (8 * k);
	cur->i += size;
	*out = (uint64_t)((int64_t)(v << shift) >> shift);
	return 0;
}

int insn_modrm_ea(struct insn_cursor *cur, const struct cpu_state *c,
		  uint8_t modrm, uint8_t rex, uint64_t *ea, bool *riprel)
{
	unsigned int mod = modrm >> 6, rm = modrm & 7;
	uint64_t disp = 0, sib;

	*ea = 0;
	*riprel = false;
	if (mod == 3)
		return -EINVAL;
	if (rm == 4) {
		unsigned int index, base;

		if (insn_take(cur, 1, &sib))
			return -EINVAL;
		index = ((sib >> 3) & 7) | ((rex & 2) ? 8 : 0);
		base = (sib & 7) | ((rex & 1) ? 8 : 0);
		if (index != 4)		/* 4 without REX.X: no index */
			*ea += c->gpr[index] << ((sib >> 6) & 3);
		if ((base & 7) == 5 && mod == 0) {
			if (insn_take(cur, 4, &disp))
				return -EINVAL;
		} else {
			*ea += c->gpr[base];
		}
	} else if (rm == 5 && mod == 0) {
		*riprel = true;
		if (insn_take(cur, 4, &disp))
			return -EINVAL;
	} else {
		*ea += c->gpr[rm | ((rex & 1) ? 8 : 0)];
	}
	if (mod == 1 && insn_take(cur, 1, &disp))
		return -EINVAL;
	if (mod == 2 && insn_take(cur, 4, &disp))
		return -EINVAL;
	*ea += disp;
	return 0;
}
