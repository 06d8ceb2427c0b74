/* SPDX-License-Identifier: MIT */
/*
 * Grant maps into a domU (core/gnttab_map.c, core/gnttab_peer.c,
 * arch/x86/pv/grant_pte.c) through grant_table_op, without a VM: handles,
 * statuses, pins, frame references, the window slots and the PTEs.
 * The fixture domain maps its own grants by its numeric id, as Xen
 * allows; the peer registry is the same path a foreign map takes.
 * GNTTABOP_copy through another domain's grants (a second fixture
 * domain, registered as a peer) is tested here too.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gnt_fixture.h"
#include "pvisor/page_type.h"
#include "pvisor/pv_mm.h"

#define OPS		GF_OPS_VA
#define PG(n)		(0x20 + (n))	/* data frames */
#define MAP_VA		0x600000ull	/* an L1 with nothing mapped */
#define MAP_VA2		0x601000ull	/* same L1: a read-only data page */
#define PT_FRAME	0x40		/* a frame the tests make an L1 */
#define PEER		(GF_DOMID + 1)	/* the second domain, for copies */
#define S		DOMID_SELF
#define SG		GNTCOPY_source_gref
#define DG		GNTCOPY_dest_gref

struct mfix {
	struct gnt_fix g;
	struct gnt_fix *peer;		/* the granter of the copy tests */
	struct pv_page pages[GF_RAM_PAGES];
	uint8_t absent[GF_RAM_PAGES];
	uint64_t ptw[PTW_MAX_WRITES];
};

/*
 * Page types on top of the grant fixture, as pv_mm_init would set them
 * up, with every table under cr3 validated (pinned L4), the vCPU as the
 * domain's only one (so flushes are visible) and a writer list.
 */
static int setup(void **state)
{
	struct mfix *m = calloc(1, sizeof(*m));
	struct gnt_fix *f;

	if (!m || gnt_fix_init(&m->g))
		return -1;
	f = &m->g;
	fm_map(&f->fm, f->cr3, MAP_VA, 0, 0);
	fm_map(&f->fm, f->cr3, MAP_VA2, (uint64_t)PG(5) << PAGE_SHIFT,
	       FM_LEAF_RO);
	pthread_mutex_init(&f->d.mm_lock, NULL);
	pt_mm_init(&f->d.mm, &f->d.mem, m->pages, m->absent, GF_RAM_PAGES);
	f->d.mm.frames = &f->d.gnttab->shm.frames;
	if (pt_pin(&f->d.mm, NULL, f->cr3 >> PAGE_SHIFT, 4))
		return -1;
	f->d.nr_vcpus = 1;
	f->d.vcpus[0] = &f->v;
	f->v.ptw_list = m->ptw;
	*state = m;
	return 0;
}

/* And a second domain, PEER, whose grants the first one copies. */
static int setup_peer(void **state)
{
	struct mfix *m;

	if (setup(state))
		return -1;
	m = *state;
	m->peer = calloc(1, sizeof(*m->peer));
	return m->peer && !gnt_fix_init_id(m->peer, PEER) ? 0 : -1;
}

static int teardown(void **state)
{
	struct mfix *m = *state;

	if (m->peer) {
		gnt_fix_fini(m->peer);
		free(m->peer);
	}
	gnt_fix_fini(&m->g);
	pthread_mutex_destroy(&m->g.d.mm_lock);
	free(m);
	return 0;
}

/* The L1 entry for va under the fixture's tables (they exist). */
static uint64_t *pte_of(struct gnt_fix *f, uint64_t va)
{
	uint64_t table = f->cr3;

	for (int l = 4; l > 1; l--)
		table = fm_table(&f->fm, table)[(va >> (12 + 9 * (l - 1))) &
						 511] & PTE_ADDR_MASK;
	return &fm_table(&f->fm, table)[(va >> 12) & 511];
}

static uint64_t pte_gpa(struct gnt_fix *f, uint64_t va)
{
	return (uint64_t)((uint8_t *)pte_of(f, va) - f->fm.gm.ram);
}

static struct gnttab_map_grant_ref *mapop(struct gnt_fix *f, unsigned int i)
{
	return (struct gnttab_map_grant_ref *)gf_ops(f) + i;
}

/* One map from the fixture's vCPU; returns its status. */
static int16_t map1(struct gnt_fix *f, domid_t dom, grant_ref_t ref,
		    uint32_t flags, uint64_t host_addr, uint32_t *handle)
{
	struct gnttab_map_grant_ref *op = mapop(f, 0);

	*op = (struct gnttab_map_grant_ref){ .host_addr = host_addr,
					     .flags = flags, .ref = ref,
					     .dom = dom, .handle = 0xdead };
	assert_int_equal(gf_op(f, GNTTABOP_map_grant_ref, OPS, 1), 0);
	if (handle)
		*handle = op->handle;
	return op->status;
}

static int16_t unmap1(struct gnt_fix *f, uint32_t handle, uint64_t host_addr,
		      uint64_t dev_bus_addr)
{
	struct gnttab_unmap_grant_ref *op = gf_ops(f);

	*op = (struct gnttab_unmap_grant_ref){ .host_addr = host_addr,
					       .dev_bus_addr = dev_bus_addr,
					       .handle = handle };
	assert_int_equal(gf_op(f, GNTTABOP_unmap_grant_ref, OPS, 1), 0);
	return op->status;
}

static uint64_t slot_maddr(struct gnt_fix *f, uint32_t h)
{
	return gnttab_map_slot_mfn(&f->d, h) << PAGE_SHIFT;
}

static uint8_t *slot_page(struct gnt_fix *f, uint32_t h)
{
	return hv_page(&f->d.hv, f->d.maptrack->hv_idx + h);
}

static void pins(struct gnt_fix *f, grant_ref_t ref, unsigned int rd,
		 unsigned int wr)
{
	unsigned int r, w;

	gnttab_pins(&f->d.gnttab->shm, ref, &r, &w);
	assert_int_equal(r, rd);
	assert_int_equal(w, wr);
}

static uint32_t writers(struct gnt_fix *f, uint64_t mfn)
{
	return frame_writers(&f->d.gnttab->shm.frames, mfn);
}

/* ---- device maps: bookkeeping without PTEs ------------------------------ */

static void test_device_map_rw(void **state)
{
	struct gnt_fix *f = &((struct mfix *)*state)->g;
	uint8_t *ram = gf_ram(f, (uint64_t)PG(0) << PAGE_SHIFT);
	uint32_t h;

	gf_grant(f, 10, GF_DOMID, PG(0), 0);
	assert_int_equal(map1(f, GF_DOMID, 10, GNTMAP_device_map, 0, &h),
			 GNTST_okay);
	assert_int_equal(h, 0);
	assert_int_equal(mapop(f, 0)->dev_bus_addr, slot_maddr(f, 0));
	pins(f, 10, 0, 1);
	assert_int_equal(writers(f, PG(0)), 1);
	assert_int_equal(gf_flags(f, 10),
			 GTF_permit_access | GTF_reading | GTF_writing);
	/* The slot is the granted page, both ways. */
	ram[5] = 0x5a;
	assert_int_equal(slot_page(f, 0)[5], 0x5a);
	slot_page(f, 0)[6] = 0xa5;
	assert_int_equal(ram[6], 0xa5);

	/* A bus address that is not the map's; then the right one. */
	assert_int_equal(unmap1(f, h, 0, slot_maddr(f, 1)), GNTST_bad_dev_addr);
	pins(f, 10, 0, 1);
	/* Nothing named (no host_addr, no dev_bus_addr): nothing done. */
	assert_int_equal(unmap1(f, h, 0, 0), GNTST_okay);
	pins(f, 10, 0, 1);
	assert_int_equal(unmap1(f, h, 0, slot_maddr(f, 0)), GNTST_okay);
	pins(f, 10, 0, 0);
	assert_int_equal(writers(f, PG(0)), 0);
	assert_int_equal(gf_flags(f, 10), GTF_permit_access);
	assert_true(gf_revoke(f, 10));
	/* The slot is its own zero page again. */
	ram[7] = 0x77;
	assert_int_equal(slot_page(f, 0)[7], 0);
	/* Double unmap. */
	assert_int_equal(unmap1(f, h, 0, slot_maddr(f, 0)), GNTST_bad_handle);
}

static void test_readonly(void **state)
{
	struct gnt_fix *f = &((struct mfix *)*state)->g;
	uint32_t h;

	gf_grant(f, 11, GF_DOMID, PG(1), GTF_readonly);
	/* Granted read-only, mapped writable: Xen's general_error. */
	assert_int_equal(map1(f, GF_DOMID, 11, GNTMAP_device_map, 0, &h),
			 GNTST_general_error);
	assert_int_equal(h, 0xdead);	/* the record comes back as it was */
	assert_int_equal(gf_flags(f, 11), GTF_permit_access | GTF_readonly);
	assert_int_equal(map1(f, GF_DOMID, 11,
			      GNTMAP_device_map | GNTMAP_readonly, 0, &h),
			 GNTST_okay);
	pins(f, 11, 1, 0);
	assert_int_equal(writers(f, PG(1)), 0);	/* reads take none */
	assert_int_equal(gf_flags(f, 11),
			 GTF_permit_access | GTF_readonly | GTF_reading);
	assert_int_equal(unmap1(f, h, 0, slot_maddr(f, h)), GNTST_okay);
	pins(f, 11, 0, 0);
	assert_int_equal(gf_flags(f, 11), GTF_permit_access | GTF_readonly);
}

static void test_map_errors(void **state)
{
	struct gnt_fix *f = &((struct mfix *)*state)->g;

	gf_grant(f, 12, GF_DOMID, PG(2), 0);
	assert_int_equal(map1(f, GF_DOMID, 12, GNTMAP_readonly, 0, NULL),
			 GNTST_bad_gntref);		/* no host or device */
	assert_int_equal(map1(f, DOMID_SELF, 12, GNTMAP_device_map, 0, NULL),
			 GNTST_bad_domain);		/* numeric ids only */
	assert_int_equal(map1(f, 77, 12, GNTMAP_device_map, 0, NULL),
			 GNTST_bad_domain);
	assert_int_equal(map1(f, GF_DOMID, 512, GNTMAP_device_map, 0, NULL),
			 GNTST_bad_gntref);		/* beyond nr_frames */
	assert_int_equal(map1(f, GF_DOMID, 13, GNTMAP_device_map, 0, NULL),
			 GNTST_general_error);		/* not granted */
	gf_grant(f, 14, GF_DOMID + 1, PG(2), 0);
	assert_int_equal(map1(f, GF_DOMID, 14, GNTMAP_device_map, 0, NULL),
			 GNTST_general_error);		/* granted to another */
	gf_grant(f, 15, GF_DOMID, GF_RAM_PAGES, 0);
	assert_int_equal(map1(f, GF_DOMID, 15, GNTMAP_device_map, 0, NULL),
			 GNTST_bad_page);		/* not a RAM frame */
	assert_int_equal(gf_flags(f, 15), GTF_permit_access);
	/* None of these took a handle: the next map gets slot 0. */
	assert_int_equal(f->d.maptrack->in_use, 0);
	/* Unmap of handles never given. */
	assert_int_equal(unmap1(f, 0, 0, slot_maddr(f, 0)), GNTST_bad_handle);
	assert_int_equal(unmap1(f, GF_MAP_SLOTS, 0, 1), GNTST_bad_handle);
	assert_int_equal(unmap1(f, 0xffffffff, 0, 1), GNTST_bad_handle);
	/* The op array itself must be guest memory. */
	assert_int_equal(gf_op(f, GNTTABOP_map_grant_ref, FM_RESERVED_START, 1),
			 -EFAULT);
	assert_int_equal(gf_op(f, GNTTABOP_unmap_grant_ref, 0x1000, 1),
			 -EFAULT);
}

static void test_handles_exhausted(void **state)
{
	struct gnt_fix *f = &((struct mfix *)*state)->g;
	struct gnttab_map_grant_ref *op = mapop(f, 0);
	uint32_t seen = 0;

	gf_grant(f, 16, GF_DOMID, PG(3), 0);
	/* One batch of GF_MAP_SLOTS + 1 maps of the same grant. */
	for (unsigned int i = 0; i <= GF_MAP_SLOTS; i++)
		op[i] = (struct gnttab_map_grant_ref){
			.flags = GNTMAP_device_map | GNTMAP_readonly,
			.ref = 16, .dom = GF_DOMID };
	assert_int_equal(gf_op(f, GNTTABOP_map_grant_ref, OPS,
			       GF_MAP_SLOTS + 1), 0);
	for (unsigned int i = 0; i < GF_MAP_SLOTS; i++) {
		assert_int_equal(op[i].status, GNTST_okay);
		assert_true(op[i].handle < GF_MAP_SLOTS);
		assert_false(seen & (1u << op[i].handle));
		seen |= 1u << op[i].handle;
	}
	/* Xen: no maptrack handle left is GNTST_no_space. */
	assert_int_equal(op[GF_MAP_SLOTS].status, GNTST_no_space);
	pins(f, 16, GF_MAP_SLOTS, 0);
	/* Free one: the next map gets it. */
	assert_int_equal(unmap1(f, 3, 0, slot_maddr(f, 3)), GNTST_okay);
	assert_int_equal(map1(f, GF_DOMID, 16,
			      GNTMAP_device_map | GNTMAP_readonly, 0, &seen),
			 GNTST_okay);
	assert_int_equal(seen, 3);
	/* Mapper death: every pin goes. */
	gnttab_map_domain_fini(&f->d);
	pins(f, 16, 0, 0);
	assert_int_equal(gf_flags(f, 16), GTF_permit_access);
}

/*
 * A writable map of a frame typed as a page table is refused (Xen's
 * get_page_type(PGT_writable_page) fails: general_error), a read-only
 * one is not, and while a writable map exists the frame cannot become a
 * table.
 */
static void test_page_table_frame(void **state)
{
	struct gnt_fix *f = &((struct mfix *)*state)->g;
	struct pv_mm *mm = &f->d.mm;
	uint32_t h;

	assert_int_equal(pt_pin(mm, NULL, PT_FRAME, 1), 0);
	gf_grant(f, 17, GF_DOMID, PT_FRAME, 0);
	assert_int_equal(map1(f, GF_DOMID, 17, GNTMAP_host_map, MAP_VA, NULL),
			 GNTST_general_error);
	assert_int_equal(map1(f, GF_DOMID, 17, GNTMAP_device_map, 0, NULL),
			 GNTST_general_error);
	pins(f, 17, 0, 0);
	assert_int_equal(gf_flags(f, 17), GTF_permit_access);
	assert_int_equal(*pte_of(f, MAP_VA), 0);
	assert_int_equal(map1(f, GF_DOMID, 17,
			      GNTMAP_host_map | GNTMAP_readonly, MAP_VA, &h),
			 GNTST_okay);
	assert_int_equal(unmap1(f, h, MAP_VA, 0), GNTST_okay);
	assert_int_equal(pt_unpin(mm, PT_FRAME), 0);

	/* Mapped writable first: pinning it as a table fails. */
	assert_int_equal(map1(f, GF_DOMID, 17, GNTMAP_device_map, 0, &h),
			 GNTST_okay);
	assert_int_not_equal(pt_pin(mm, NULL, PT_FRAME, 1), 0);
	assert_int_equal(unmap1(f, h, 0, slot_maddr(f, h)), GNTST_okay);
	assert_int_equal(pt_pin(mm, NULL, PT_FRAME, 1), 0);
	assert_int_equal(pt_unpin(mm, PT_FRAME), 0);
}

/* ---- host maps: the PTE ------------------------------------------------- */

static void test_host_map_linear(void **state)
{
	struct gnt_fix *f = &((struct mfix *)*state)->g;
	uint64_t want;
	uint32_t h, h2;

	gf_grant(f, 20, GF_DOMID, PG(4), 0);
	assert_int_equal(map1(f, GF_DOMID, 20, GNTMAP_host_map, MAP_VA, &h),
			 GNTST_okay);
	/* Present, writable, NX, A/D; the kernel's, so USER + bit 52. */
	want = slot_maddr(f, h) | _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED |
	       _PAGE_DIRTY | _PAGE_NX | _PAGE_USER | _PAGE_GUEST_KERNEL;
	assert_int_equal(*pte_of(f, MAP_VA), want);
	assert_int_equal(mapop(f, 0)->dev_bus_addr, slot_maddr(f, h));
	pins(f, 20, 0, 1);
	assert_int_equal(writers(f, PG(4)), 1);

	/* The guest cannot map a window frame itself. */
	assert_int_not_equal(pt_mod_entry(&f->d.mm, NULL, pte_gpa(f, MAP_VA2),
					  slot_maddr(f, h) | FM_LEAF_RO, 1,
					  false), 0);
	assert_int_not_equal(pt_mod_entry(&f->d.mm, NULL, pte_gpa(f, MAP_VA2),
					  slot_maddr(f, 5) | FM_LEAF_RO, 1,
					  false), 0);

	/* Unmap at an address that does not map it: refused, kept. */
	f->v.pv.cpu.dirty = false;
	assert_int_equal(unmap1(f, h, MAP_VA2, 0), GNTST_general_error);
	assert_int_equal(unmap1(f, h, OPS, 0), GNTST_general_error);
	assert_int_equal(*pte_of(f, MAP_VA), want);
	pins(f, 20, 0, 1);
	assert_false(f->v.pv.cpu.dirty);
	assert_int_equal(unmap1(f, h, MAP_VA, 0), GNTST_okay);
	assert_int_equal(*pte_of(f, MAP_VA), 0);
	assert_true(f->v.pv.cpu.dirty);		/* the TLB flush */
	pins(f, 20, 0, 0);
	assert_int_equal(writers(f, PG(4)), 0);
	assert_int_equal(unmap1(f, h, MAP_VA, 0), GNTST_bad_handle);

	/* Read-only, user (application_map): the flags follow. */
	assert_int_equal(map1(f, GF_DOMID, 20,
			      GNTMAP_host_map | GNTMAP_readonly |
			      GNTMAP_application_map, MAP_VA, &h),
			 GNTST_okay);
	assert_int_equal(*pte_of(f, MAP_VA),
			 slot_maddr(f, h) | _PAGE_PRESENT | _PAGE_ACCESSED |
			 _PAGE_DIRTY | _PAGE_NX | _PAGE_USER);
	/* Host and device parts come off separately. */
	assert_int_equal(map1(f, GF_DOMID, 20,
			      GNTMAP_host_map | GNTMAP_device_map, MAP_VA2, &h2),
			 GNTST_okay);
	pins(f, 20, 1, 2);
	assert_int_equal(writers(f, PG(4)), 2);
	assert_int_equal(unmap1(f, h2, MAP_VA2, 0), GNTST_okay);
	pins(f, 20, 1, 1);
	assert_int_equal(*pte_of(f, MAP_VA2), 0);
	assert_int_equal(unmap1(f, h2, MAP_VA2, 0), GNTST_okay); /* no-op */
	assert_int_equal(unmap1(f, h2, 0, slot_maddr(f, h2)), GNTST_okay);
	pins(f, 20, 1, 0);
	assert_int_equal(unmap1(f, h2, 0, slot_maddr(f, h2)), GNTST_bad_handle);
	assert_int_equal(unmap1(f, h, MAP_VA, 0), GNTST_okay);
	pins(f, 20, 0, 0);
}

static void test_host_map_bad_addr(void **state)
{
	struct gnt_fix *f = &((struct mfix *)*state)->g;

	gf_grant(f, 21, GF_DOMID, PG(6), 0);
	/* The hypervisor's slots, an address without an L1, non-canonical. */
	assert_int_equal(map1(f, GF_DOMID, 21, GNTMAP_host_map,
			      FM_RESERVED_START, NULL), GNTST_general_error);
	assert_int_equal(map1(f, GF_DOMID, 21, GNTMAP_host_map,
			      0x40000000ull, NULL), GNTST_general_error);
	assert_int_equal(map1(f, GF_DOMID, 21, GNTMAP_host_map,
			      0x0000800000000000ull, NULL),
			 GNTST_general_error);
	/* contains_pte: misaligned, not an L1, beyond RAM. */
	assert_int_equal(map1(f, GF_DOMID, 21,
			      GNTMAP_host_map | GNTMAP_contains_pte,
			      pte_gpa(f, MAP_VA) + 4, NULL),
			 GNTST_general_error);
	assert_int_equal(map1(f, GF_DOMID, 21,
			      GNTMAP_host_map | GNTMAP_contains_pte,
			      (uint64_t)PG(7) << PAGE_SHIFT, NULL),
			 GNTST_general_error);
	assert_int_equal(map1(f, GF_DOMID, 21,
			      GNTMAP_host_map | GNTMAP_contains_pte,
			      GF_RAM_PAGES << PAGE_SHIFT, NULL),
			 GNTST_general_error);
	pins(f, 21, 0, 0);
	assert_int_equal(writers(f, PG(6)), 0);
	assert_int_equal(gf_flags(f, 21), GTF_permit_access);
	assert_int_equal(f->d.maptrack->in_use, 0);
}

static void test_contains_pte_and_replace(void **state)
{
	struct gnt_fix *f = &((struct mfix *)*state)->g;
	struct gnttab_unmap_and_replace *ur = gf_ops(f);
	uint64_t gpa = pte_gpa(f, MAP_VA), ro_pte = *pte_of(f, MAP_VA2);
	uint32_t h;

	gf_grant(f, 22, GF_DOMID, PG(8), 0);
	assert_int_equal(map1(f, GF_DOMID, 22,
			      GNTMAP_host_map | GNTMAP_contains_pte, gpa, &h),
			 GNTST_okay);
	assert_int_equal(*pte_of(f, MAP_VA) & PTE_ADDR_MASK, slot_maddr(f, h));
	/* No replace in the contains_pte mode. */
	*ur = (struct gnttab_unmap_and_replace){ .host_addr = gpa,
						 .new_addr = MAP_VA2,
						 .handle = h };
	assert_int_equal(gf_op(f, GNTTABOP_unmap_and_replace, OPS, 1), 0);
	assert_int_equal(ur->status, GNTST_general_error);
	assert_int_equal(*pte_of(f, MAP_VA2), ro_pte);
	assert_int_equal(unmap1(f, h, gpa, 0), GNTST_okay);
	assert_int_equal(*pte_of(f, MAP_VA), 0);

	/* Linear: new_addr's entry moves to host_addr, new_addr is cleared. */
	assert_int_equal(map1(f, GF_DOMID, 22, GNTMAP_host_map, MAP_VA, &h),
			 GNTST_okay);
	*ur = (struct gnttab_unmap_and_replace){ .host_addr = MAP_VA,
						 .new_addr = MAP_VA2,
						 .handle = h };
	assert_int_equal(gf_op(f, GNTTABOP_unmap_and_replace, OPS, 1), 0);
	assert_int_equal(ur->status, GNTST_okay);
	assert_int_equal(*pte_of(f, MAP_VA), ro_pte);
	assert_int_equal(*pte_of(f, MAP_VA2), 0);
	pins(f, 22, 0, 0);
	assert_int_equal(gf_flags(f, 22), GTF_permit_access);
	ur->handle = h;
	assert_int_equal(gf_op(f, GNTTABOP_unmap_and_replace, OPS, 1), 0);
	assert_int_equal(ur->status, GNTST_bad_handle);
	/* The moved entry's reference went with it: clear it normally. */
	assert_int_equal(pt_mod_entry(&f->d.mm, NULL, gpa, 0, 1, false), 0);
	assert_int_equal(f->d.mm.pages[PG(5)].count, 0);
}

/*
 * One unmap hypercall naming the two parts of a map separately (host,
 * then device): the slot is freed once both are done; and an array that
 * runs off guest memory still completes the unmaps before the fault.
 */
static void test_unmap_batch(void **state)
{
	struct gnt_fix *f = &((struct mfix *)*state)->g;
	struct gnttab_unmap_grant_ref *u = gf_ops(f);
	/* Two records that end exactly where the argument pages end. */
	uint64_t tail = GF_OPS_PA + 4 * PAGE_SIZE - 2 * sizeof(*u);
	struct gnttab_unmap_grant_ref *t = gf_ram(f, tail);
	uint32_t h, h2;

	gf_grant(f, 24, GF_DOMID, PG(10), 0);
	assert_int_equal(map1(f, GF_DOMID, 24,
			      GNTMAP_host_map | GNTMAP_device_map, MAP_VA, &h),
			 GNTST_okay);
	pins(f, 24, 0, 2);
	u[0] = (struct gnttab_unmap_grant_ref){ .host_addr = MAP_VA,
						.handle = h, .status = 99 };
	u[1] = (struct gnttab_unmap_grant_ref){
		.dev_bus_addr = slot_maddr(f, h), .handle = h, .status = 99 };
	u[2] = u[1];
	assert_int_equal(gf_op(f, GNTTABOP_unmap_grant_ref, OPS, 3), 0);
	assert_int_equal(u[0].status, GNTST_okay);
	assert_int_equal(u[1].status, GNTST_okay);
	assert_int_equal(u[2].status, GNTST_bad_handle);
	pins(f, 24, 0, 0);
	assert_int_equal(writers(f, PG(10)), 0);
	assert_int_equal(f->d.maptrack->in_use, 0);
	assert_int_equal(*pte_of(f, MAP_VA), 0);

	assert_int_equal(map1(f, GF_DOMID, 24, GNTMAP_device_map, 0, &h),
			 GNTST_okay);
	assert_int_equal(map1(f, GF_DOMID, 24, GNTMAP_device_map, 0, &h2),
			 GNTST_okay);
	t[0] = (struct gnttab_unmap_grant_ref){
		.dev_bus_addr = slot_maddr(f, h), .handle = h, .status = 99 };
	t[1] = (struct gnttab_unmap_grant_ref){
		.dev_bus_addr = slot_maddr(f, h2), .handle = h2, .status = 99 };
	/* Three records: the third is past the mapped pages. */
	assert_int_equal(gf_op(f, GNTTABOP_unmap_grant_ref,
			       GF_OPS_VA + (tail - GF_OPS_PA), 3), -EFAULT);
	assert_int_equal(t[0].status, GNTST_okay);
	assert_int_equal(t[1].status, GNTST_okay);
	pins(f, 24, 0, 0);
	assert_int_equal(f->d.maptrack->in_use, 0);
}

/* The granter goes while its page is mapped: the map stays sound. */
static void test_granter_gone(void **state)
{
	struct gnt_fix *f = &((struct mfix *)*state)->g;
	uint32_t h;

	gf_grant(f, 23, GF_DOMID, PG(9), 0);
	assert_int_equal(map1(f, GF_DOMID, 23, GNTMAP_device_map, 0, &h),
			 GNTST_okay);
	gnttab_peer_unregister(&f->d);
	assert_null(gnttab_peer_get(GF_DOMID));
	assert_int_equal(map1(f, GF_DOMID, 23, GNTMAP_device_map, 0, NULL),
			 GNTST_bad_domain);
	assert_int_equal(unmap1(f, h, 0, slot_maddr(f, h)), GNTST_okay);
	pins(f, 23, 0, 0);
	assert_int_equal(gf_flags(f, 23), GTF_permit_access);
	/* Registering again works; a second registration of the id does not. */
	assert_int_equal(gnttab_peer_register(&f->d), 0);
	{
		struct gnttab_peer *keep = f->d.gnt_peer;

		assert_int_equal(gnttab_peer_register(&f->d), -EEXIST);
		f->d.gnt_peer = keep;
	}
}

/* ---- copies through another domain's grants ----------------------------- */

/* One GNTTABOP_copy from the fixture's vCPU; returns its status. */
static int16_t copy1(struct gnt_fix *f, uint16_t flags, domid_t sdom,
		     uint64_t src, uint16_t soff, domid_t ddom, uint64_t dst,
		     uint16_t doff, uint16_t len)
{
	struct gnttab_copy *op = gf_ops(f);

	*op = (struct gnttab_copy){ .len = len, .flags = flags, .status = 99 };
	op->source.domid = sdom;
	op->source.offset = soff;
	op->dest.domid = ddom;
	op->dest.offset = doff;
	if (flags & SG)
		op->source.u.ref = (grant_ref_t)src;
	else
		op->source.u.gmfn = src;
	if (flags & DG)
		op->dest.u.ref = (grant_ref_t)dst;
	else
		op->dest.u.gmfn = dst;
	assert_int_equal(gf_op(f, GNTTABOP_copy, OPS, 1), 0);
	return op->status;
}

static uint8_t *page_of(struct gnt_fix *f, uint64_t mfn)
{
	return gf_ram(f, mfn << PAGE_SHIFT);
}

static void fill(uint8_t *page, uint8_t seed)
{
	for (unsigned int i = 0; i < PAGE_SIZE; i++)
		page[i] = (uint8_t)(i * 7 + seed);
}

/* Nothing of a copy stays behind: the registry's reference only. */
static void peer_idle(struct gnt_fix *p)
{
	assert_non_null(p->d.gnt_peer);
	assert_int_equal(p->d.gnt_peer->refs, 1);
}

static void test_copy_foreign(void **state)
{
	struct mfix *m = *state;
	struct gnt_fix *f = &m->g, *p = m->peer;
	uint8_t *theirs = page_of(p, PG(0)), *theirs2 = page_of(p, PG(2));
	uint8_t *ours = page_of(f, PG(1)), *ours2 = page_of(f, PG(3));

	fill(theirs, 1);
	memset(ours, 0, PAGE_SIZE);
	gf_grant(p, 30, GF_DOMID, PG(0), GTF_readonly);
	/* From the peer's grant into our frame: the bytes arrive. */
	assert_int_equal(copy1(f, SG, PEER, 30, 0, S, PG(1), 0, 4096),
			 GNTST_okay);
	assert_memory_equal(ours, theirs, PAGE_SIZE);
	pins(p, 30, 0, 0);
	assert_int_equal(gf_flags(p, 30), GTF_permit_access | GTF_readonly);
	/* Part of it, at other offsets. */
	memset(ours, 0, PAGE_SIZE);
	assert_int_equal(copy1(f, SG, PEER, 30, 100, S, PG(1), 200, 50),
			 GNTST_okay);
	assert_memory_equal(ours + 200, theirs + 100, 50);
	assert_int_equal(ours[199], 0);
	assert_int_equal(ours[250], 0);

	/* Into the peer's writable grant: the bytes land in its page. */
	fill(ours, 9);
	memset(theirs2, 0, PAGE_SIZE);
	gf_grant(p, 31, GF_DOMID, PG(2), 0);
	assert_int_equal(copy1(f, DG, S, PG(1), 8, PEER, 31, 16, 64),
			 GNTST_okay);
	assert_memory_equal(theirs2 + 16, ours + 8, 64);
	assert_int_equal(theirs2[15], 0);
	assert_int_equal(theirs2[80], 0);
	pins(p, 31, 0, 0);
	assert_int_equal(writers(p, PG(2)), 0);
	assert_int_equal(gf_flags(p, 31), GTF_permit_access);

	/* Both sides the peer's grants. */
	assert_int_equal(copy1(f, SG | DG, PEER, 30, 0, PEER, 31, 0, 4096),
			 GNTST_okay);
	assert_memory_equal(theirs2, theirs, PAGE_SIZE);
	/* The peer's grant into one of our own, named by our numeric id. */
	memset(ours2, 0, PAGE_SIZE);
	gf_grant(f, 32, GF_DOMID, PG(3), 0);
	assert_int_equal(copy1(f, SG | DG, PEER, 30, 0, GF_DOMID, 32, 0, 4096),
			 GNTST_okay);
	assert_memory_equal(ours2, theirs, PAGE_SIZE);
	/* And back, our grant by DOMID_SELF into the peer's. */
	memset(theirs2, 0, PAGE_SIZE);
	assert_int_equal(copy1(f, SG | DG, S, 32, 0, PEER, 31, 0, 4096),
			 GNTST_okay);
	assert_memory_equal(theirs2, theirs, PAGE_SIZE);

	/* Every pin and frame reference went; the grants can be revoked. */
	pins(p, 30, 0, 0);
	pins(p, 31, 0, 0);
	pins(f, 32, 0, 0);
	assert_int_equal(writers(p, PG(2)), 0);
	assert_int_equal(writers(f, PG(3)), 0);
	peer_idle(p);
	assert_true(gf_revoke(p, 30));
	assert_true(gf_revoke(p, 31));
	assert_true(gf_revoke(f, 32));
	/* Revoked: refused now. */
	assert_int_equal(copy1(f, SG, PEER, 30, 0, S, PG(1), 0, 8),
			 GNTST_general_error);
}

/* Xen's statuses for the ways a foreign copy is refused. */
static void test_copy_foreign_errors(void **state)
{
	struct mfix *m = *state;
	struct gnt_fix *f = &m->g, *p = m->peer;
	uint8_t *theirs = page_of(p, PG(4)), before[PAGE_SIZE];

	fill(theirs, 3);
	memcpy(before, theirs, PAGE_SIZE);
	gf_grant(p, 40, GF_DOMID, PG(4), GTF_readonly);
	/* A read-only grant as the destination. */
	assert_int_equal(copy1(f, DG, S, PG(1), 0, PEER, 40, 0, 8),
			 GNTST_general_error);
	assert_int_equal(gf_flags(p, 40), GTF_permit_access | GTF_readonly);
	/* Not granted; granted to another domain; to the granter itself. */
	assert_int_equal(copy1(f, SG, PEER, 41, 0, S, PG(1), 0, 8),
			 GNTST_general_error);
	gf_grant(p, 42, PEER + 1, PG(4), 0);
	assert_int_equal(copy1(f, SG, PEER, 42, 0, S, PG(1), 0, 8),
			 GNTST_general_error);
	assert_int_equal(copy1(f, DG, S, PG(1), 0, PEER, 42, 0, 8),
			 GNTST_general_error);
	assert_int_equal(gf_flags(p, 42), GTF_permit_access);
	gf_grant(p, 43, PEER, PG(4), 0);
	assert_int_equal(copy1(f, SG, PEER, 43, 0, S, PG(1), 0, 8),
			 GNTST_general_error);
	/* Beyond the peer's table. */
	assert_int_equal(copy1(f, SG, PEER, 512, 0, S, PG(1), 0, 8),
			 GNTST_bad_gntref);
	/* A domain that does not exist, either side. */
	assert_int_equal(copy1(f, SG, 77, 40, 0, S, PG(1), 0, 8),
			 GNTST_bad_domain);
	assert_int_equal(copy1(f, DG, S, PG(1), 0, 77, 40, 0, 8),
			 GNTST_bad_domain);
	assert_int_equal(copy1(f, SG | DG, PEER, 40, 0, DOMID_IO, 40, 0, 8),
			 GNTST_bad_domain);
	/* A frame must be named with DOMID_SELF, whoever the domain. */
	assert_int_equal(copy1(f, 0, PEER, PG(4), 0, S, PG(1), 0, 8),
			 GNTST_permission_denied);
	assert_int_equal(copy1(f, 0, S, PG(1), 0, PEER, PG(4), 0, 8),
			 GNTST_permission_denied);
	assert_int_equal(copy1(f, SG, PEER, 40, 0, PEER, PG(4), 0, 8),
			 GNTST_permission_denied);
	assert_int_equal(copy1(f, 0, 77, PG(4), 0, S, PG(1), 0, 8),
			 GNTST_permission_denied);
	/* Not one of the peer's RAM frames. */
	gf_grant(p, 44, GF_DOMID, GF_RAM_PAGES, 0);
	assert_int_equal(copy1(f, SG, PEER, 44, 0, S, PG(1), 0, 8),
			 GNTST_bad_page);
	assert_int_equal(gf_flags(p, 44), GTF_permit_access);
	/* Ballooned out of the peer: neither side. */
	gf_grant(p, 45, GF_DOMID, PG(5), 0);
	frame_set_owned(&p->d.gnttab->shm.frames, PG(5), false);
	assert_int_equal(copy1(f, SG, PEER, 45, 0, S, PG(1), 0, 8),
			 GNTST_bad_page);
	assert_int_equal(copy1(f, DG, S, PG(1), 0, PEER, 45, 0, 8),
			 GNTST_bad_page);
	pins(p, 45, 0, 0);
	assert_int_equal(gf_flags(p, 45), GTF_permit_access);
	frame_set_owned(&p->d.gnttab->shm.frames, PG(5), true);
	assert_int_equal(copy1(f, DG, S, PG(1), 0, PEER, 45, 0, 8), GNTST_okay);
	/* Beyond the page: bad_copy_arg, after the grant was checked. */
	assert_int_equal(copy1(f, SG, PEER, 40, 4000, S, PG(1), 0, 200),
			 GNTST_bad_copy_arg);
	assert_int_equal(copy1(f, SG, PEER, 41, 4000, S, PG(1), 0, 200),
			 GNTST_general_error);

	/* None of it touched the peer's page or kept anything. */
	assert_memory_equal(theirs, before, PAGE_SIZE);
	for (grant_ref_t r = 40; r <= 45; r++)
		pins(p, r, 0, 0);
	assert_int_equal(writers(p, PG(4)), 0);
	assert_int_equal(writers(p, PG(5)), 0);
	assert_int_equal(gf_flags(p, 40), GTF_permit_access | GTF_readonly);
	peer_idle(p);
}

/*
 * The destination frame typed as a page table in the granter: never
 * written (Xen's get_page_type(PGT_writable_page) fails: general_error);
 * read, it may be. Untyped again, it is written.
 */
static void test_copy_foreign_page_table(void **state)
{
	struct mfix *m = *state;
	struct gnt_fix *f = &m->g, *p = m->peer;
	const struct frame_state *fs = &p->d.gnttab->shm.frames;
	uint8_t *theirs = page_of(p, PT_FRAME), *ours = page_of(f, PG(1));

	memset(theirs, 0, PAGE_SIZE);
	fill(ours, 5);
	gf_grant(p, 50, GF_DOMID, PT_FRAME, 0);
	assert_true(frame_protect(fs, PT_FRAME));
	assert_int_equal(copy1(f, DG, S, PG(1), 0, PEER, 50, 0, 8),
			 GNTST_general_error);
	assert_int_equal(copy1(f, SG | DG, PEER, 50, 0, PEER, 50, 8, 8),
			 GNTST_general_error);
	for (unsigned int i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(theirs[i], 0);
	pins(p, 50, 0, 0);
	assert_int_equal(writers(p, PT_FRAME), 0);
	assert_int_equal(gf_flags(p, 50), GTF_permit_access);
	assert_int_equal(copy1(f, SG, PEER, 50, 0, S, PG(1), 0, 8), GNTST_okay);
	frame_unprotect(fs, PT_FRAME);
	assert_int_equal(copy1(f, DG, S, PG(1), 0, PEER, 50, 0, 8), GNTST_okay);
	assert_memory_equal(theirs, ours, 8);
	assert_int_equal(writers(p, PT_FRAME), 0);
	/* Nothing held: the engine may type it again. */
	assert_true(frame_protect(fs, PT_FRAME));
	frame_unprotect(fs, PT_FRAME);
	peer_idle(p);
}

/* A v2 granter: full-page and sub-page grants, the window enforced. */
static void test_copy_foreign_v2(void **state)
{
	struct mfix *m = *state;
	struct gnt_fix *f = &m->g, *p = m->peer;
	union grant_entry_v2 *e =
		(union grant_entry_v2 *)p->d.gnttab->shm.shared;
	uint8_t *theirs = page_of(p, PG(6)), *ours = page_of(f, PG(1));

	assert_int_equal(gnttab_switch_version(&p->d, 2), 0);
	fill(theirs, 11);
	memset(ours, 0, PAGE_SIZE);
	/* Full page, read-only. */
	e[60].hdr.domid = GF_DOMID;
	e[60].full_page.frame = PG(6);
	__atomic_store_n(&e[60].hdr.flags,
			 (uint16_t)(GTF_permit_access | GTF_readonly),
			 __ATOMIC_RELEASE);
	assert_int_equal(copy1(f, SG, PEER, 60, 0, S, PG(1), 0, 4096),
			 GNTST_okay);
	assert_memory_equal(ours, theirs, PAGE_SIZE);
	assert_int_equal(p->d.gnttab->shm.status[60], 0);
	/* Sub-page, writable: bytes [256, 384) only. */
	e[61].sub_page.page_off = 256;
	e[61].sub_page.length = 128;
	e[61].hdr.domid = GF_DOMID;
	e[61].sub_page.frame = PG(6);
	__atomic_store_n(&e[61].hdr.flags,
			 (uint16_t)(GTF_permit_access | GTF_sub_page),
			 __ATOMIC_RELEASE);
	memset(ours, 0, PAGE_SIZE);
	assert_int_equal(copy1(f, SG, PEER, 61, 256, S, PG(1), 0, 128),
			 GNTST_okay);
	assert_memory_equal(ours, theirs + 256, 128);
	assert_int_equal(copy1(f, SG, PEER, 61, 255, S, PG(1), 0, 8),
			 GNTST_general_error);
	assert_int_equal(copy1(f, SG, PEER, 61, 380, S, PG(1), 0, 8),
			 GNTST_general_error);
	fill(ours, 13);
	assert_int_equal(copy1(f, DG, S, PG(1), 0, PEER, 61, 300, 16),
			 GNTST_okay);
	assert_memory_equal(theirs + 300, ours, 16);
	assert_int_equal(copy1(f, DG, S, PG(1), 0, PEER, 61, 0, 4096),
			 GNTST_general_error);
	assert_int_equal(theirs[255], (uint8_t)(255 * 7 + 11));
	assert_int_equal(theirs[384], (uint8_t)(384 * 7 + 11));
	/* In-use bits are in the status words: clear again. */
	assert_int_equal(p->d.gnttab->shm.status[60], 0);
	assert_int_equal(p->d.gnttab->shm.status[61], 0);
	pins(p, 60, 0, 0);
	pins(p, 61, 0, 0);
	assert_int_equal(writers(p, PG(6)), 0);
	/* Past v2's entries. */
	assert_int_equal(copy1(f, SG, PEER, 256, 0, S, PG(1), 0, 8),
			 GNTST_bad_gntref);
	peer_idle(p);
}

/* The granter unregistered (going away): no more copies reach it. */
static void test_copy_foreign_granter_gone(void **state)
{
	struct mfix *m = *state;
	struct gnt_fix *f = &m->g, *p = m->peer;
	struct gnttab_peer *held;

	gf_grant(p, 70, GF_DOMID, PG(7), 0);
	assert_int_equal(copy1(f, DG, S, PG(1), 0, PEER, 70, 0, 8), GNTST_okay);
	/* Someone else's reference keeps the peer; lookups miss it. */
	held = gnttab_peer_get(PEER);
	assert_non_null(held);
	gnttab_peer_unregister(&p->d);
	assert_int_equal(copy1(f, SG, PEER, 70, 0, S, PG(1), 0, 8),
			 GNTST_bad_domain);
	assert_int_equal(copy1(f, DG, S, PG(1), 0, PEER, 70, 0, 8),
			 GNTST_bad_domain);
	assert_int_equal(held->refs, 1);
	gnttab_peer_put(held);
	pins(p, 70, 0, 0);
	assert_int_equal(writers(p, PG(7)), 0);
	assert_int_equal(gf_flags(p, 70), GTF_permit_access);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define TP(fn) cmocka_unit_test_setup_teardown(fn, setup_peer, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_device_map_rw),
		T(test_readonly),
		T(test_map_errors),
		T(test_handles_exhausted),
		T(test_page_table_frame),
		T(test_host_map_linear),
		T(test_host_map_bad_addr),
		T(test_contains_pte_and_replace),
		T(test_unmap_batch),
		T(test_granter_gone),
		TP(test_copy_foreign),
		TP(test_copy_foreign_errors),
		TP(test_copy_foreign_page_table),
		TP(test_copy_foreign_v2),
		TP(test_copy_foreign_granter_gone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
