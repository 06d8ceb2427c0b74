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

/*
 * The NMI callback is the trap table's vector 2, events masked (Xen's
 * register_guest_nmi_callback); pvisor raises no virtual NMI yet.
 */
static void set_nmi_callback(struct pv_vcpu *pv, uint64_t address)
{
	struct trap_info *t = &pv->trap_ctxt[X86_VEC_NMI];

	*t = (struct trap_info){
		.vector = X86_VEC_NMI, .cs = FLAT_KERNEL_CS,
		.address = address,
	};
	TI_SET_IF(t, 1);
}

/* Xen's register_guest_callback: the address is checked first. */
static long register_callback(struct pv_vcpu *pv,
			      const struct callback_register *reg)
{
	struct pv_callback *cb;

	if (!x86_is_canonical(reg->address))
		return -EINVAL;
	if (reg->type == CALLBACKTYPE_nmi) {
		set_nmi_callback(pv, reg->address);
		return 0;
	}
	cb = callback_slot(pv, reg->type);
	if (!cb)
		return -ENOSYS;
	cb->address = reg->address;
	cb->flags = reg->flags;
	return 0;
}

long do_callback_op(struct vcpu *v, const uint64_t a[6])
{
	struct callback_register reg;
	struct callback_unregister unreg;

	/* Xen takes the command as an int. */
	switch ((uint32_t)a[0]) {
	case CALLBACKOP_register:
		if (pv_read(&v->pv, a[1], &reg, sizeof(reg)))
			return -EFAULT;
		return register_callback(&v->pv, &reg);
	case CALLBACKOP_unregister:
		if (pv_read(&v->pv, a[1], &unreg, sizeof(unreg)))
			return -EFAULT;
		/* Only the NMI callback can go; Xen refuses the others. */
		if (unreg.type == CALLBACKTYPE_nmi) {
			memset(&v->pv.trap_ctxt[X86_VEC_NMI], 0,
			       sizeof(v->pv.trap_ctxt[X86_VEC_NMI]));
			return 0;
		}
		return callback_slot(&v->pv, unreg.type) ? -EINVAL : -ENOSYS;
	}
	return -ENOSYS;
}

long do_set_callbacks(struct vcpu *v, const uint64_t a[6])
{
	/*
	 * As Xen: three registrations whose failures are ignored (a
	 * non-canonical address leaves that callback as it was), so 0.
	 */
	for (unsigned int i = 0; i < 3; i++) {
		static const uint32_t type[3] = {
			CALLBACKTYPE_event, CALLBACKTYPE_failsafe,
			CALLBACKTYPE_syscall,
		};
		struct callback_register reg = {
			.type = type[i], .address = a[i],
		};

		(void)register_callback(&v->pv, &reg);
	}
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

	/* Xen takes `which` as an unsigned int. */
	switch ((uint32_t)a[0]) {
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
		/*
		 * Loading the user GS selector also loads its (flat) base.
		 * Never an error, as on Xen: the selector is the low 16 bits
		 * and Linux BUG()s if this fails.
		 */
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

	pv->fpu_ts = (int)a[0] != 0;	/* Xen's argument is an int */
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
