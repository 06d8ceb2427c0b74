// SPDX-License-Identifier: MIT
/*
 * physdev_op for a domU: only the virtual IOPL and the I/O bitmap. A PV
 * domU owns no physical devices, so interrupt and PCI operations are
 * refused as Xen refuses them to an unprivileged guest.
 */
#include <errno.h>

#include <pvabi/physdev.h>

#include "pvisor/domain.h"
#include "pvisor/hypercall.h"
#include "pvisor/log.h"
#include "mm_internal.h"

#define IOBMP_PORTS	65536u	/* one bit per port */

/* Read the argument: what Xen does first, failing with -EFAULT. */
static int physdev_arg(struct vcpu *v, uint64_t va, void *dst, size_t len)
{
	return pv_read(&v->pv, va, dst, len) ? -EFAULT : 0;
}

long do_physdev_op(struct vcpu *v, const uint64_t a[6])
{
	struct physdev_set_iopl iopl;
	struct physdev_set_iobitmap bmp;
	struct physdev_eoi eoi;
	struct physdev_apic apic;
	struct physdev_irq irq;
	int rc;

	/* Xen takes the command as an int. */
	switch ((uint32_t)a[0]) {
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
	case PHYSDEVOP_set_iobitmap:
		if (pv_read(&v->pv, a[1], &bmp, sizeof(bmp)))
			return -EFAULT;
		/*
		 * As Xen: only where it starts is checked, that it is a guest
		 * address. The bitmap is read when a port is used (io_perm.c),
		 * a hole then being the guest's #PF. nr_ports 0 turns it off.
		 */
		if (!mm_addr_ok(bmp.bitmap) || bmp.nr_ports > IOBMP_PORTS)
			return -EINVAL;
		v->pv.iobmp = bmp.bitmap;
		v->pv.iobmp_nr = bmp.nr_ports;
		return 0;
	case PHYSDEVOP_eoi:
		/* No pirq is ever bound: every number is out of range. */
		rc = physdev_arg(v, a[1], &eoi, sizeof(eoi));
		return rc ? rc : -EINVAL;
	case PHYSDEVOP_IRQ_UNMASK_NOTIFY:
		return 0;		/* unmasks every bound pirq: none */
	case PHYSDEVOP_apic_read:
	case PHYSDEVOP_apic_write:
		/* Read first, then refused to anyone but dom0 (XSM_PRIV). */
		rc = physdev_arg(v, a[1], &apic, sizeof(apic));
		return rc ? rc : -EPERM;
	case PHYSDEVOP_alloc_irq_vector:
		rc = physdev_arg(v, a[1], &irq, sizeof(irq));
		return rc ? rc : -EPERM;
	case PHYSDEVOP_dbgp_op:
		return -EPERM;		/* before the argument is read */
	}
	dom_log(v->d, LOG_DEBUG, "physdev_op %llu refused: no devices\n",
		(unsigned long long)a[0]);
	return -ENOSYS;
}
