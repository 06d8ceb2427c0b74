/* SPDX-License-Identifier: MIT */
/*
 * memory_op (hypercall 12): growing and shrinking a domain's memory,
 * finding the M2P table, the guest's memory map, and mapping special
 * pages (shared_info, grant frames) into its physical address space.
 * Operations only the toolstack uses on Xen (paging, sharing, access)
 * are not part of pvisor's guest ABI.
 */
#ifndef PVABI_MEMORY_H
#define PVABI_MEMORY_H

#include "xen.h"

#define XENMEM_increase_reservation	0
#define XENMEM_decrease_reservation	1
#define XENMEM_maximum_ram_page		2
#define XENMEM_current_reservation	3
#define XENMEM_maximum_reservation	4
#define XENMEM_machphys_mfn_list	5
#define XENMEM_populate_physmap		6
#define XENMEM_add_to_physmap		7
#define XENMEM_memory_map		9
#define XENMEM_machine_memory_map	10
#define XENMEM_exchange			11
#define XENMEM_machphys_mapping		12
#define XENMEM_set_memory_map		13
#define XENMEM_maximum_gpfn		14
#define XENMEM_remove_from_physmap	15
#define XENMEM_set_pod_target		16
#define XENMEM_get_pod_target		17
#define XENMEM_add_to_physmap_batch	23
#define XENMEM_machphys_compat_mfn_list	25
#define XENMEM_get_vnumainfo		26
#define XENMEM_acquire_resource		28

/*
 * xen_memory_reservation.mem_flags: bits 0-7 limit the machine address
 * width of the frames (0 = no limit), bits 8-15 hold a NUMA node + 1.
 */
#define XENMEMF_address_bits(x)		(x)
#define XENMEMF_get_address_bits(x)	((x) & 0xffu)
#define XENMEMF_node(x)			(((x) + 1) << 8)
#define XENMEMF_get_node(x)		((((x) >> 8) - 1) & 0xffu)
#define XENMEMF_populate_on_demand	(1 << 16)
#define XENMEMF_exact_node_request	(1 << 17)
#define XENMEMF_exact_node(n)		(XENMEMF_node(n) | XENMEMF_exact_node_request)
#define XENMEMF_vnode			(1 << 18)

/*
 * increase/decrease_reservation and populate_physmap: nr_extents extents
 * of 2^extent_order pages.  extent_start lists frame numbers (in or out,
 * per op).  The hypercall returns how many extents it completed.
 */
struct xen_memory_reservation {
	XEN_GUEST_HANDLE(xen_pfn_t) extent_start;
	xen_ulong_t nr_extents;
	uint32_t extent_order;
	uint32_t mem_flags;	/* XENMEMF_* */
	domid_t domid;
};

/* Trade frames for others, e.g. to get frames below 4 GiB. */
struct xen_memory_exchange {
	struct xen_memory_reservation in;
	struct xen_memory_reservation out;
	xen_ulong_t nr_exchanged;
};

/* Argument of current/maximum_reservation and maximum_gpfn. */
struct xen_memory_domain {
	domid_t domid;
};

/* The frames that back the M2P table, so dom0 tools can map it. */
struct xen_machphys_mfn_list {
	uint32_t max_extents;
	XEN_GUEST_HANDLE(xen_pfn_t) extent_start;
	uint32_t nr_extents;
};

/*
 * Where the read-only M2P table is mapped in every guest address space,
 * and the largest frame it covers.  This, not MACH2PHYS_VIRT_START, is
 * authoritative on pvisor.
 */
struct xen_machphys_mapping {
	xen_ulong_t v_start, v_end;
	xen_ulong_t max_mfn;
};

/* What add_to_physmap maps at gpfn. */
#define XENMAPSPACE_shared_info		0
#define XENMAPSPACE_grant_table		1	/* idx = grant frame */
#define XENMAPSPACE_gmfn		2
#define XENMAPSPACE_gmfn_range		3
#define XENMAPSPACE_gmfn_foreign	4
#define XENMAPSPACE_dev_mmio		5

/* In idx for XENMAPSPACE_grant_table: a v2 status frame. */
#define XENMAPIDX_grant_table_status	0x80000000

struct xen_add_to_physmap {
	domid_t domid;
	uint16_t size;		/* pages, for XENMAPSPACE_gmfn_range */
	uint32_t space;		/* XENMAPSPACE_* */
	xen_ulong_t idx;
	xen_pfn_t gpfn;
};

struct xen_add_to_physmap_batch {
	domid_t domid;
	uint16_t space;
	uint16_t size;
	union xen_add_to_physmap_batch_extra {
		domid_t foreign_domid;	/* XENMAPSPACE_gmfn_foreign */
		uint16_t res0;		/* must be 0 otherwise */
	} u;
	XEN_GUEST_HANDLE(xen_ulong_t) idxs;
	XEN_GUEST_HANDLE(xen_pfn_t) gpfns;
	XEN_GUEST_HANDLE(int) errs;
};

struct xen_remove_from_physmap {
	domid_t domid;
	xen_pfn_t gpfn;
};

/* One memory map entry, in the BIOS e820 format (20 bytes, packed). */
struct e820entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;		/* E820_* */
} __attribute__((__packed__));

#define E820_RAM	1
#define E820_RESERVED	2
#define E820_ACPI	3
#define E820_NVS	4
#define E820_UNUSABLE	5

/*
 * The guest's memory map, as an array of e820 entries.  nr_entries is
 * the buffer capacity on input and the number written on output.
 */
struct xen_memory_map {
	uint32_t nr_entries;
	XEN_GUEST_HANDLE(struct e820entry) buffer;
};

/* set_memory_map: the toolstack sets another domain's map. */
struct xen_foreign_memory_map {
	domid_t domid;
	struct xen_memory_map map;
};

struct xen_pod_target {
	uint64_t target_pages;
	uint64_t tot_pages;
	uint64_t pod_cache_pages;
	uint64_t pod_entries;
	domid_t domid;
};

/* Map frames of a resource (e.g. another domain's grant table). */
struct xen_mem_acquire_resource {
	domid_t domid;
	uint16_t type;		/* XENMEM_resource_* */
	uint32_t id;
	uint32_t nr_frames;
	uint32_t pad;
	uint64_t frame;
	XEN_GUEST_HANDLE(xen_pfn_t) frame_list;
};

#define XENMEM_resource_ioreq_server		0
#define XENMEM_resource_grant_table		1
#define XENMEM_resource_vmtrace_buf		2
#define XENMEM_resource_grant_table_id_shared	0
#define XENMEM_resource_grant_table_id_status	1
#define XENMEM_resource_ioreq_server_frame_bufioreq	0
#define XENMEM_resource_ioreq_server_frame_ioreq(n)	(1 + (n))

/* Virtual NUMA topology (get_vnumainfo). */
struct xen_vmemrange {
	uint64_t start, end;
	uint32_t flags;
	uint32_t nid;
};

struct xen_vnuma_topology_info {
	domid_t domid;
	uint16_t pad;
	uint32_t nr_vnodes;
	uint32_t nr_vcpus;
	uint32_t nr_vmemranges;
	union {
		XEN_GUEST_HANDLE(unsigned int) h;
		uint64_t pad;
	} vdistance;
	union {
		XEN_GUEST_HANDLE(unsigned int) h;
		uint64_t pad;
	} vcpu_to_vnode;
	union {
		XEN_GUEST_HANDLE(struct xen_vmemrange) h;
		uint64_t pad;
	} vmemrange;
};

#endif /* PVABI_MEMORY_H */
