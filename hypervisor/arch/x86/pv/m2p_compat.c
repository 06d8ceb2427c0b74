// SPDX-License-Identifier: MIT
/*
 * Xen-fixed-address M2P reads (see m2p_compat.h). Some guests read the
 * M2P at 0xffff800000000000 without asking XENMEM_machphys_mapping.
 * Where the host reserves that slot the load faults (PFEC.RSVD, or
 * not-present); if it is a load we can decode inside the M2P, the value
 * comes from the domain's table. Only the table is ever read, with
 * bounds taken from the domain, never from the guest.
 */
#include <errno.h>
#include <string.h>

#include "pvisor/domain.h"
#include "pvisor/m2p_compat.h"
#include "pvisor/pv_vcpu.h"
#include "insn.h"

#define PFEC_PRESENT	0x01u
#define PFEC_WRITE	0x02u
#define PFEC_RSVD	0x08u
#define PFEC_INSN	0x10u

int m2p_decode_load(const uint8_t *bytes, unsigned int n,
		    const struct cpu_state *c, struct m2p_load *ld)
{
	struct insn_cursor cur = { .b = bytes, .n = n > INSN_MAX_LEN ?
					      INSN_MAX_LEN : n };
	struct insn_prefixes pfx;
	uint64_t opc, modrm, ea;
	unsigned int wide;
	uint8_t rex;
	bool riprel;

	memset(ld, 0, sizeof(*ld));
	insn_prefixes(&cur, c, &pfx);
	if (pfx.lock || pfx.rep)
		return -EINVAL;	/* lock #UDs on a load; rep: not a mov */
	rex = pfx.rex;
	if (insn_take(&cur, 1, &opc))
		return -EINVAL;
	opc &= 0xff;
	wide = (rex & 8) ? 8 : pfx.opsize ? 2 : 4;
	switch (opc) {
	case 0x8b:			/* mov r, m */
		ld->size = ld->dst_size = wide;
		break;
	case 0x63:			/* movsxd r64, m32 (no REX.W: mov) */
		ld->size = wide == 8 ? 4 : wide;
		ld->dst_size = wide;
		ld->sign = wide == 8;
		break;
	case 0x0f:
		if (insn_take(&cur, 1, &opc))
			return -EINVAL;
		switch (opc & 0xff) {
		case 0xb6: case 0xb7:	/* movzx */
		case 0xbe: case 0xbf:	/* movsx */
			ld->size = (opc & 1) ? 2 : 1;
			ld->dst_size = wide;
			ld->sign = (opc & 0xff) >= 0xbe;
			break;
		default:
			return -EINVAL;
		}
		break;
	default:
		return -EINVAL;
	}
	if (insn_take(&cur, 1, &modrm))
		return -EINVAL;
	ld->reg = (((unsigned int)modrm >> 3) & 7) | ((rex & 4) ? 8 : 0);
	if (insn_modrm_ea(&cur, c, (uint8_t)modrm, rex, &ea, &riprel))
		return -EINVAL;
	ld->len = cur.i;
	ld->ea = insn_linear(ea, riprel, &pfx, c, ld->len);
	return 0;
}

/* Bytes [off, off + size) of the table; the caller bounds them. */
static uint64_t table_read(const uint64_t *t, uint64_t off, unsigned int size)
{
	uint64_t v = 0;

	for (unsigned int k = 0; k < size; k++) {
		uint64_t b = off + k;
		uint64_t w = __atomic_load_n(&t[b / 8], __ATOMIC_RELAXED);

		v |= ((w >> ((b % 8) * 8)) & 0xff) << (8 * k);
	}
	return v;
}

static void reg_write(struct cpu_state *c, unsigned int reg,
		      unsigned int size, uint64_t val)
{
	uint64_t *r = &c->gpr[reg];

	if (size == 8)
		*r = val;
	else if (size == 4)
		*r = (uint32_t)val;	/* 32-bit writes zero-extend */
	else
		*r = (*r & ~0xffffull) | (val & 0xffff);
}

int m2p_compat_emulate(const struct m2p_view *m, uint64_t cr2, uint32_t *ec,
		       const uint8_t *bytes, unsigned int n,
		       struct cpu_state *c)
{
	uint64_t off, limit, val;
	struct m2p_load ld;
	unsigned int shift;

	/*
	 * A read. This host reports PFEC.RSVD for the slot, but not always:
	 * the first touch can come back not-present. Either is safe to take,
	 * as the guest can never map anything in a reserved slot itself.
	 */
	if (cr2 < M2P_COMPAT_VA_START || cr2 >= M2P_COMPAT_VA_END ||
	    (*ec & (PFEC_WRITE | PFEC_INSN)) ||
	    (*ec & (PFEC_PRESENT | PFEC_RSVD)) == PFEC_PRESENT)
		return 0;
	if (!m->table || m2p_decode_load(bytes, n, c, &ld))
		return 0;
	/* The decoded access must be the one that faulted, in the slot. */
	if (ld.ea < M2P_COMPAT_VA_START || ld.ea >= M2P_COMPAT_VA_END ||
	    cr2 - ld.ea >= ld.size)
		return 0;
	off = ld.ea - M2P_COMPAT_VA_START;
	limit = m->nr > (M2P_COMPAT_VA_END - M2P_COMPAT_VA_START) / 8 ?
		M2P_COMPAT_VA_END - M2P_COMPAT_VA_START : m->nr * 8;
	if (off > limit || limit - off < ld.size) {
		/* Past the table: Xen has no page there. */
		*ec &= ~(PFEC_PRESENT | PFEC_RSVD);
		return 0;
	}
	val = table_read(m->table, off, ld.size);
	if (ld.sign) {
		shift = 64 - ld.size * 8;
		val = (uint64_t)((int64_t)(val << shift) >> shift);
	}
	reg_write(c, ld.reg, ld.dst_size, val);
	c->rip += ld.len;
	c->dirty = true;
	return 1;
}

int pv_m2p_compat_fault(struct vcpu *v, uint64_t addr, uint32_t *ec)
{
	struct domain *d = v->d;
	struct pv_vcpu *pv = &v->pv;
	struct m2p_view m = { .table = d->m2p, .nr = d->m2p_max_mfn + 1 };
	struct cpu_state regs;
	uint8_t bytes[INSN_MAX_LEN];
	unsigned int n;

	/* The M2P really is there: the fault is the guest's own. */
	if (d->m2p_slot_va == M2P_COMPAT_VA_START || !d->m2p ||
	    addr < M2P_COMPAT_VA_START || addr >= M2P_COMPAT_VA_END)
		return 0;
	/* An instruction may end just before an unmapped page. */
	for (n = 0; n < INSN_MAX_LEN; n++)
		if (pv_read(pv, pv->cpu.rip + n, &bytes[n], 1))
			break;
	regs = pv->cpu;
	if (m2p_compat_emulate(&m, addr, ec, bytes, n, &regs) != 1)
		return 0;
	pv->cpu = regs;
	v->stats.emulated++;
	return 1;
}
