/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_PV_MM_INTERNAL_H
#define PVISOR_PV_MM_INTERNAL_H

/* Shared by the PV MMU files: the domain's lock, writer and checks. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "pvisor/domain.h"
#include "pvisor/page_type.h"
#include "pvisor/pv_mm.h"

/* The in-VM writer of one vCPU, as the page-type engine sees it. */
struct vcpu_pt_writer {
	struct pt_writer w;
	struct vcpu *v;
};

void mm_writer_init(struct vcpu_pt_writer *vw, struct vcpu *v);

static inline void mm_lock(struct domain *d)
{
	pthread_mutex_lock(&d->mm_lock);
}

static inline void mm_unlock(struct domain *d)
{
	pthread_mutex_unlock(&d->mm_lock);
}

/*
 * Xen's __addr_ok: a guest address outside the hypervisor's hole and
 * not in the non-canonical gap (the start of a guest array only, as
 * Xen's guest_handle_okay checks; the copy itself checks the rest).
 */
static inline bool mm_addr_ok(uint64_t va)
{
	return va < (1ull << 47) || va >= 0xffff880000000000ull;
}

/*
 * Which domain a foreigndom/domid argument names, as Xen's
 * get_pg_owner: 0 for DOMID_SELF, -ESRCH for our own numeric id or a
 * domain that does not exist, -EPERM for one that does (a domU may not
 * touch another domain's memory).
 */
int mm_pg_owner(struct domain *d, uint32_t domid);

/* The L1 that maps va in v's active tables; L4-L2 must be present. */
int mm_find_l1(struct vcpu *v, uint64_t va, uint64_t *l1_mfn);

/* Flush vCPUs named by a guest bitmap of vCPU ids; -EFAULT if unreadable. */
int mm_flush_vcpumask(struct vcpu *v, uint64_t bitmap_va);
void mm_flush_all(struct vcpu *v);

#endif
