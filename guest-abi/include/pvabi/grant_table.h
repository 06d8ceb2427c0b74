/* SPDX-License-Identifier: MIT */
/*
 * grant_table_op (hypercall 20) and the grant table itself: how a domain
 * lets another map or copy one of its pages.  The granting domain writes
 * entries in its table (shared memory); the grantee names them by
 * (domid, grant_ref_t) in map and copy operations.
 */
#ifndef PVABI_GRANT_TABLE_H
#define PVABI_GRANT_TABLE_H

#include "xen.h"

/*
 * Version 1 entry, 8 bytes.  The granter fills domid and frame, then
 * sets flags last (after a write barrier); the hypervisor sets the
 * GTF_reading/GTF_writing bits while the page is in use, so a granter
 * must not reuse the entry until they are clear.
 */
struct grant_entry_v1 {
	uint16_t flags;		/* GTF_* */
	domid_t domid;		/* who may use the grant */
	uint32_t frame;		/* frame shared, or frame to transfer into */
};

/* Entries the toolstack fills in before the guest boots. */
#define GNTTAB_NR_RESERVED_ENTRIES	8
#define GNTTAB_RESERVED_CONSOLE		0
#define GNTTAB_RESERVED_XENSTORE	1

/* Entry type, in flags bits 0-1. */
#define GTF_invalid		(0U << 0)
#define GTF_permit_access	(1U << 0)
#define GTF_accept_transfer	(2U << 0)
#define GTF_transitive		(3U << 0)
#define GTF_type_mask		(3U << 0)

/* Flags of GTF_permit_access entries. */
#define _GTF_readonly		2
#define GTF_readonly		(1U << _GTF_readonly)
#define _GTF_reading		3
#define GTF_reading		(1U << _GTF_reading)	/* set by hypervisor */
#define _GTF_writing		4
#define GTF_writing		(1U << _GTF_writing)	/* set by hypervisor */
#define _GTF_PWT		5
#define GTF_PWT			(1U << _GTF_PWT)
#define _GTF_PCD		6
#define GTF_PCD			(1U << _GTF_PCD)
#define _GTF_PAT		7
#define GTF_PAT			(1U << _GTF_PAT)
#define _GTF_sub_page		8
#define GTF_sub_page		(1U << _GTF_sub_page)

/* Flags of GTF_accept_transfer entries. */
#define _GTF_transfer_committed	2
#define GTF_transfer_committed	(1U << _GTF_transfer_committed)
#define _GTF_transfer_completed	3
#define GTF_transfer_completed	(1U << _GTF_transfer_completed)

/*
 * Version 2 entries, 16 bytes, with a 64-bit frame and sub-page and
 * transitive grants.  In v2 the in-use bits move to a separate status
 * array of grant_status_t.
 */
struct grant_entry_header {
	uint16_t flags;
	domid_t domid;
};

union grant_entry_v2 {
	struct grant_entry_header hdr;
	struct {
		struct grant_entry_header hdr;
		uint32_t pad0;
		uint64_t frame;
	} full_page;
	struct {
		struct grant_entry_header hdr;
		uint16_t page_off;
		uint16_t length;
		uint64_t frame;
	} sub_page;
	struct {
		struct grant_entry_header hdr;
		domid_t trans_domid;
		uint16_t pad0;
		grant_ref_t gref;
	} transitive;
	uint32_t __spacer[4];
};

typedef uint16_t grant_status_t;

#define GNTTABOP_map_grant_ref		0
#define GNTTABOP_unmap_grant_ref	1
#define GNTTABOP_setup_table		2
#define GNTTABOP_dump_table		3
#define GNTTABOP_transfer		4
#define GNTTABOP_copy			5
#define GNTTABOP_query_size		6
#define GNTTABOP_unmap_and_replace	7
#define GNTTABOP_set_version		8
#define GNTTABOP_get_status_frames	9
#define GNTTABOP_get_version		10
#define GNTTABOP_swap_grant_ref		11
#define GNTTABOP_cache_flush		12

/* Names one mapping, so it can be unmapped. */
typedef uint32_t grant_handle_t;

/*
 * Map a foreign grant.  With GNTMAP_host_map, host_addr is a virtual
 * address (or, with GNTMAP_contains_pte, the machine address of the PTE).
 */
struct gnttab_map_grant_ref {
	uint64_t host_addr;
	uint32_t flags;		/* GNTMAP_* */
	grant_ref_t ref;
	domid_t dom;
	int16_t status;		/* out: GNTST_* */
	grant_handle_t handle;	/* out */
	uint64_t dev_bus_addr;	/* out */
};

struct gnttab_unmap_grant_ref {
	uint64_t host_addr;
	uint64_t dev_bus_addr;
	grant_handle_t handle;
	int16_t status;		/* out: GNTST_* */
};

/* Ask for nr_frames frames of the caller's own table. */
struct gnttab_setup_table {
	domid_t dom;
	uint32_t nr_frames;
	int16_t status;		/* out: GNTST_* */
	XEN_GUEST_HANDLE(xen_pfn_t) frame_list;	/* out */
};

struct gnttab_dump_table {
	domid_t dom;
	int16_t status;
};

/* Give away page mfn to the domain that offered ref (netback rx flip). */
struct gnttab_transfer {
	xen_pfn_t mfn;
	domid_t domid;
	grant_ref_t ref;
	int16_t status;
};

/* gnttab_copy.flags: which side is named by a grant, not by a frame. */
#define _GNTCOPY_source_gref	0
#define GNTCOPY_source_gref	(1 << _GNTCOPY_source_gref)
#define _GNTCOPY_dest_gref	1
#define GNTCOPY_dest_gref	(1 << _GNTCOPY_dest_gref)

/* Hypervisor-side copy; neither range may cross a page boundary. */
struct gnttab_copy {
	struct gnttab_copy_ptr {
		union {
			grant_ref_t ref;
			xen_pfn_t gmfn;
		} u;
		domid_t domid;
		uint16_t offset;
	} source, dest;
	uint16_t len;
	uint16_t flags;		/* GNTCOPY_* */
	int16_t status;		/* out: GNTST_* */
};

struct gnttab_query_size {
	domid_t dom;
	uint32_t nr_frames;	/* out */
	uint32_t max_nr_frames;	/* out */
	int16_t status;		/* out: GNTST_* */
};

struct gnttab_unmap_and_replace {
	uint64_t host_addr;
	uint64_t new_addr;
	grant_handle_t handle;
	int16_t status;
};

struct gnttab_set_version {
	uint32_t version;	/* in: wanted, out: in force */
};

struct gnttab_get_status_frames {
	uint32_t nr_frames;
	domid_t dom;
	int16_t status;
	XEN_GUEST_HANDLE(uint64_t) frame_list;
};

struct gnttab_get_version {
	domid_t dom;
	uint16_t pad;
	uint32_t version;	/* out */
};

struct gnttab_swap_grant_ref {
	grant_ref_t ref_a;
	grant_ref_t ref_b;
	int16_t status;
};

#define GNTTAB_CACHE_CLEAN		(1u << 0)
#define GNTTAB_CACHE_INVAL		(1u << 1)
#define GNTTAB_CACHE_SOURCE_GREF	(1u << 31)

struct gnttab_cache_flush {
	union {
		uint64_t dev_bus_addr;
		grant_ref_t ref;
	} a;
	uint16_t offset;
	uint16_t length;
	uint32_t op;		/* GNTTAB_CACHE_* */
};

/* gnttab_map_grant_ref.flags */
#define _GNTMAP_device_map	0
#define GNTMAP_device_map	(1 << _GNTMAP_device_map)
#define _GNTMAP_host_map	1
#define GNTMAP_host_map		(1 << _GNTMAP_host_map)
#define _GNTMAP_readonly	2
#define GNTMAP_readonly		(1 << _GNTMAP_readonly)
#define _GNTMAP_application_map	3	/* user-accessible mapping */
#define GNTMAP_application_map	(1 << _GNTMAP_application_map)
#define _GNTMAP_contains_pte	4	/* host_addr is a PTE address */
#define GNTMAP_contains_pte	(1 << _GNTMAP_contains_pte)
/* Bits the guest may keep for itself in the PTE (XENFEAT_gnttab_map_avail_bits). */
#define _GNTMAP_guest_avail0	16
#define GNTMAP_guest_avail_mask	((uint32_t)~0 << _GNTMAP_guest_avail0)

/* Per-operation status codes (the hypercall itself returns 0 or -errno). */
#define GNTST_okay		(0)
#define GNTST_general_error	(-1)
#define GNTST_bad_domain	(-2)
#define GNTST_bad_gntref	(-3)
#define GNTST_bad_handle	(-4)
#define GNTST_bad_virt_addr	(-5)
#define GNTST_bad_dev_addr	(-6)
#define GNTST_no_device_space	(-7)
#define GNTST_permission_denied	(-8)
#define GNTST_bad_page		(-9)
#define GNTST_bad_copy_arg	(-10)
#define GNTST_address_too_big	(-11)
#define GNTST_eagain		(-12)
#define GNTST_no_space		(-13)

/* Messages indexed by -GNTST_*, for logs that match Xen's wording. */
#define GNTTABOP_error_msgs {				\
	"okay",						\
	"undefined error",				\
	"unrecognised domain id",			\
	"invalid grant reference",			\
	"invalid mapping handle",			\
	"invalid virtual address",			\
	"invalid device address",			\
	"no spare translation slot in the I/O MMU",	\
	"permission denied",				\
	"bad page",					\
	"copy arguments cross page boundary",		\
	"page address size too large",			\
	"operation not done; try again",		\
	"out of space",					\
}

#endif /* PVABI_GRANT_TABLE_H */
