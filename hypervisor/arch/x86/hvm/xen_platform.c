// SPDX-License-Identifier: MIT
/*
 * Xen's platform PCI device. Linux's PVHVM code looks for it (vendor
 * 5853, device 0001) to learn where its grant table may live (BAR1)
 * and, before that, talks to the fixed ports at 0x10 to take emulated
 * disks and NICs away in favour of blkfront and netfront. pvisor's HVM
 * PC has no emulated disks or NICs, so "unplugging" only records the
 * request; the handshake must still succeed, or Linux keeps its PV
 * drivers off.
 */
#include <errno.h>

#include "pvisor/hvm_dev.h"
#include "pvisor/log.h"

#define XEN_VENDOR		0x5853
#define XEN_PLATFORM_DEVICE	0x0001
/* Class "other" (0xff80), revision 1: what Xen's device model says. */
#define XEN_PLATFORM_CLASS_REV	0xff800001u

/* The ports, relative to 0x10 (Xen's public hvm/ioreq layout). */
#define PORT_MAGIC		0	/* 16-bit read */
#define PORT_UNPLUG		0	/* 16-bit write */
#define PORT_DRVVER		0	/* 32-bit write */
#define PORT_FLAGS		0	/* 8-bit read/write */
#define PORT_PROTOVER		2	/* 8-bit read */
#define PORT_PRODNUM		2	/* 16-bit write */
#define PLATFORM_MAGIC		0x49d2
#define PLATFORM_PROTOCOL	1

int xen_platform_init(struct xen_platform *p, struct pci_host *h,
		      uint32_t mmio_base)
{
	int rc;

	*p = (struct xen_platform){ 0 };
	p->fn = pci_host_add(h, XEN_PLATFORM_DEVFN, XEN_VENDOR,
			     XEN_PLATFORM_DEVICE, XEN_PLATFORM_CLASS_REV,
			     XEN_VENDOR, XEN_PLATFORM_DEVICE);
	if (!p->fn)
		return -ENOSPC;
	rc = pci_func_set_bar(p->fn, 0, XEN_PLATFORM_IO_BASE,
			      XEN_PLATFORM_IO_SIZE, PCI_BAR_IO);
	if (!rc)
		rc = pci_func_set_bar(p->fn, 1, mmio_base,
				      XEN_PLATFORM_MMIO_SIZE,
				      PCI_BAR_MEM_PREFETCH);
	return rc;
}

bool xen_platform_io(struct xen_platform *p, uint16_t port,
		     unsigned int size, bool is_write, uint32_t *value)
{
	unsigned int reg = port - XEN_PLATFORM_PORT;

	if (port < XEN_PLATFORM_PORT || reg > 3)
		return false;
	if (!is_write) {
		if (reg == PORT_MAGIC && size == 2)
			*value = PLATFORM_MAGIC;
		else if (reg == PORT_PROTOVER && size == 1)
			*value = PLATFORM_PROTOCOL;
		else if (reg == PORT_FLAGS && size == 1)
			*value = 0;
		else
			*value = 0xffffffffu;
		return true;
	}
	if (reg == PORT_UNPLUG && size == 2) {
		p->unplugged |= (uint16_t)*value;
		pr_debug("xen platform: unplug %#x (no emulated devices)\n",
			 *value & 0xffff);
	} else if (reg == PORT_DRVVER && size == 4) {
		p->driver_version = *value;
	} else if (reg == PORT_PRODNUM && size == 2) {
		p->product = (uint16_t)*value;
	}
	return true;
}
