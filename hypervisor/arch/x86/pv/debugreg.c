// SPDX-License-Identifier: MIT
/*
 * set_debugreg/get_debugreg. The values are validated as Xen does and
 * kept per vCPU, so a guest reads back what it wrote; they are not armed
 * in the VM (no hardware breakpoints or watchpoints for guests yet).
 */
#include <errno.h>

#include "pvisor/domain.h"
#include "pvisor/hypercall.h"

#define DR6_RESERVED_ONES	0xffff0ff0ull
#define DR7_RESERVED_ONES	0x00000400ull
#define DR7_GD			(1ull << 13)

long do_set_debugreg(struct vcpu *v, const uint64_t a[6])
{
	uint64_t reg = a[0], val = a[1];
	const struct guest_mem *m = v->pv.mem;

	switch (reg) {
	case 0: case 1: case 2: case 3:
		/* A breakpoint address must be the guest's own to watch. */
		if (!x86_is_canonical(val) ||
		    (val >= m->reserved_va_start && val < m->reserved_va_end))
			return -EPERM;
		break;
	case 6:
		if (val >> 32)
			return -EINVAL;
		val |= DR6_RESERVED_ONES;
		break;
	case 7:
		if ((val >> 32) || (val & DR7_GD))
			return -EINVAL;
		val |= DR7_RESERVED_ONES;
		break;
	default:
		return -EINVAL;
	}
	v->pv.debugreg[reg] = val;
	return 0;
}

long do_get_debugreg(struct vcpu *v, const uint64_t a[6])
{
	switch (a[0]) {
	case 0: case 1: case 2: case 3: case 6: case 7:
		return (long)v->pv.debugreg[a[0]];
	}
	return -EINVAL;
}
