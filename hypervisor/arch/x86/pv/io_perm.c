// SPDX-License-Identifier: MIT
/*
 * May the guest, in its current mode, touch these ports? The virtual
 * IOPL first (pv_iopl_ok), then the I/O bitmap the guest registered
 * with PHYSDEVOP_set_iobitmap: a clear bit allows a port, as in a TSS
 * (Xen: guest_io_okay).
 */
#include <errno.h>

#include "pvisor/pv_vcpu.h"

int pv_io_okay(const struct pv_vcpu *v, unsigned int port,
	       unsigned int bytes, uint64_t *fault_va)
{
	uint64_t va = v->iobmp + (port >> 3);
	uint8_t b[2];
	uint16_t mask;

	if (pv_iopl_ok(v))
		return 1;
	if (port + bytes > v->iobmp_nr)
		return 0;
	/*
	 * Two bytes, always, as the CPU reads a TSS bitmap: an access may
	 * straddle a byte, and the second byte may lie one past nr_ports.
	 * The guest kernel's tables, also for user mode (Xen switches to
	 * them to read the bitmap). A hole is the guest's #PF, at the
	 * first byte that could not be read (Xen's address is off by the
	 * access size there).
	 */
	for (unsigned int i = 0; i < 2; i++) {
		if (gmem_read(v->mem, v->kernel_cr3, va + i, &b[i], 1)) {
			*fault_va = va + i;
			return -EFAULT;
		}
	}
	mask = (uint16_t)(b[0] | (b[1] << 8));
	return !(mask & (((1u << bytes) - 1) << (port & 7)));
}
