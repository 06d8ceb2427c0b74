/* SPDX-License-Identifier: MIT */
/*
 * The PV console page (start_info.console.domU.mfn): two byte rings,
 * "in" towards the guest and "out" from it.  Each side advances only its
 * own producer or consumer index and signals the console event channel.
 */
#ifndef PVABI_IO_CONSOLE_H
#define PVABI_IO_CONSOLE_H

#include <stdint.h>

typedef uint32_t XENCONS_RING_IDX;

/* Ring sizes are powers of two, so indexes wrap freely. */
#define MASK_XENCONS_IDX(idx, ring)	((idx) & (sizeof(ring) - 1))

struct xencons_interface {
	char in[1024];
	char out[2048];
	XENCONS_RING_IDX in_cons, in_prod;
	XENCONS_RING_IDX out_cons, out_prod;
};

#endif /* PVABI_IO_CONSOLE_H */
