/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_GRANT_TABLE_H
#define PVISOR_GRANT_TABLE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <pvabi/grant_table.h>

#include "pvisor/gnttab_shm.h"

#ifndef CONFIG_GNTTAB_MAX_FRAMES
/* Xen's default gnttab_max_frames: 64 frames, 32768 v1 entries. */
#define CONFIG_GNTTAB_MAX_FRAMES	64
#endif

struct domain;
struct vcpu;

/*
 * A domain's grant table (v1 or v2), as pvisord holds it: a memfd laid
 * out as gnttab_shm.h says, whose shared frames, then status frames, also
 * appear in the domain's hypervisor region, so the guest maps them by
 * frame number (setup_table, get_status_frames) and those numbers never
 * change as the table grows or changes version. The memfd is what a
 * dom0 service gets (with the guest's RAM memfd) to honour the grants.
 */
struct gnttab {
	int fd;				/* the memfd, sealed: fixed size */
	void *base;			/* pvisord's mapping of all of it */
	size_t size;
	struct gnttab_shm shm;
	uint64_t hv_idx;		/* hv page index of shared frame 0 */
					/* (status frame 0: hv_idx + max) */
	uint8_t *ram;			/* the granter's RAM */
	pthread_mutex_t grow_lock;	/* serialises growth and versions */
	uint32_t unimpl_logged;		/* bit n: GNTTABOP n reported */
};

/*
 * Create d's table with CONFIG_GNTTAB_MAX_FRAMES frames reserved in its
 * hypervisor region (one in use, as Xen starts). Call after the region
 * exists and before it is given to the VM: it remaps part of it.
 */
int gnttab_domain_init(struct domain *d);
void gnttab_domain_fini(struct domain *d);

/* The memfd a dom0 service needs (owned by d; dup it to pass it on). */
int gnttab_domain_fd(const struct domain *d);

/*
 * Fill one entry as Xen's domain builder fills the reserved ones
 * (GNTTAB_RESERVED_CONSOLE, _XENSTORE) before the guest runs: frame of
 * d's RAM granted read/write to backend.
 */
int gnttab_seed(struct domain *d, grant_ref_t ref, domid_t backend,
		uint32_t frame);

/*
 * Grow to nr frames (never shrinks), and under v2 the status frames with
 * them; -EINVAL beyond the maximum.
 */
int gnttab_grow(struct domain *d, uint32_t nr);

/*
 * GNTTABOP_set_version's switch (gnttab_shm_set_version), and which
 * status frames the guest may map: 0 or a negative errno.
 */
int gnttab_switch_version(struct domain *d, unsigned int version);

/* Machine frame number of shared frame i. */
uint64_t gnttab_frame_mfn(const struct domain *d, uint32_t i);
/* Machine frame number of status frame i (v2). */
uint64_t gnttab_status_mfn(const struct domain *d, uint32_t i);
/* Status frames in use now: none under v1. */
uint32_t gnttab_nr_status_frames(const struct domain *d);

/* Hypercall 20. */
long do_grant_table_op(struct vcpu *v, const uint64_t a[6]);

#endif
