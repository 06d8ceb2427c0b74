/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_CONSOLE_RING_H
#define PVISOR_CONSOLE_RING_H

#include <stddef.h>
#include <sys/types.h>

#include <pvabi/io/console.h>

/*
 * The dom0 side of a PV console ring (start_info's console page). The
 * guest writes the indexes at any time: each is read once and checked,
 * and a broken ring loses output rather than misleading us.
 */

/* Take what the guest wrote (at most cap bytes); -EIO if the indexes lie. */
ssize_t console_ring_read(struct xencons_interface *intf, char *buf,
			  size_t cap);
/* Give the guest input, as much as it has room for; returns bytes taken. */
size_t console_ring_write(struct xencons_interface *intf, const char *buf,
			  size_t len);

#endif
