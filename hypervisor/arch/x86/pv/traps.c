// SPDX-License-Identifier: MIT
/*
 * Trap bounce: deliver exceptions, software interrupts, system calls and
 * event upcalls to the guest kernel the way Xen does for x86-64 PV, by
 * building the 64-bit bounce frame on the guest kernel stack.
 */
#include <errno.h>

#include <pvabi/callback.h>

#include "pvisor/pv_vcpu.h"

/* RFLAGS bits a bounce clears for the handler. */
#define BOUNCE_CLEAR_FLAGS (X86_EFLAGS_AC | X86_EFLAGS_VM | X86_EFLAGS_RF | \
			    X86_EFLAGS_NT | X86_EFLAGS_TF)

int pv_bounce(struct pv_vcpu *v, uint64_t handler, unsigned int tbf,
	      uint32_t error_code)
{
	struct cpu_state *c = &v->cpu;
	uint8_t saved_mask = v->vcpu_info->evtchn_upcall_mask;
	uint64_t cs = c->cs, ss = c->ss, rip = c->rip, rsp = c->gpr[GPR_RSP];
	uint64_t rflags = c->rflags, sp, frame[8];
	unsigned int n = 0;
	int rc;

	if (v->in_kernel) {
		sp = rsp;
		cs &= ~3ull;	/* user_mode() in the guest tests CS & 3 */
	} else {
		rc = pv_toggle_guest_mode(v);
		if (rc)
			return rc;
		sp = v->kernel_sp;
	}
	sp &= ~0xfull;

	/*
	 * The virtual IF is the inverse of the upcall mask; the virtual
	 * IOPL shows only to guests that asked for architectural IOPL.
	 */
	rflags &= ~(uint64_t)(X86_EFLAGS_IF | X86_EFLAGS_IOPL);
	if (!saved_mask)
		rflags |= X86_EFLAGS_IF;
	if (pv_vm_assist(v, VMASST_TYPE_architectural_iopl))
		rflags |= (uint64_t)(v->iopl & 3) << 12;

	frame[n++] = c->gpr[GPR_RCX];
	frame[n++] = c->gpr[GPR_R11];
	if (tbf & PV_TBF_EXCEPTION)
		frame[n++] = error_code;
	frame[n++] = rip;
	frame[n++] = cs | ((uint64_t)saved_mask << 32);
	frame[n++] = rflags;
	frame[n++] = rsp;
	frame[n++] = ss;

	sp -= n * sizeof(uint64_t);
	rc = pv_write(v, sp, frame, n * sizeof(uint64_t));
	if (rc)
		return -EFAULT;

	c->rip = handler;
	c->gpr[GPR_RSP] = sp;
	c->rflags &= ~(uint64_t)BOUNCE_CLEAR_FLAGS;
	if (tbf & PV_TBF_SYSCALL)
		c->rflags &= ~(uint64_t)X86_EFLAGS_DF;
	c->rflags |= X86_EFLAGS_FIXED | X86_EFLAGS_IF;
	pv_load_mode_segments(v, FLAT_KERNEL_CS, FLAT_KERNEL_SS);
	if (tbf & PV_TBF_INTERRUPT)
		v->vcpu_info->evtchn_upcall_mask = 1;
	c->dirty = true;
	return 0;
}

int pv_inject_exception(struct pv_vcpu *v, unsigned int vec,
			uint32_t error_code)
{
	const struct trap_info *ti = &v->trap_ctxt[vec & 0xff];
	unsigned int tbf = 0;

	if (!ti->address)
		return -ENOENT;
	if (x86_vector_has_error_code(vec))
		tbf |= PV_TBF_EXCEPTION;
	if (TI_GET_IF(ti))
		tbf |= PV_TBF_INTERRUPT;
	return pv_bounce(v, ti->address, tbf, error_code);
}

int pv_inject_page_fault(struct pv_vcpu *v, uint64_t addr,
			 uint32_t error_code)
{
	/* The guest kernel runs at CPL3: U/S must say which guest mode. */
	error_code &= ~4u;
	if (!v->in_kernel)
		error_code |= 4u;
	v->virt_cr2 = addr;
	v->vcpu_info->arch.cr2 = addr;
	return pv_inject_exception(v, X86_VEC_PF, error_code);
}

int pv_inject_soft_int(struct pv_vcpu *v, unsigned int vec,
		       unsigned int insn_len)
{
	const struct trap_info *ti = &v->trap_ctxt[vec & 0xff];
	unsigned int dpl = TI_GET_DPL(ti);
	bool allowed = v->in_kernel ? dpl >= 1 : dpl == 3;

	vec &= 0xff;
	/*
	 * `int $3`/`int $4` cannot be told from int3/into (their host gates
	 * are DPL3, as Xen's are): #BP/#OF past the instruction, whatever
	 * DPL the guest chose.
	 */
	if (vec == X86_VEC_BP || vec == X86_VEC_OF) {
		v->cpu.rip += insn_len;
		v->cpu.dirty = true;
		return pv_inject_exception(v, vec, 0);
	}
	/* A fault, not a trap: RIP stays at the `int` for fixups. */
	if (!allowed || !ti->address)
		return pv_inject_exception(v, X86_VEC_GP, (vec << 3) | 2);
	v->cpu.rip += insn_len;
	return pv_bounce(v, ti->address,
			 TI_GET_IF(ti) ? PV_TBF_INTERRUPT : 0, 0);
}

int pv_inject_soft_int_trap(struct pv_vcpu *v, unsigned int vec)
{
	/* As Xen's int80 slow path: the instruction is taken as 2 bytes. */
	v->cpu.rip -= 2;
	v->cpu.dirty = true;
	return pv_inject_soft_int(v, vec, 2);
}

int pv_user_syscall(struct pv_vcpu *v, bool compat)
{
	const struct pv_callback *cb = compat ? &v->syscall32_cb
					      : &v->syscall_cb;
	unsigned int tbf = PV_TBF_SYSCALL;

	if (!cb->address) {
		/* As if the instruction did not exist. */
		v->cpu.rip -= 2;
		return pv_inject_exception(v, X86_VEC_UD, 0);
	}
	/* The frame carries placeholders the guest replaces with its own. */
	if (compat)
		pv_load_mode_segments(v, FLAT_USER_CS32, FLAT_USER_SS32);
	else
		pv_load_mode_segments(v, FLAT_KERNEL_CS64, FLAT_KERNEL_SS);
	if (cb->flags & CALLBACKF_mask_events)
		tbf |= PV_TBF_INTERRUPT;
	return pv_bounce(v, cb->address, tbf, 0);
}

bool pv_upcall_deliverable(const struct pv_vcpu *v)
{
	const struct vcpu_info *vi = v->vcpu_info;

	return vi->evtchn_upcall_pending && !vi->evtchn_upcall_mask &&
	       v->event_cb.address;
}

int pv_deliver_upcall(struct pv_vcpu *v)
{
	return pv_bounce(v, v->event_cb.address, PV_TBF_INTERRUPT, 0);
}
