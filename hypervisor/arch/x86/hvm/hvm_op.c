// SPDX-License-Identifier: MIT
/*
 * hvm_op for PVH and HVM guests: their parameters (HVM_PARAM_*), and the
 * upcall: how a pending event reaches a vCPU. Xen's vector callback is
 * an interrupt at a vector of the guest's choosing, domain-wide
 * (HVM_PARAM_CALLBACK_IRQ) or per vCPU (HVMOP_set_evtchn_upcall_vector),
 * raised when vcpu_info's evtchn_upcall_pending goes from 0 to 1. Here
 * it is a fixed, edge MSI to the vCPU's LAPIC (KVM's irqchip), which KVM
 * delivers whenever the guest's RFLAGS.IF and LAPIC let it.
 */
#include <errno.h>

#include <pvabi/hvm/hvm_op.h>

#include "pvisor/domain.h"
#include "pvisor/hvm.h"
#include "pvisor/log.h"

/* Vectors 0-15 are exceptions' (Xen refuses them too). */
#define VECTOR_MIN	0x10

static uint8_t upcall_vector(const struct vcpu *v)
{
	uint8_t per_vcpu = __atomic_load_n(&v->hvm_upcall_vector,
					   __ATOMIC_ACQUIRE);

	return per_vcpu ? per_vcpu :
	       __atomic_load_n(&v->d->hvm.callback_vector, __ATOMIC_ACQUIRE);
}

void hvm_upcall(struct vcpu *v)
{
	uint8_t vector = upcall_vector(v);

	if (vector && v->plat)
		plat_vm_signal_msi(v->d->vm, v->id, vector);
}

/* A vector just set: an upcall already pending must not be lost. */
static void upcall_replay(struct domain *d)
{
	for (unsigned int i = 0; i < d->nr_vcpus; i++) {
		struct vcpu *v = d->vcpus[i];
		struct vcpu_info *vi = v ? v->pv.vcpu_info : NULL;

		if (vi && __atomic_load_n(&vi->evtchn_upcall_pending,
					  __ATOMIC_ACQUIRE))
			hvm_upcall(v);
	}
}

static void param_store(struct domain *d, uint32_t index, uint64_t value)
{
	pthread_mutex_lock(&d->hvm.lock);
	d->hvm.params[index] = value;
	pthread_mutex_unlock(&d->hvm.lock);
}

static long set_param(struct domain *d, uint32_t index, uint64_t value)
{
	uint64_t type = (value & HVM_PARAM_CALLBACK_IRQ_TYPE_MASK) >> 56;

	switch (index) {
	case HVM_PARAM_CALLBACK_IRQ:
		if (value == 0) {		/* no upcalls */
			__atomic_store_n(&d->hvm.callback_vector, 0,
					 __ATOMIC_RELEASE);
			break;
		}
		/*
		 * A GSI is kept but raises nothing yet: Linux names GSI 1
		 * only to tell the toolstack it has per-vCPU vectors, which
		 * win. PCI INTx needs the platform device: not yet.
		 */
		if (type == HVM_PARAM_CALLBACK_TYPE_GSI) {
			__atomic_store_n(&d->hvm.callback_vector, 0,
					 __ATOMIC_RELEASE);
			break;
		}
		if (type != HVM_PARAM_CALLBACK_TYPE_VECTOR)
			return -ENOSYS;
		if ((value & ~HVM_PARAM_CALLBACK_IRQ_TYPE_MASK) > 0xff ||
		    (value & 0xff) < VECTOR_MIN)
			return -EINVAL;
		__atomic_store_n(&d->hvm.callback_vector, (uint8_t)value,
				 __ATOMIC_RELEASE);
		upcall_replay(d);
		break;
	case HVM_PARAM_STORE_PFN:
	case HVM_PARAM_STORE_EVTCHN:
	case HVM_PARAM_CONSOLE_PFN:
	case HVM_PARAM_CONSOLE_EVTCHN:
		return -EPERM;		/* the toolstack's to set */
	default:
		return -EINVAL;
	}
	param_store(d, index, value);
	return 0;
}

int hvm_param_toolstack_set(struct domain *d, uint32_t index, uint64_t value)
{
	switch (index) {
	case HVM_PARAM_STORE_PFN:
	case HVM_PARAM_CONSOLE_PFN:
		if (value >= d->mem.nr_pages)
			return -EINVAL;
		break;
	case HVM_PARAM_STORE_EVTCHN:
	case HVM_PARAM_CONSOLE_EVTCHN:
		if (value > UINT32_MAX)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	param_store(d, index, value);
	return 0;
}

static long param_op(struct vcpu *v, unsigned int op, uint64_t arg)
{
	struct domain *d = v->d;
	struct xen_hvm_param p;
	long rc = 0;

	if (pv_read(&v->pv, arg, &p, sizeof(p)))
		return -EFAULT;
	if (p.domid != DOMID_SELF && p.domid != d->id)
		return -EPERM;
	if (p.index >= HVM_NR_PARAMS)
		return -EINVAL;
	if (op == HVMOP_set_param)
		return set_param(d, p.index, p.value);
	pthread_mutex_lock(&d->hvm.lock);
	p.value = d->hvm.params[p.index];
	pthread_mutex_unlock(&d->hvm.lock);
	if (pv_write(&v->pv, arg, &p, sizeof(p)))
		rc = -EFAULT;
	return rc;
}

static long set_upcall_vector(struct vcpu *v, uint64_t arg)
{
	struct xen_hvm_evtchn_upcall_vector u;
	struct domain *d = v->d;
	struct vcpu *t;

	if (pv_read(&v->pv, arg, &u, sizeof(u)))
		return -EFAULT;
	if (u.vector < VECTOR_MIN)
		return -EINVAL;
	if (u.vcpu >= d->nr_vcpus || !(t = d->vcpus[u.vcpu]))
		return -ENOENT;
	__atomic_store_n(&t->hvm_upcall_vector, u.vector, __ATOMIC_RELEASE);
	upcall_replay(d);
	return 0;
}

long hvm_do_hvm_op(struct vcpu *v, const uint64_t a[6])
{
	switch (a[0]) {
	case HVMOP_set_param:
	case HVMOP_get_param:
		return param_op(v, (unsigned int)a[0], a[1]);
	case HVMOP_set_evtchn_upcall_vector:
		return set_upcall_vector(v, a[1]);
	}
	/* pagetable_dying and the device-model calls: not here. */
	return -ENOSYS;
}
