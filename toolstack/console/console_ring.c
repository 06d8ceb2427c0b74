// SPDX-License-Identifier: MIT
/* The dom0 side of a PV console ring (see console_ring.h). */
#include <errno.h>

#include "pvisor/console_ring.h"

ssize_t console_ring_read(struct xencons_interface *intf, char *buf,
			  size_t cap)
{
	XENCONS_RING_IDX cons, prod;
	size_t n = 0;

	cons = __atomic_load_n(&intf->out_cons, __ATOMIC_RELAXED);
	prod = __atomic_load_n(&intf->out_prod, __ATOMIC_ACQUIRE);
	if (prod - cons > sizeof(intf->out)) {
		/* A broken producer: skip to where it says it is. */
		__atomic_store_n(&intf->out_cons, prod, __ATOMIC_RELEASE);
		return -EIO;
	}
	while (cons != prod && n < cap)
		buf[n++] = intf->out[MASK_XENCONS_IDX(cons++, intf->out)];
	__atomic_store_n(&intf->out_cons, cons, __ATOMIC_RELEASE);
	return (ssize_t)n;
}

size_t console_ring_write(struct xencons_interface *intf, const char *buf,
			  size_t len)
{
	XENCONS_RING_IDX cons, prod;
	size_t n = 0;

	cons = __atomic_load_n(&intf->in_cons, __ATOMIC_ACQUIRE);
	prod = __atomic_load_n(&intf->in_prod, __ATOMIC_RELAXED);
	if (prod - cons > sizeof(intf->in))
		cons = prod;	/* the guest corrupted it: start over */
	while (n < len && prod - cons < sizeof(intf->in))
		intf->in[MASK_XENCONS_IDX(prod++, intf->in)] = buf[n++];
	__atomic_store_n(&intf->in_prod, prod, __ATOMIC_RELEASE);
	return n;
}
