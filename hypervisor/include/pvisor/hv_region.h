/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_HV_REGION_H
#define PVISOR_HV_REGION_H

#include <stdint.h>

#include "pvisor/layout.h"

/*
 * The hypervisor-owned frames of one domain: a memfd mapped both here and
 * into the VM at HV_GPA_BASE. Frames are handed out once, zeroed, and
 * live as long as the domain. It also owns the page tables behind the
 * hypervisor's L4 slots, which every guest L4 points at.
 */
struct hv_region {
	int fd;
	uint8_t *base;
	uint64_t nr_pages;
	uint64_t next_free;		/* page index */
	uint8_t *access;		/* per page: HV_ACCESS_* for the guest */
};

int hv_region_init(struct hv_region *r, uint64_t nr_pages);
void hv_region_fini(struct hv_region *r);

static inline uint64_t hv_pfn(const struct hv_region *r, uint64_t idx)
{
	return (HV_GPA_BASE >> 12) + idx;
}

static inline void *hv_page(const struct hv_region *r, uint64_t idx)
{
	return r->base + (idx << 12);
}

/* Allocate n zeroed frames; returns the first page index or -ENOMEM. */
int64_t hv_alloc(struct hv_region *r, unsigned int n);

/*
 * Map va -> gpa in the tables below the L3 at page index l3, allocating
 * intermediate tables. flags are the leaf PTE's; tables get P|RW|US.
 */
int hv_map(struct hv_region *r, uint64_t l3, uint64_t va, uint64_t gpa,
	   uint64_t flags);
/* The same with a 2 MiB leaf (va and gpa 2 MiB aligned). */
int hv_map_2m(struct hv_region *r, uint64_t l3, uint64_t va, uint64_t gpa,
	      uint64_t flags);

#endif
