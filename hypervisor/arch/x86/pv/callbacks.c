// SPDX-License-Identifier: MIT
/*
 * Hypercalls that configure how the guest kernel is entered: the trap
 * table, callbacks, the kernel stack, segment bases, lazy FPU, iret.
 */
#include <errno.h>
#include <string.h>

#include <pvabi/callback.h>

#include "pvisor/domain.h"
#include "pvisor/hypercall.h"

long do_set_trap_table(struct vcpu *v, const uint64_t a[6])
{
	uint64_t va = a[0];

	if (!va) {
		memset(v->pv.trap_ctxt, 0, sizeof(v->pv.trap_ctxt));
		return 0;
	}
	for (;; va += sizeof(struct trap_info)) {
		struct trap_info ti;

		if (domain_is_dying(v->d))
			return 0;
		if (pv_read(&v->pv, va, &ti, sizeof(ti)))
			return -EFAULT;
		if (!ti.address)
			return 0;
		if (!x86_is_canonical(ti.address))
			return -EINVAL;
		v->pv.trap_ctxt[ti.vector] = ti;
	}
}

static struct pv_callback *callback_slot(struct pv_vcpu *pv, unsigned int type)
{
	switch (type) {
	case CALLBACKTYPE_event:
		return &pv->event_cb;
	case CALLBACKTYPE_failsafe:
		return &pv->failsafe_cb;
	case CALLBACKTYPE_syscall:
		return &pv->syscall_cb;
	case CALLBACKTYPE_syscall32:
		return &pv->syscall32_cb;
	case CALLBACKTYPE_sysenter:
		return &pv->sysenter_cb;
	}
	return NULL;
}

long do_callback_op(struct vcpu *v, const uint64_t a[6])
{
	struct callback_register reg;
	struct callback_unregister unreg;
	struct pv_callback *cb;

	switch (a[0]) {
	case CALLBACKOP_register:
		if (pv_read(&v->pv, a[1], &reg, sizeof(reg)))
			return -EFAULT;
		cb = callback_slot(&v->pv, reg.type);
		if (!cb)
			return -ENOSYS;
		if (!x86_is_canonical(reg.address))
			return -EINVAL;
		cb->address = reg.address;
		cb->flags = reg.flags;
		return 0;
	case CALLBACKOP_unregister:
		if (pv_read(&v->pv, a[1], &unreg, sizeof(unreg)))
			return -EFAULT;
		cb = callback_slot(&v->pv, unreg.type);
		if (!cb)
			return -ENOSYS;
		/* Xen refuses to drop the two callbacks a guest relies on. */
		if (unreg.type == CALLBACKTYPE_event ||
		    unreg.type == CALLBACKTYPE_failsafe)
			return -EINVAL;
		memset(cb, 0, sizeof(*cb));
		return 0;
	}
	return -ENOSYS;
}

long do_set_callbacks(struct vcpu *v, const uint64_t a[6])
{
	if (!x86_is_canonical(a[0]) || !x86_is_canonical(a[1]) ||
	    !x86_is_canonical(a[2]))
		return -EINVAL;
	v->pv.event_cb = (struct pv_callback){ .address = a[0] };
	v->pv.failsafe_cb = (struct pv_callback){ .address = a[1] };
	v->pv.syscall_cb = (struct pv_callback){ .address = a[2] };
	return 0;
}

long do_stack_switch(struct vcpu *v, const uint64_t a[6])
{
	/* The selector is meaningless for 64-bit guests. */
	v->pv.kernel_sp = a[1];
	return 0;
}

long do_set_segment_base(struct vcpu *v, const uint64_t a[6])
{
	uint64_t base = a[1];
	struct pv_vcpu *pv = &v->pv;

	switch (a[0]) {
	case SEGBASE_FS:
		if (!x86_is_canonical(base))
			return -EINVAL;
		pv->cpu.fs_base = base;
		break;
	case SEGBASE_GS_USER:
		if (!x86_is_canonical(base))
			return -EINVAL;
		pv->gs_base_user = base;
		break;
	case SEGBASE_GS_KERNEL:
		if (!x86_is_canonical(base))
			return -EINVAL;
		pv->gs_base_kernel = base;
		if (pv->in_kernel)
			pv->cpu.gs_base = base;
		break;
	case SEGBASE_GS_USER_SEL:
		/* Loading the user GS selector also loads its (flat) base. */
		if (base & ~0xffffull)
			return -EINVAL;
		pv->gs_base_user = 0;
		break;
	default:
		return -EINVAL;
	}
	pv->cpu.dirty = true;
	return 0;
}

long do_fpu_taskswitch(struct vcpu *v, const uint64_t a[6])
{
	struct pv_vcpu *pv = &v->pv;

	pv->fpu_ts = a[0] != 0;
	if (pv->fpu_ts)
		pv->cpu.cr0 |= X86_CR0_TS;
	else
		pv->cpu.cr0 &= ~(uint64_t)X86_CR0_TS;
	pv->cpu.dirty = true;
	return 0;
}

long do_iret(struct vcpu *v, const uint64_t a[6])
{
	int rc = pv_do_iret(&v->pv);

	if (rc)
		domain_crash(v->d, "vCPU%u: bad iret frame at rsp %#llx (%d)",
			     v->id, (unsigned long long)v->pv.cpu.gpr[GPR_RSP],
			     rc);
	return HC_NO_RESULT;
}
