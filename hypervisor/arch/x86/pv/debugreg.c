// SPDX-License-Identifier: MIT
/*
 * Debug registers of a PV vCPU: set_debugreg/get_debugreg and the guest
 * kernel's `mov %dbN`, with Xen's checks and error codes. The values
 * are kept per vCPU and loaded into the VM (dr_dirty, core/vcpu.c), so
 * breakpoints and watchpoints fire inside the VM at the guest's CPL3 and
 * come back as #DB through the guest's trap table, with DR6 merged here.
 */
#include <errno.h>

#include "pvisor/domain.h"
#include "pvisor/hypercall.h"
#include "pvisor/pv_vcpu.h"

#define DR6_BP_MASK		0x0000000fu	/* B0-B3 */
#define DR6_BLD			(1u << 11)	/* inverted polarity */
#define DR6_BD			(1u << 13)
#define DR6_BS			(1u << 14)
#define DR6_BT			(1u << 15)
#define DR6_RTM			(1u << 16)	/* inverted polarity */
#define DR6_ZEROS		0x00001000u	/* forced to 0 */
#define DR6_KNOWN		(DR6_BP_MASK | DR6_BLD | DR6_BD | DR6_BS | \
				 DR6_BT | DR6_RTM)

#define DR7_RTM			(1u << 11)
#define DR7_GD			(1u << 13)
#define DR7_ZEROS		0x0000d000u	/* forced to 0 */
#define DR7_ACTIVE_MASK		0x000000ffu	/* L0-3, G0-3 */
#define DR7_RW_IO		2u

/* CPUID.7.0: EBX[11] RTM, ECX[24] bus-lock detect. */
static void dr_features(const struct pv_vcpu *v, bool *rtm, bool *bld)
{
	uint32_t r[4] = { 0 };

	if (v->cpuid)
		cpuid_policy_lookup(v->cpuid, 7, 0, r);
	*rtm = r[1] & (1u << 11);
	*bld = r[2] & (1u << 24);
}

/* Reserved bits of DR6 as the domain's CPU would have them. */
static uint32_t adj_dr6(const struct pv_vcpu *v, uint32_t dr6)
{
	uint32_t ones = PV_DR6_DEFAULT;
	bool rtm, bld;

	/* Newer status bits are active-low: they are not forced to 1. */
	dr_features(v, &rtm, &bld);
	if (rtm)
		ones &= ~DR6_RTM;
	if (bld)
		ones &= ~DR6_BLD;
	return (dr6 | ones) & ~DR6_ZEROS;
}

static uint32_t adj_dr7(const struct pv_vcpu *v, uint32_t dr7)
{
	uint32_t zeros = DR7_ZEROS;
	bool rtm, bld;

	dr_features(v, &rtm, &bld);
	if (!rtm)
		zeros |= DR7_RTM;
	return (dr7 & ~zeros) | PV_DR7_DEFAULT;
}

/* The guest's CR4.DE (guest_cr4.c), not the VM's real CR4. */
static bool guest_cr4_de(const struct pv_vcpu *v)
{
	return v->guest_cr4 & X86_CR4_DE;
}

/*
 * Below the canonical hole, or above the hypervisor's slots: a guest
 * must not watch or trap the hypervisor's own accesses (entry stubs,
 * trap frames, the exit page), which run inside the same VM.
 */
static bool breakpoint_addr_ok(const struct pv_vcpu *v, uint64_t va)
{
	return va < (1ull << 47) || va >= v->mem->reserved_va_end;
}

int pv_set_debugreg(struct pv_vcpu *v, unsigned int reg, uint64_t val)
{
	uint32_t io_enable = 0;

	switch (reg) {
	case 0: case 1: case 2: case 3:
		if (!breakpoint_addr_ok(v, val))
			return -EPERM;
		v->debugreg[reg] = val;
		break;
	case 4:
		/* DR4/DR5 alias DR6/DR7 unless CR4.DE, when they are #UD. */
		if (guest_cr4_de(v))
			return -ENODEV;
		/* fall through */
	case 6:
		if (val != (uint32_t)val)
			return -EINVAL;
		v->debugreg[6] = adj_dr6(v, (uint32_t)val);
		break;
	case 5:
		if (guest_cr4_de(v))
			return -ENODEV;
		/* fall through */
	case 7:
		if (val != (uint32_t)val)
			return -EINVAL;
		val = adj_dr7(v, (uint32_t)val);
		/* General detect would fault the hypervisor's own accesses. */
		if (val & DR7_GD)
			return -EPERM;
		if (val & DR7_ACTIVE_MASK) {
			for (unsigned int i = 0; i < 4; i++) {
				if (((val >> (16 + 4 * i)) & 3) != DR7_RW_IO)
					continue;
				/* I/O breakpoints exist only with CR4.DE. */
				if (!guest_cr4_de(v))
					return -EPERM;
				io_enable |= val & (3u << (2 * i));
			}
		}
		/* Port I/O is emulated: its breakpoints are matched there. */
		v->dr7_emul = io_enable;
		v->debugreg[7] = val & ~(uint64_t)io_enable;
		break;
	default:
		return -ENODEV;
	}
	v->dr_dirty = true;
	return 0;
}

int pv_get_debugreg(const struct pv_vcpu *v, unsigned int reg, uint64_t *val)
{
	switch (reg) {
	case 0: case 1: case 2: case 3:
		*val = v->debugreg[reg];
		return 0;
	case 4:
		if (guest_cr4_de(v))
			return -ENODEV;
		/* fall through */
	case 6:
		*val = v->debugreg[6];
		return 0;
	case 5:
		if (guest_cr4_de(v))
			return -ENODEV;
		/* fall through */
	case 7:
		*val = v->debugreg[7] | v->dr7_emul;
		return 0;
	}
	return -ENODEV;
}

void pv_debugreg_reset(struct pv_vcpu *v)
{
	for (unsigned int i = 0; i < 4; i++)
		v->debugreg[i] = 0;
	v->debugreg[6] = PV_DR6_DEFAULT;
	v->debugreg[7] = PV_DR7_DEFAULT;
	v->dr7_emul = 0;
	v->dr_dirty = true;
}

void pv_debug_trap(struct pv_vcpu *v, uint32_t hw_dr6)
{
	/* What happened, in positive polarity; junk bits are dropped. */
	uint32_t new = (hw_dr6 ^ PV_DR6_DEFAULT) & DR6_KNOWN;
	uint32_t dr6 = (uint32_t)v->debugreg[6] ^ PV_DR6_DEFAULT;

	/* As Xen: breakpoint hits replace the old ones, the rest sticks. */
	dr6 = ((dr6 & DR6_KNOWN & ~DR6_BP_MASK) | new) ^ PV_DR6_DEFAULT;
	v->debugreg[6] = adj_dr6(v, dr6);
}

/* DR7 LENn: 1, 2, 8 or 4 bytes. */
static unsigned int bp_width(uint32_t dr7, unsigned int i)
{
	static const unsigned int width[4] = { 1, 2, 8, 4 };

	return width[(dr7 >> (18 + 4 * i)) & 3];
}

uint32_t pv_io_breakpoint_match(const struct pv_vcpu *v, unsigned int port,
				unsigned int bytes)
{
	uint32_t match = 0;

	/* dr7_emul holds only enables of RW=10b slots, set with CR4.DE. */
	if (!v->dr7_emul || !guest_cr4_de(v))
		return 0;
	for (unsigned int i = 0; i < 4; i++) {
		unsigned int w = bp_width((uint32_t)v->debugreg[7], i);
		uint64_t start = v->debugreg[i] & ~(uint64_t)(w - 1);

		if (!(v->dr7_emul & (3u << (2 * i))))
			continue;
		if (start < port + bytes && start + w > port)
			match |= 1u << i;
	}
	return match;
}

/*
 * The guest kernel's `mov %dbN, reg` (0f 21) or `mov reg, %dbN` (0f 23);
 * op points at the 0x0f, prefix_len bytes of prefixes precede it. As on
 * hardware, ModRM.mod is ignored (always a register) and the operand is
 * 64-bit; REX.R selects DR8-15, which do not exist (#UD).
 */
int pv_emulate_mov_dr(struct pv_vcpu *v, const uint8_t *op, unsigned int n,
		      unsigned int prefix_len, uint8_t rex)
{
	unsigned int dr, gpr;
	uint8_t modrm;
	uint64_t val;
	int rc;

	if (n < 3 || !v->in_kernel)
		return 0;
	/*
	 * The fetch zero-fills past a hole; hardware would have faulted
	 * there, so only a ModRM byte that is really mapped is decoded.
	 */
	if (pv_read(v, v->cpu.rip + prefix_len + 2, &modrm, 1) ||
	    modrm != op[2])
		return 0;
	dr = ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0);
	gpr = (modrm & 7) | ((rex & 1) ? 8 : 0);
	if (op[1] == 0x23)
		rc = pv_set_debugreg(v, dr, v->cpu.gpr[gpr]);
	else {
		rc = pv_get_debugreg(v, dr, &val);
		if (!rc)
			v->cpu.gpr[gpr] = val;
	}
	if (rc == -ENODEV) {
		/* #UD is a fault: the frame points at the instruction. */
		rc = pv_inject_exception(v, X86_VEC_UD, 0);
		return rc ? rc : 1;
	}
	if (rc)
		return 0;	/* -EINVAL/-EPERM: #GP(0) for the guest */
	v->cpu.rip += prefix_len + 3;
	v->cpu.dirty = true;
	return 1;
}

long do_set_debugreg(struct vcpu *v, const uint64_t a[6])
{
	/* Xen takes the register number as an int. */
	return pv_set_debugreg(&v->pv, (unsigned int)a[0], a[1]);
}

long do_get_debugreg(struct vcpu *v, const uint64_t a[6])
{
	uint64_t val;

	if (pv_get_debugreg(&v->pv, (unsigned int)a[0], &val))
		return -ENODEV;
	return (long)val;
}
