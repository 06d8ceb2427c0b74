/* SPDX-License-Identifier: MIT */
/*
 * ABI constants and structure offsets for the assembly files.  The pvabi
 * headers are C only, so instead of copying their numbers into .S files
 * this file is compiled to assembly and build.mk turns the "->" markers
 * into #defines (the technique Linux calls asm-offsets).
 */
#include <stddef.h>

#include <pvabi/xen.h>
#include <pvguest/pvguest.h>

#define DEFINE(sym, val) \
	asm volatile("\n.ascii \"->" #sym " %c0\"" : : "i"((long)(val)))
#define OFFSET(sym, type, member) DEFINE(sym, offsetof(type, member))

void asm_offsets(void);

void asm_offsets(void)
{
	DEFINE(HC_IRET, __HYPERVISOR_iret);
	DEFINE(HC_SCHED_OP, __HYPERVISOR_sched_op);
	DEFINE(ASM_FLAT_USER_CS64, FLAT_USER_CS64);
	DEFINE(ASM_FLAT_USER_SS, FLAT_USER_SS);
	DEFINE(ASM_FLAT_KERNEL_CS, FLAT_KERNEL_CS);
	DEFINE(ASM_FLAT_KERNEL_SS, FLAT_KERNEL_SS);

	DEFINE(GUEST_REGS_SIZE, sizeof(struct guest_regs));
	OFFSET(GR_RAX, struct guest_regs, rax);
	OFFSET(GR_VECTOR, struct guest_regs, vector);
	OFFSET(GR_RIP, struct guest_regs, rip);

	OFFSET(EB_RAX, struct pvguest_entry_state, rax);
	OFFSET(EB_RBX, struct pvguest_entry_state, rbx);
	OFFSET(EB_RCX, struct pvguest_entry_state, rcx);
	OFFSET(EB_RDX, struct pvguest_entry_state, rdx);
	OFFSET(EB_RSI, struct pvguest_entry_state, rsi);
	OFFSET(EB_RDI, struct pvguest_entry_state, rdi);
	OFFSET(EB_RBP, struct pvguest_entry_state, rbp);
	OFFSET(EB_RSP, struct pvguest_entry_state, rsp);
	OFFSET(EB_R8, struct pvguest_entry_state, r8);
	OFFSET(EB_R9, struct pvguest_entry_state, r9);
	OFFSET(EB_R10, struct pvguest_entry_state, r10);
	OFFSET(EB_R11, struct pvguest_entry_state, r11);
	OFFSET(EB_R12, struct pvguest_entry_state, r12);
	OFFSET(EB_R13, struct pvguest_entry_state, r13);
	OFFSET(EB_R14, struct pvguest_entry_state, r14);
	OFFSET(EB_R15, struct pvguest_entry_state, r15);
	OFFSET(EB_RFLAGS, struct pvguest_entry_state, rflags);
	OFFSET(EB_CS, struct pvguest_entry_state, cs);
	OFFSET(EB_SS, struct pvguest_entry_state, ss);
	OFFSET(EB_DS, struct pvguest_entry_state, ds);
	OFFSET(EB_ES, struct pvguest_entry_state, es);
	OFFSET(EB_FS, struct pvguest_entry_state, fs);
	OFFSET(EB_GS, struct pvguest_entry_state, gs);
}
