// SPDX-License-Identifier: MIT
/*
 * Decoder and executor for writes to read-only page tables: the
 * instructions Linux's PTE helpers use (mov, xchg, cmpxchg, lock
 * and/or/xor, lock bts/btr/btc) with one memory destination. Anything
 * else is not decoded, and the fault goes back to the guest.
 */
#include <errno.h>
#include <string.h>

#include "pvisor/ptwr.h"
#include "insn.h"

#define FL_CF	0x001u
#define FL_PF	0x004u
#define FL_AF	0x010u
#define FL_ZF	0x040u
#define FL_SF	0x080u
#define FL_OF	0x800u
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

static uint64_t size_mask(unsigned int size)
{
	return size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

static int64_t sign_extend(uint64_t v, unsigned int size)
{
	unsigned int shift = 64 - size * 8;

	return (int64_t)(v << shift) >> shift;
}

/* Byte registers 4-7 without a REX prefix are AH, CH, DH, BH. */
static bool high_byte(unsigned int reg, unsigned int size, bool rex)
{
	return size == 1 && !rex && reg >= 4 && reg < 8;
}

static uint64_t reg_read(const struct cpu_state *c, unsigned int reg,
			 unsigned int size, bool rex)
{
	if (high_byte(reg, size, rex))
		return (c->gpr[reg - 4] >> 8) & 0xff;
	return c->gpr[reg] & size_mask(size);
}

static void reg_write(struct cpu_state *c, unsigned int reg,
		      unsigned int size, bool rex, uint64_t val)
{
	uint64_t *r;

	if (high_byte(reg, size, rex)) {
		r = &c->gpr[reg - 4];
		*r = (*r & ~0xff00ull) | ((val & 0xff) << 8);
		return;
	}
	r = &c->gpr[reg];
	if (size == 4)
		*r = (uint32_t)val;	/* 32-bit writes zero-extend */
	else
		*r = (*r & ~size_mask(size)) | (val & size_mask(size));
}

/* Opcode table: what each supported opcode does with its operands. */
struct opinfo {
	enum ptwr_op op;
	bool byte;		/* 8-bit operand */
	unsigned int imm;	/* immediate bytes (4 means 2 with 0x66) */
	bool group;		/* ModRM.reg selects the operation */
};

static int one_byte_op(uint8_t opc, struct opinfo *o)
{
	switch (opc) {
	case 0x88: *o = (struct opinfo){ PTWR_MOV, true, 0, false }; return 0;
	case 0x89: *o = (struct opinfo){ PTWR_MOV, false, 0, false }; return 0;
	case 0xc6: *o = (struct opinfo){ PTWR_MOV, true, 1, true }; return 0;
	case 0xc7: *o = (struct opinfo){ PTWR_MOV, false, 4, true }; return 0;
	case 0x86: *o = (struct opinfo){ PTWR_XCHG, true, 0, false }; return 0;
	case 0x87: *o = (struct opinfo){ PTWR_XCHG, false, 0, false }; return 0;
	case 0x20: *o = (struct opinfo){ PTWR_AND, true, 0, false }; return 0;
	case 0x21: *o = (struct opinfo){ PTWR_AND, false, 0, false }; return 0;
	case 0x08: *o = (struct opinfo){ PTWR_OR, true, 0, false }; return 0;
	case 0x09: *o = (struct opinfo){ PTWR_OR, false, 0, false }; return 0;
	case 0x30: *o = (struct opinfo){ PTWR_XOR, true, 0, false }; return 0;
	case 0x31: *o = (struct opinfo){ PTWR_XOR, false, 0, false }; return 0;
	case 0x80: *o = (struct opinfo){ PTWR_OR, true, 1, true }; return 0;
	case 0x81: *o = (struct opinfo){ PTWR_OR, false, 4, true }; return 0;
	case 0x83: *o = (struct opinfo){ PTWR_OR, false, 1, true }; return 0;
	}
	return -EINVAL;
}

static int two_byte_op(uint8_t opc, struct opinfo *o)
{
	switch (opc) {
	case 0xb0: *o = (struct opinfo){ PTWR_CMPXCHG, true, 0, false }; return 0;
	case 0xb1: *o = (struct opinfo){ PTWR_CMPXCHG, false, 0, false }; return 0;
	case 0xab: *o = (struct opinfo){ PTWR_BTS, false, 0, false }; return 0;
	case 0xb3: *o = (struct opinfo){ PTWR_BTR, false, 0, false }; return 0;
	case 0xbb: *o = (struct opinfo){ PTWR_BTC, false, 0, false }; return 0;
	case 0xba: *o = (struct opinfo){ PTWR_BTS, false, 1, true }; return 0;
	}
	return -EINVAL;
}

/* ModRM.reg of a group opcode: which operation, or -EINVAL. */
static int group_op(uint8_t opc, bool twobyte, unsigned int sub,
		    enum ptwr_op *op)
{
	if (twobyte) {		/* 0f ba: /4 bt only reads */
		static const int bt[8] = { -1, -1, -1, -1, -1, PTWR_BTS,
					    PTWR_BTR, PTWR_BTC };

		if (bt[sub] < 0)
			return -EINVAL;
		*op = (enum ptwr_op)bt[sub];
		return 0;
	}
	if (opc == 0xc6 || opc == 0xc7) {
		if (sub)
			return -EINVAL;
		*op = PTWR_MOV;
		return 0;
	}
	switch (sub) {		/* 80/81/83: add or adc sbb and sub xor cmp */
	case 1:
		*op = PTWR_OR;
		return 0;
	case 4:
		*op = PTWR_AND;
		return 0;
	case 6:
		*op = PTWR_XOR;
		return 0;
	}
	return -EINVAL;
}

static bool is_bitop(enum ptwr_op op)
{
	return op == PTWR_BTS || op == PTWR_BTR || op == PTWR_BTC;
}

int ptwr_decode(const uint8_t *bytes, unsigned int n,
		const struct cpu_state *c, struct ptwr_insn *in)
{
	struct insn_cursor cur = { .b = bytes, .n = n > INSN_MAX_LEN ?
					      INSN_MAX_LEN : n };
	bool twobyte = false, riprel;
	struct insn_prefixes pfx;
	uint64_t opc, modrm, ea;
	uint8_t rex;
	struct opinfo o;

	memset(in, 0, sizeof(*in));
	insn_prefixes(&cur, c, &pfx);
	if (pfx.rep)
		return -EINVAL;	/* rep / hle hints: not used on PTEs */
	in->lock = pfx.lock;
	rex = pfx.rex;
	if (insn_take(&cur, 1, &opc))
		return -EINVAL;
	opc &= 0xff;
	if (opc == 0x0f) {
		twobyte = true;
		if (insn_take(&cur, 1, &opc))
			return -EINVAL;
		opc &= 0xff;
	}
	if ((twobyte ? two_byte_op : one_byte_op)((uint8_t)opc, &o))
		return -EINVAL;
	if (insn_take(&cur, 1, &modrm))
		return -EINVAL;
	modrm &= 0xff;
	in->op = o.op;
	if (o.group && group_op((uint8_t)opc, twobyte, (modrm >> 3) & 7, &in->op))
		return -EINVAL;
	in->size = o.byte ? 1 : (rex & 8) ? 8 : pfx.opsize ? 2 : 4;
	in->reg = ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0);
	in->rex = rex != 0;
	if (insn_modrm_ea(&cur, c, (uint8_t)modrm, rex, &ea, &riprel))
		return -EINVAL;
	if (o.imm) {
		unsigned int bytes_imm = o.imm == 4 && in->size == 2 ? 2 : o.imm;

		if (insn_take(&cur, bytes_imm, &in->imm))
			return -EINVAL;
		in->has_imm = true;
	}
	in->len = cur.i;
	ea = insn_linear(ea, riprel, &pfx, c, in->len);

	if (is_bitop(in->op)) {
		unsigned int bits = in->size * 8;

		if (in->size == 1)
			return -EINVAL;
		if (in->has_imm) {
			in->bit = (unsigned int)(in->imm & (bits - 1));
		} else {
			/* A register bit offset addresses the whole bit string. */
			int64_t off = sign_extend(reg_read(c, in->reg, in->size,
							   in->rex), in->size);
			int64_t unit = off >= 0 ? off / bits
						: -((-off + bits - 1) / bits);

			ea += (uint64_t)(unit * (int64_t)in->size);
			in->bit = (unsigned int)(off - unit * bits);
		}
	}
	in->ea = ea;
	return 0;
}

static unsigned int parity_flag(uint64_t res)
{
	return __builtin_parity((unsigned int)(res & 0xff)) ? 0 : FL_PF;
}

static unsigned int result_flags(uint64_t res, unsigned int size)
{
	res &= size_mask(size);
	return (res ? 0 : FL_ZF) | ((res >> (size * 8 - 1)) & 1 ? FL_SF : 0) |
	       parity_flag(res);
}

/* Flags of cmp a, b (a - b), as cmpxchg sets them. */
static unsigned int sub_flags(uint64_t a, uint64_t b, unsigned int size)
{
	uint64_t m = size_mask(size), res = (a - b) & m;
	unsigned int top = size * 8 - 1, f = result_flags(res, size);

	a &= m;
	b &= m;
	if (a < b)
		f |= FL_CF;
	if ((((a ^ b) & (a ^ res)) >> top) & 1)
		f |= FL_OF;
	if ((a ^ b ^ res) & 0x10)
		f |= FL_AF;
	return f;
}

static void set_flags(struct cpu_state *c, unsigned int mask,
		      unsigned int val)
{
	c->rflags = (c->rflags & ~(uint64_t)mask) | val;
}

void ptwr_execute(const struct ptwr_insn *in, uint64_t old,
		  struct cpu_state *c, uint64_t *newv, bool *write)
{
	uint64_t m = size_mask(in->size);
	uint64_t src = in->has_imm ? in->imm & m
				   : reg_read(c, in->reg, in->size, in->rex);
	uint64_t res = old & m;

	old &= m;
	*write = true;
	switch (in->op) {
	case PTWR_MOV:
		res = src;
		break;
	case PTWR_XCHG:
		res = src;
		reg_write(c, in->reg, in->size, in->rex, old);
		break;
	case PTWR_CMPXCHG: {
		uint64_t acc = reg_read(c, 0, in->size, in->rex);

		set_flags(c, FL_ARITH, sub_flags(acc, old, in->size));
		if (acc == old) {
			res = src;
		} else {
			reg_write(c, 0, in->size, in->rex, old);
			*write = false;
		}
		break;
	}
	case PTWR_AND:
	case PTWR_OR:
	case PTWR_XOR:
		res = in->op == PTWR_AND ? old & src :
		      in->op == PTWR_OR ? old | src : old ^ src;
		/* Logic ops clear CF and OF; AF is undefined (cleared). */
		set_flags(c, FL_ARITH, result_flags(res, in->size));
		break;
	case PTWR_BTS:
	case PTWR_BTR:
	case PTWR_BTC: {
		uint64_t bit = 1ull << in->bit;

		set_flags(c, FL_CF, (old & bit) ? FL_CF : 0);
		res = in->op == PTWR_BTS ? old | bit :
		      in->op == PTWR_BTR ? old & ~bit : old ^ bit;
		break;
	}
	}
	*newv = res & m;
}
