// SPDX-License-Identifier: MIT
/*
 * Privileged-operation emulation. A PV kernel runs at CPL3, so MSR and
 * control-register accesses and port I/O fault with #GP; the few a PV
 * kernel legitimately issues are done here on its behalf, as Xen does.
 */
#include <errno.h>
#include <string.h>

#include "pvisor/pv_vcpu.h"
#include "insn.h"

#define MSR_APIC_BASE		0x0000001bu
#define MSR_PAT			0x00000277u
#define MSR_EFER		0xc0000080u
#define MSR_FS_BASE		0xc0000100u
#define MSR_GS_BASE		0xc0000101u
#define MSR_SHADOW_GS_BASE	0xc0000102u

struct insn {
	uint8_t bytes[INSN_MAX_LEN];
	unsigned int len;	/* bytes consumed so far */
	bool opsize;		/* 0x66 */
	bool rep;		/* 0xf3/0xf2 */
	uint8_t rex;
	uint32_t bpmatch;	/* I/O breakpoints hit (DR6 B0-B3) */
};

/* Emulation outcomes besides 0 (the guest's #GP) and 1 (done). */
#define EMUL_RAISED	2	/* another exception was delivered instead */

static int fetch(struct pv_vcpu *v, struct insn *in)
{
	/* Fetch what is mapped: an instruction may end just before a hole. */
	memset(in, 0, sizeof(*in));
	for (unsigned int i = 0; i < INSN_MAX_LEN; i++)
		if (pv_read(v, v->cpu.rip + i, &in->bytes[i], 1))
			return i ? 0 : -EFAULT;
	return 0;
}

static void skip_prefixes(struct pv_vcpu *v, struct insn *in)
{
	struct insn_cursor cur = { .b = in->bytes, .n = INSN_MAX_LEN };
	struct insn_prefixes p;

	insn_prefixes(&cur, &v->cpu, &p);
	in->len = cur.i;
	in->opsize = p.opsize;
	in->rep = p.rep;
	in->rex = p.rex;
}

static void set_edx_eax(struct pv_vcpu *v, uint64_t val)
{
	v->cpu.gpr[GPR_RAX] = (uint32_t)val;
	v->cpu.gpr[GPR_RDX] = val >> 32;
}

static int emulate_rdmsr(struct pv_vcpu *v)
{
	uint32_t msr = (uint32_t)v->cpu.gpr[GPR_RCX];

	switch (msr) {
	case MSR_FS_BASE:
		set_edx_eax(v, v->cpu.fs_base);
		return 1;
	case MSR_GS_BASE:
		set_edx_eax(v, v->cpu.gs_base);
		return 1;
	case MSR_SHADOW_GS_BASE:
		set_edx_eax(v, v->gs_base_user);
		return 1;
	case MSR_PAT:
		set_edx_eax(v, XEN_MSR_PAT);
		return 1;
	case MSR_EFER:
		set_edx_eax(v, v->efer);
		return 1;
	case MSR_APIC_BASE:
		/* No local APIC is exposed to a PV guest. */
		set_edx_eax(v, 0);
		return 1;
	}
	return 0;
}

static int emulate_wrmsr(struct pv_vcpu *v)
{
	uint32_t msr = (uint32_t)v->cpu.gpr[GPR_RCX];
	uint64_t val = (v->cpu.gpr[GPR_RDX] << 32) |
		       (uint32_t)v->cpu.gpr[GPR_RAX];

	switch (msr) {
	case MSR_FS_BASE:
		if (!x86_is_canonical(val))
			return 0;
		v->cpu.fs_base = val;
		return 1;
	case MSR_GS_BASE:
		if (!x86_is_canonical(val))
			return 0;
		v->cpu.gs_base = val;
		v->gs_base_kernel = val;
		return 1;
	case MSR_SHADOW_GS_BASE:
		if (!x86_is_canonical(val))
			return 0;
		v->gs_base_user = val;
		return 1;
	case MSR_PAT:
		/* Accepted only as a no-op: the real PAT is fixed. */
		return val == XEN_MSR_PAT;
	case MSR_EFER:
		return val == v->efer;
	}
	return 0;
}

static uint64_t *modrm_rm_reg(struct pv_vcpu *v, const struct insn *in,
			      uint8_t modrm)
{
	unsigned int r = (modrm & 7) | ((in->rex & 1) ? 8 : 0);

	return &v->cpu.gpr[r];
}

static int emulate_mov_cr(struct pv_vcpu *v, struct insn *in, bool to_cr)
{
	uint8_t modrm;
	unsigned int cr;
	uint64_t *reg;

	/* in->len is at the 0x0f; the opcode follows, then ModRM. */
	if (in->len + 2 >= INSN_MAX_LEN)
		return 0;
	modrm = in->bytes[in->len + 2];
	if ((modrm >> 6) != 3)
		return 0;
	cr = ((modrm >> 3) & 7) | ((in->rex & 4) ? 8 : 0);
	reg = modrm_rm_reg(v, in, modrm);
	in->len += 3;

	if (!to_cr) {
		switch (cr) {
		case 0:
			*reg = (v->cpu.cr0 & ~(uint64_t)X86_CR0_TS) |
			       (v->fpu_ts ? X86_CR0_TS : 0);
			return 1;
		case 2:
			*reg = v->virt_cr2;
			return 1;
		case 3:
			*reg = v->kernel_cr3;
			return 1;
		case 4:
			*reg = v->guest_cr4;
			return 1;
		}
		return 0;
	}
	switch (cr) {
	case 0:
		/* Only TS is the guest's to change (lazy FPU switching). */
		if ((*reg ^ v->cpu.cr0) & ~(uint64_t)X86_CR0_TS)
			return 0;
		v->fpu_ts = *reg & X86_CR0_TS;
		v->cpu.cr0 = (v->cpu.cr0 & ~(uint64_t)X86_CR0_TS) |
			     (v->fpu_ts ? X86_CR0_TS : 0);
		return 1;
	case 4:
		/* As Xen: never a fault, what the guest may not own is dropped. */
		v->guest_cr4 = pv_fixup_guest_cr4(v, *reg);
		return 1;
	}
	return 0;
}

/* The PIT's counters: see emulate_port_io. */
#define PORT_PIT_FIRST	0x40
#define PORT_PIT_LAST	0x42

/*
 * Port I/O the virtual IOPL or the guest's I/O bitmap admits: no device
 * is behind any port, so reads float high and writes vanish, as a Xen
 * domU sees it. One deviation: the PIT counters read 0. Linux's quick PIT
 * calibration waits for the counter MSB to leave 0xff, so all-ones costs
 * it 100,000 emulated reads (seconds on a host where each is an exit); a
 * counter stuck at 0 fails it at once, and the PV clock supplies the TSC
 * rate anyway.
 */
static int emulate_port_io(struct pv_vcpu *v, struct insn *in)
{
	uint8_t op = in->bytes[in->len];
	unsigned int size = (op & 1) ? (in->opsize ? 2 : 4) : 1;
	uint64_t mask = size == 4 ? 0xffffffffull : (1ull << (8 * size)) - 1;
	uint64_t fault_va;
	uint16_t port;
	int rc;

	switch (op) {
	case 0xe4: case 0xe5:		/* in imm8 */
	case 0xe6: case 0xe7:		/* out imm8 */
		port = in->bytes[in->len + 1];
		in->len += 2;
		break;
	case 0xec: case 0xed:		/* in dx */
	case 0xee: case 0xef:		/* out dx */
		port = (uint16_t)v->cpu.gpr[GPR_RDX];
		in->len += 1;
		break;
	default:
		return 0;
	}
	rc = pv_io_okay(v, port, size, &fault_va);
	if (rc == -EFAULT) {
		/* The bitmap is unmapped: the guest's #PF, not yet done. */
		rc = pv_inject_page_fault(v, fault_va, 0);
		return rc ? rc : EMUL_RAISED;
	}
	if (rc != 1)
		return 0;
	in->bpmatch = pv_io_breakpoint_match(v, port, size);
	if (op == 0xe4 || op == 0xe5 || op == 0xec || op == 0xed) {
		uint64_t val = port >= PORT_PIT_FIRST && port <= PORT_PIT_LAST ?
			       0 : mask;

		if (size == 4)
			v->cpu.gpr[GPR_RAX] = val;
		else
			v->cpu.gpr[GPR_RAX] = (v->cpu.gpr[GPR_RAX] & ~mask) | val;
	}
	return 1;
}

static void pv_emulate_cpuid(struct pv_vcpu *v)
{
	uint32_t out[4];

	cpuid_policy_lookup(v->cpuid, (uint32_t)v->cpu.gpr[GPR_RAX],
			    (uint32_t)v->cpu.gpr[GPR_RCX], out);
	v->cpu.gpr[GPR_RAX] = out[0];
	v->cpu.gpr[GPR_RBX] = out[1];
	v->cpu.gpr[GPR_RCX] = out[2];
	v->cpu.gpr[GPR_RDX] = out[3];
}

bool pv_iopl_ok(const struct pv_vcpu *v)
{
	unsigned int cpl = 3;

	if (v->in_kernel)
		cpl = pv_vm_assist(v, VMASST_TYPE_architectural_iopl) ? 0 : 1;
	return cpl <= v->iopl;
}

/*
 * cli/sti, for whichever guest mode the virtual IOPL admits (Xen's
 * iopl_ok), and port I/O, which the I/O bitmap may admit as well (Xen's
 * guest_io_okay). cli/sti are skipped, as Xen skips them: a guest that
 * paired cli with popf could never unmask again, since popf cannot be
 * trapped. The event mask is the guest's to set in its vcpu_info.
 * Otherwise the guest gets the #GP(0) the CPU raised.
 */
static int emulate_iopl_insn(struct pv_vcpu *v, struct insn *in)
{
	uint8_t op = in->bytes[in->len];

	if (op == 0xfa || op == 0xfb) {
		if (!pv_iopl_ok(v))
			return 0;
		in->len += 1;
		return 1;
	}
	if (in->rep)
		return 0;	/* ins/outs are not emulated */
	return emulate_port_io(v, in);
}

/* The privileged instructions only the guest kernel gets emulated. */
static int emulate_kernel_0f(struct pv_vcpu *v, struct insn *in)
{
	switch (in->bytes[in->len + 1]) {
	case 0x30:
		in->len += 2;
		return emulate_wrmsr(v);
	case 0x32:
		in->len += 2;
		return emulate_rdmsr(v);
	case 0x20:
		return emulate_mov_cr(v, in, false);
	case 0x22:
		return emulate_mov_cr(v, in, true);
	case 0x06:		/* clts */
		v->fpu_ts = false;
		v->cpu.cr0 &= ~(uint64_t)X86_CR0_TS;
		in->len += 2;
		return 1;
	case 0x09:		/* wbinvd: nothing to write back */
		in->len += 2;
		return 1;
	}
	return 0;
}

int pv_emulate_gp(struct pv_vcpu *v)
{
	struct insn in;
	int rc;

	rc = fetch(v, &in);
	if (rc)
		return 0;	/* the guest's #GP: RIP is not readable */
	skip_prefixes(v, &in);
	if (in.len >= INSN_MAX_LEN - 1)
		return 0;

	if (in.bytes[in.len] == 0x0f && in.bytes[in.len + 1] == 0xa2) {
		/*
		 * Where the host faults CPUID (architectural KVM with CPUID
		 * faulting on, at CPL3 for both guest modes), it must see the
		 * domain's policy, as on Xen.
		 */
		pv_emulate_cpuid(v);
		in.len += 2;
		rc = 1;
	} else if (in.bytes[in.len] == 0x0f &&
		   (in.bytes[in.len + 1] == 0x21 || in.bytes[in.len + 1] == 0x23)) {
		/* mov %dbN: debugreg.c checks the mode and moves RIP. */
		return pv_emulate_mov_dr(v, &in.bytes[in.len],
					 INSN_MAX_LEN - in.len, in.len, in.rex);
	} else if (in.bytes[in.len] == 0x0f) {
		/* Guest user mode gets nothing else privileged. */
		rc = v->in_kernel ? emulate_kernel_0f(v, &in) : 0;
	} else {
		rc = emulate_iopl_insn(v, &in);
	}
	if (rc == EMUL_RAISED)
		return 1;
	if (rc != 1)
		return rc;
	v->cpu.rip += in.len;
	v->cpu.dirty = true;
	if (in.bpmatch) {
		/* An I/O breakpoint: a trap, after the instruction, as Xen. */
		pv_debug_trap(v, PV_DR6_DEFAULT | in.bpmatch);
		rc = pv_inject_exception(v, X86_VEC_DB, 0);
		return rc ? rc : 1;
	}
	return 1;
}

int pv_emulate_ud(struct pv_vcpu *v)
{
	static const uint8_t prefix[] = { 0x0f, 0x0b, 'x', 'e', 'n' };
	uint8_t b[sizeof(prefix) + 2];

	if (pv_read(v, v->cpu.rip, b, sizeof(b)))
		return 0;
	if (memcmp(b, prefix, sizeof(prefix)))
		return 0;
	if (b[5] != 0x0f || b[6] != 0xa2)
		return 0;	/* only cpuid is forced-emulated */

	pv_emulate_cpuid(v);
	v->cpu.rip += sizeof(b);
	v->cpu.dirty = true;
	return 1;
}
