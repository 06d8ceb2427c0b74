// SPDX-License-Identifier: MIT
/*
 * physdev_op for a domU: only the virtual IOPL. A PV domU owns no
 * physical devices, so interrupt and PCI operations are refused as Xen
 * refuses them to an unprivileged guest.
 */
#include <errno.h>

#include <pvabi/physdev.h>

#include "pvisor/domain.h"
#include "pvisor/hypercall.h"
#include "pvisor/log.h"

long do_physdev_op(struct vcpu *v, const uint64_t a[6])
{
	struct physdev_set_iopl iopl;

	switch (a[0]) {
	case PHYSDEVOP_set_iopl:
		if (pv_read(&v->pv, a[1], &iopl, sizeof(iopl)))
			return -EFAULT;
		if (iopl.iopl > 3)
			return -EINVAL;
		/*
		 * Per vCPU, as in Xen: who may do port I/O and cli/sti
		 * (pv_iopl_ok); the ports themselves stay unbacked.
		 */
		v->pv.iopl = iopl.iopl;
		return 0;
	}
	dom_log(v->d, LOG_DEBUG, "physdev_op %llu refused: no devices\n",
		(unsigned long long)a[0]);
	return -ENOSYS;
}
