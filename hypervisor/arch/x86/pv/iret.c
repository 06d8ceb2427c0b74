// SPDX-License-Identifier: MIT
/*
 * The iret hypercall: the guest kernel's only way back to an interrupted
 * context, kernel or user, since it cannot execute a privileged iretq.
 */
#include <errno.h>

#include "pvisor/pv_vcpu.h"

int pv_do_iret(struct pv_vcpu *v)
{
	struct cpu_state *c = &v->cpu;
	struct iret_context ctx;
	struct pv_seg_fault f;
	int rc, seg;

	if (!v->in_kernel)
		return -EPERM;
	if (pv_read(v, c->gpr[GPR_RSP], &ctx, sizeof(ctx)))
		return -EFAULT;

	/*
	 * A guest with architectural IOPL sets it as a kernel would, even
	 * when the frame then faults.
	 */
	if (pv_vm_assist(v, VMASST_TYPE_architectural_iopl))
		v->iopl = (ctx.rflags & X86_EFLAGS_IOPL) >> 12;
	if ((ctx.cs & 3) == 3) {
		rc = pv_toggle_guest_mode(v);
		if (rc)
			return rc;
	}
	seg = pv_iret_segments(v, ctx.cs, ctx.ss, &f);

	c->rip = ctx.rip;
	c->gpr[GPR_RSP] = ctx.rsp;
	c->rflags = (ctx.rflags & X86_EFLAGS_GUEST_MASK &
		     ~(uint64_t)(X86_EFLAGS_IOPL | X86_EFLAGS_VM)) |
		    X86_EFLAGS_IF | X86_EFLAGS_FIXED;
	if (!(ctx.flags & VGCF_in_syscall)) {
		c->gpr[GPR_R11] = ctx.r11;
		c->gpr[GPR_RCX] = ctx.rcx;
	}
	c->gpr[GPR_RAX] = ctx.rax;
	v->vcpu_info->evtchn_upcall_mask = !(ctx.rflags & X86_EFLAGS_IF);
	c->dirty = true;
	if (!seg)
		return 0;
	/*
	 * Xen restores the frame and lets the CPU's iretq fault: the guest
	 * gets that exception, with the CPU's error code, as if raised at
	 * the iret's target (Xen 4.7 on; the failsafe callback is no longer
	 * used for it). The frame shows the selectors it was given.
	 */
	c->cs = ctx.cs | 3;
	c->ss = ctx.ss | 3;
	return pv_inject_exception(v, f.vec, f.error_code);
}
