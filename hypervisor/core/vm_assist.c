// SPDX-License-Identifier: MIT
/* vm_assist: per-domain opt-ins to hypervisor assistance. */
#include <errno.h>

#include "pvisor/domain.h"
#include "pvisor/hypercall.h"

/* The assists Xen offers a 64-bit PV guest. */
#define VMASST_VALID_PV ((1ul << VMASST_TYPE_4gb_segments) |		\
			 (1ul << VMASST_TYPE_4gb_segments_notify) |	\
			 (1ul << VMASST_TYPE_writable_pagetables) |	\
			 (1ul << VMASST_TYPE_pae_extended_cr3) |	\
			 (1ul << VMASST_TYPE_architectural_iopl) |	\
			 (1ul << VMASST_TYPE_runstate_update_flag) |	\
			 (1ul << VMASST_TYPE_m2p_strict))

long do_vm_assist(struct vcpu *v, const uint64_t a[6])
{
	/* Xen's unsigned int cmd and type. */
	uint32_t cmd = (uint32_t)a[0], type = (uint32_t)a[1];
	unsigned long bit;

	if (type >= 64 || !((1ul << type) & VMASST_VALID_PV))
		return -EINVAL;
	bit = 1ul << type;
	switch (cmd) {
	case VMASST_CMD_enable:
		__atomic_fetch_or(&v->d->vm_assist, bit, __ATOMIC_RELAXED);
		return 0;
	case VMASST_CMD_disable:
		__atomic_fetch_and(&v->d->vm_assist, ~bit, __ATOMIC_RELAXED);
		return 0;
	}
	return -ENOSYS;
}
