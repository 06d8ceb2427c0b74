/* SPDX-License-Identifier: MIT */
/*
 * A domain with a grant table but no VM, for the grant unit tests: RAM is
 * a memfd (so dom0-side code can open it, as a service would), page
 * tables are built in it with the fake_mem helpers, the hypervisor region
 * is real (hv_region_init) and the grant table is made by the real
 * gnttab_domain_init(), with a grant-map window of GF_MAP_SLOTS and its
 * table registered for maps. One vCPU in guest kernel mode issues
 * hypercalls. A second fixture with another id is a peer domain whose
 * grants the first one maps or copies.
 */
#ifndef TESTS_UNIT_GNT_FIXTURE_H
#define TESTS_UNIT_GNT_FIXTURE_H

#include <sys/mman.h>
#include <unistd.h>

#include "fake_mem.h"
#include "pvisor/domain.h"
#include "pvisor/gnttab_map.h"
#include "pvisor/gnttab_peer.h"
#include "pvisor/grant_table.h"
#include "pvisor/hypercall.h"
#include "pvisor/layout.h"

#define GF_DOMID	3
#define GF_RAM_PAGES	1024ull
#define GF_HV_PAGES	256
#define GF_MAP_SLOTS	8	/* grant-map window: small, to fill it */
#define GF_OPS_VA	0x400000ull	/* 4 pages of argument space */
#define GF_OPS_PA	0x10000ull
#define GF_RO_VA	0x500000ull	/* a read-only page */
#define GF_RO_PA	0x14000ull

struct gnt_fix {
	struct fake_mem fm;
	struct domain d;
	struct vcpu v;
	uint64_t cr3;
};

/* gnt_fix_init() for a domain of another id (a peer of the first). */
static inline int gnt_fix_init_id(struct gnt_fix *f, domid_t id)
{
	size_t size = GF_RAM_PAGES * PAGE_SIZE;

	memset(f, 0, sizeof(*f));
	f->d.ram_fd = memfd_create("test-ram", MFD_CLOEXEC);
	if (f->d.ram_fd < 0 || ftruncate(f->d.ram_fd, (off_t)size))
		return -1;
	f->fm.gm.ram = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			    f->d.ram_fd, 0);
	if (f->fm.gm.ram == MAP_FAILED)
		return -1;
	f->fm.gm.nr_pages = GF_RAM_PAGES;
	f->fm.gm.reserved_va_start = FM_RESERVED_START;
	f->fm.gm.reserved_va_end = FM_RESERVED_END;
	f->fm.next_table_pfn = GF_RAM_PAGES;

	f->d.id = id;
	if (hv_region_init(&f->d.hv, GF_HV_PAGES))
		return -1;
	f->d.mem = f->fm.gm;
	f->d.mem.hv = f->d.hv.base;
	f->d.mem.hv_base_pfn = HV_GPA_BASE >> PAGE_SHIFT;
	f->d.mem.hv_nr_pages = f->d.hv.nr_pages;
	f->d.mem.hv_access = f->d.hv.access;
	if (gnttab_domain_init(&f->d) ||
	    gnttab_map_domain_init(&f->d, GF_MAP_SLOTS) ||
	    gnttab_peer_register(&f->d))
		return -1;

	f->cr3 = fm_alloc_table(&f->fm);
	fm_map_range(&f->fm, f->cr3, GF_OPS_VA, GF_OPS_PA, 4, FM_LEAF_RW);
	fm_map(&f->fm, f->cr3, GF_RO_VA, GF_RO_PA, FM_LEAF_RO);
	f->v.d = &f->d;
	f->v.pv.mem = &f->d.mem;
	f->v.pv.in_kernel = true;
	f->v.pv.kernel_cr3 = f->cr3;
	return 0;
}

static inline int gnt_fix_init(struct gnt_fix *f)
{
	return gnt_fix_init_id(f, GF_DOMID);
}

static inline void gnt_fix_fini(struct gnt_fix *f)
{
	gnttab_peer_unregister(&f->d);
	gnttab_map_domain_fini(&f->d);
	gnttab_domain_fini(&f->d);
	hv_region_fini(&f->d.hv);
	munmap(f->fm.gm.ram, GF_RAM_PAGES * PAGE_SIZE);
	close(f->d.ram_fd);
}

/* Host pointer to guest-physical pa (RAM). */
static inline void *gf_ram(struct gnt_fix *f, uint64_t pa)
{
	return f->fm.gm.ram + pa;
}

/* The argument area: what the guest passes by pointer. */
static inline void *gf_ops(struct gnt_fix *f)
{
	return gf_ram(f, GF_OPS_PA);
}

static inline struct grant_entry_v1 *gf_entry(struct gnt_fix *f,
					      grant_ref_t ref)
{
	return (struct grant_entry_v1 *)f->d.gnttab->shm.shared + ref;
}

/* What the guest does to grant and revoke (Linux's v1 protocol). */
static inline void gf_grant(struct gnt_fix *f, grant_ref_t ref,
			    domid_t dom, uint32_t frame, uint16_t flags)
{
	struct grant_entry_v1 *e = gf_entry(f, ref);

	e->domid = dom;
	e->frame = frame;
	__atomic_store_n(&e->flags, (uint16_t)(GTF_permit_access | flags),
			 __ATOMIC_RELEASE);
}

static inline bool gf_revoke(struct gnt_fix *f, grant_ref_t ref)
{
	uint16_t *p = &gf_entry(f, ref)->flags;
	uint16_t flags = __atomic_load_n(p, __ATOMIC_ACQUIRE);

	do {
		if (flags & (GTF_reading | GTF_writing))
			return false;
	} while (!__atomic_compare_exchange_n(p, &flags, 0, false,
					      __ATOMIC_SEQ_CST,
					      __ATOMIC_SEQ_CST));
	return true;
}

static inline uint16_t gf_flags(struct gnt_fix *f, grant_ref_t ref)
{
	return __atomic_load_n(&gf_entry(f, ref)->flags, __ATOMIC_ACQUIRE);
}

/* grant_table_op(cmd, uop, count) from the fixture's vCPU. */
static inline long gf_op(struct gnt_fix *f, uint64_t cmd, uint64_t uop,
			 uint64_t count)
{
	const uint64_t a[6] = { cmd, uop, count };

	return do_grant_table_op(&f->v, a);
}

#endif
