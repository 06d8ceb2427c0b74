/* SPDX-License-Identifier: MIT */
/*
 * States of a split-driver end, published in the xenstore "state" node
 * of frontend and backend; each side moves through them in reaction to
 * the other's.
 */
#ifndef PVABI_IO_XENBUS_H
#define PVABI_IO_XENBUS_H

enum xenbus_state {
	XenbusStateUnknown	= 0,
	XenbusStateInitialising	= 1,
	XenbusStateInitWait	= 2,	/* backend waits for frontend details */
	XenbusStateInitialised	= 3,	/* frontend published its rings */
	XenbusStateConnected	= 4,
	XenbusStateClosing	= 5,
	XenbusStateClosed	= 6,
	XenbusStateReconfiguring = 7,
	XenbusStateReconfigured	= 8,
};

typedef enum xenbus_state XenbusState;

#endif /* PVABI_IO_XENBUS_H */
