/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_GNTTAB_MAP_H
#define PVISOR_GNTTAB_MAP_H

/*
 * Grant maps into a PV domain: GNTTABOP_map_grant_ref, unmap_grant_ref
 * and unmap_and_replace, with Xen's semantics and statuses
 * (xen/common/grant_table.c map_grant_ref, unmap_common).
 *
 * Every domain has a grant-map window: CONFIG_GNTTAB_MAP_SLOTS frames of
 * its hypervisor region that the guest may never map itself (access 0,
 * so mmu_update, update_va_mapping and table validation refuse them).
 * Map handle h is window slot h. A map pins the grant in the granter's
 * table, puts the granted page in slot h of pvisord's view of the region
 * (mmap of the granter's RAM memfd; KVM follows through its MMU
 * notifiers) and, for GNTMAP_host_map, writes a PTE naming the slot's
 * frame: the only PTEs that can name a window frame are these. Machine
 * addresses the caller sees (dev_bus_addr) are window frames too, the
 * only machine frames of that page in its VM.
 *
 * Locking: the window's mutex, then the domain's mm lock (grant_pte.c),
 * then a grant entry's busy bit. TLB flushes run with no lock held.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <pvabi/grant_table.h>

#ifndef CONFIG_GNTTAB_MAP_SLOTS
/* Maps one domain may hold at once (Xen's maptrack is larger: 1024 frames). */
#define CONFIG_GNTTAB_MAP_SLOTS	1024
#endif

struct domain;
struct vcpu;
struct gnttab_peer;

struct gnttab_map_slot {
	struct gnttab_peer *peer;	/* the granter; NULL: slot free */
	grant_ref_t ref;
	uint32_t flags;			/* GNTMAP_* as mapped */
	uint32_t live;			/* host/device parts still mapped */
	uint32_t held;			/* parts whose pin, ref remain */
	uint32_t frame;			/* the granter's frame */
	uint32_t next_free;
	bool closing;			/* unmapped, flush pending */
};

struct gnttab_maptrack {
	pthread_mutex_t lock;
	uint64_t hv_idx;		/* hv page index of slot 0 */
	uint32_t nr;
	uint32_t free_head;		/* nr: none free */
	uint32_t in_use;
	struct gnttab_map_slot *slots;
};

/*
 * Reserve d's window of nr slots in its hypervisor region (before the
 * region is given to the VM) / release every map d still holds (its
 * vCPUs are gone) and the window's bookkeeping.
 */
int gnttab_map_domain_init(struct domain *d, uint32_t nr);
void gnttab_map_domain_fini(struct domain *d);

/* Machine frame of window slot h. */
uint64_t gnttab_map_slot_mfn(const struct domain *d, uint32_t h);

/* The three ops, as grant_table_op dispatches them. */
long gnttab_map_op(struct vcpu *v, uint64_t uop, unsigned int count);
long gnttab_unmap_op(struct vcpu *v, uint64_t uop, unsigned int count);
long gnttab_unmap_and_replace_op(struct vcpu *v, uint64_t uop,
				 unsigned int count);

#endif
