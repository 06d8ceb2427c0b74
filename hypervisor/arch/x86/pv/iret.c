// SPDX-License-Identifier: MIT
/*
 * The iret hypercall: the guest kernel's only way back to an interrupted
 * context, kernel or user, since it cannot execute a privileged iretq.
 */
#include <errno.h>

#include <pvabi/callback.h>

#include "pvisor/pv_vcpu.h"

/*
 * Xen's failsafe frame: the bounce frame plus the four data selectors,
 * so the guest can tell a bad segment from a bad return frame.
 */
static int pv_failsafe(struct pv_vcpu *v, const struct iret_context *ctx)
{
	struct cpu_state *c = &v->cpu;
	uint8_t saved_mask = v->vcpu_info->evtchn_upcall_mask;
	uint64_t sp = c->gpr[GPR_RSP] & ~0xfull;
	/* The IOPL shown is the virtual one, as in every bounce frame. */
	uint64_t rflags = (ctx->rflags & ~(uint64_t)X86_EFLAGS_IOPL) |
		(pv_vm_assist(v, VMASST_TYPE_architectural_iopl) ?
		 (uint64_t)(v->iopl & 3) << 12 : 0);
	uint64_t frame[11] = {
		ctx->rcx, ctx->r11, c->ds, c->es, c->fs, c->gs,
		ctx->rip, ctx->cs | ((uint64_t)saved_mask << 32),
		rflags, ctx->rsp, ctx->ss,
	};

	if (!v->failsafe_cb.address)
		return -EINVAL;
	sp -= sizeof(frame);
	if (pv_write(v, sp, frame, sizeof(frame)))
		return -EFAULT;
	c->rip = v->failsafe_cb.address;
	c->gpr[GPR_RSP] = sp;
	c->rflags = X86_EFLAGS_FIXED | X86_EFLAGS_IF;
	pv_load_mode_segments(v, FLAT_KERNEL_CS, FLAT_KERNEL_SS);
	if (v->failsafe_cb.flags & CALLBACKF_mask_events)
		v->vcpu_info->evtchn_upcall_mask = 1;
	c->dirty = true;
	return 0;
}

int pv_do_iret(struct pv_vcpu *v)
{
	struct cpu_state *c = &v->cpu;
	struct iret_context ctx;
	int rc;

	if (!v->in_kernel)
		return -EPERM;
	if (pv_read(v, c->gpr[GPR_RSP], &ctx, sizeof(ctx)))
		return -EFAULT;

	/*
	 * A guest with architectural IOPL sets it as a kernel would, even
	 * when the frame then fails (Xen's failsafe comes later too).
	 */
	if (pv_vm_assist(v, VMASST_TYPE_architectural_iopl))
		v->iopl = (ctx.rflags & X86_EFLAGS_IOPL) >> 12;
	if ((ctx.cs & 3) == 3) {
		rc = pv_toggle_guest_mode(v);
		if (rc)
			return rc;
	}
	if (pv_load_segments(v, ctx.cs, ctx.ss)) {
		if (!v->in_kernel)
			pv_toggle_guest_mode(v);
		return pv_failsafe(v, &ctx);
	}

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
	return 0;
}
