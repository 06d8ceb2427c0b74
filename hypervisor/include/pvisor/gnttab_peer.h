/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_GNTTAB_PEER_H
#define PVISOR_GNTTAB_PEER_H

/*
 * The grant tables other domains may map from (GNTTABOP_map_grant_ref
 * names the granter by domid): every domain of this pvisord registers its
 * table here while it lives. A peer is pvisord's own view of the granter,
 * built from the two memfds a dom0 service would get (its grant table and
 * its RAM), and reference counted: a map holds a reference for as long as
 * it lasts, so the granter can be torn down while its frames are still
 * mapped elsewhere (the pins and frame references land in memory the
 * peer keeps mapped, the frame itself stays alive through the mapper's
 * mmap of the RAM memfd) and no lookup can return a freed table.
 *
 * GNTTABOP_copy reaches the granter's bytes through the peer's own
 * mapping of all its RAM (made at register time: address space only,
 * pages come in as a copy touches them), under the same rules as a map:
 * a pin for the grant, a frame reference (writable for a destination)
 * for the frame, both in the peer's shm.
 */
#include <stdint.h>

#include <pvabi/xen.h>

#include "pvisor/gnttab_shm.h"

struct domain;

struct gnttab_peer {
	struct gnttab_peer *next;	/* registry, under the registry lock */
	domid_t domid;
	unsigned int refs;		/* registry lock */
	int ram_fd;			/* the granter's RAM (owned dup) */
	int gnt_fd;			/* its grant memfd (owned dup) */
	uint8_t *ram;			/* our mapping of all its RAM (copies) */
	size_t ram_size;
	void *gbase;			/* our mapping of the latter */
	size_t gsize;
	struct gnttab_shm shm;
};

/* Make d's table mappable by others; after gnttab_domain_init(). */
int gnttab_peer_register(struct domain *d);
/* No new lookups find d; existing references stay valid. Idempotent. */
void gnttab_peer_unregister(struct domain *d);

/* The registered table of domid, with a reference taken, or NULL. */
struct gnttab_peer *gnttab_peer_get(domid_t domid);
void gnttab_peer_put(struct gnttab_peer *p);

#endif
