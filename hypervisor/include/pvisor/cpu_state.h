/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_CPU_STATE_H
#define PVISOR_CPU_STATE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The architectural state of one guest vCPU as the PV CPU model sees it:
 * what the guest was running when it left the VM, and what it runs when
 * it re-enters. Platform code copies it from/to the real vCPU; the PV
 * model only ever touches this structure.
 */
enum gpr {
	GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI,
	GPR_R8, GPR_R9, GPR_R10, GPR_R11, GPR_R12, GPR_R13, GPR_R14, GPR_R15,
	NR_GPRS
};

struct cpu_state {
	uint64_t gpr[NR_GPRS];		/* in hardware encoding order */
	uint64_t rip;
	uint64_t rflags;
	uint16_t cs, ss, ds, es, fs, gs; /* selectors */
	uint64_t cs_desc, ss_desc;	/* the descriptors CS/SS were loaded from */
	uint64_t fs_base, gs_base;
	uint64_t cr0, cr2, cr3, cr4;
	uint64_t efer;			/* HVM/PVH vCPUs: as the guest set it */
	bool dirty;			/* must be written back before entry */
};

#define X86_EFLAGS_CF	0x00000001u
#define X86_EFLAGS_FIXED 0x00000002u
#define X86_EFLAGS_TF	0x00000100u
#define X86_EFLAGS_IF	0x00000200u
#define X86_EFLAGS_DF	0x00000400u
#define X86_EFLAGS_IOPL	0x00003000u
#define X86_EFLAGS_NT	0x00004000u
#define X86_EFLAGS_RF	0x00010000u
#define X86_EFLAGS_VM	0x00020000u
#define X86_EFLAGS_AC	0x00040000u
#define X86_EFLAGS_ID	0x00200000u
/* What a guest may set through iret: the arithmetic and control flags. */
#define X86_EFLAGS_GUEST_MASK	0x003f7fd5u

#define X86_CR0_TS	0x00000008u

#define X86_CR4_TSD		0x00000004u
#define X86_CR4_DE		0x00000008u
#define X86_CR4_PAE		0x00000020u
#define X86_CR4_MCE		0x00000040u
#define X86_CR4_OSFXSR		0x00000200u
#define X86_CR4_OSXMMEXCPT	0x00000400u

#define X86_VEC_DE	0
#define X86_VEC_DB	1
#define X86_VEC_NMI	2
#define X86_VEC_BP	3
#define X86_VEC_OF	4
#define X86_VEC_UD	6
#define X86_VEC_NM	7
#define X86_VEC_DF	8
#define X86_VEC_TS	10
#define X86_VEC_NP	11
#define X86_VEC_SS	12
#define X86_VEC_GP	13
#define X86_VEC_PF	14
#define X86_VEC_AC	17
#define X86_VEC_CP	21

static inline bool x86_vector_has_error_code(unsigned int vec)
{
	return vec == X86_VEC_DF || vec == X86_VEC_TS || vec == X86_VEC_NP ||
	       vec == X86_VEC_SS || vec == X86_VEC_GP || vec == X86_VEC_PF ||
	       vec == X86_VEC_AC || vec == X86_VEC_CP;
}

/* Bits 63..47 all equal (48-bit virtual addresses), without UB shifts. */
static inline bool x86_is_canonical(uint64_t va)
{
	return va + (1ull << 47) < (1ull << 48);
}

#endif
