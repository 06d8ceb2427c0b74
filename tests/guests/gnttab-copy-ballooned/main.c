/* SPDX-License-Identifier: MIT */
/*
 * gnttab-copy-ballooned: a frame the guest gave back with
 * XENMEM_decrease_reservation is not its own any more (security issue,
 * hole 1): GNTTABOP_copy from or to it fails with GNTST_bad_page, as on
 * Xen, whether named by frame number or through a grant of the guest's
 * own that still names it; once populated again it copies fine.
 */
#include <pvabi/grant_table.h>
#include <pvabi/memory.h>

#include <pvguest/pvguest.h>

#define PTE_K		(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)

enum { GONE, SRC, TABLE, NR_POOL };
static uint8_t pool[NR_POOL][PAGE_SIZE] __page_aligned;
static struct grant_entry_v1 *gnt;

static int16_t copy(uint16_t flags, uint64_t src, domid_t sdom, uint64_t dst,
		    domid_t ddom, uint16_t len)
{
	struct gnttab_copy c = {
		.source = { .domid = sdom }, .dest = { .domid = ddom },
		.len = len, .flags = flags,
	};
	long rc;

	if (flags & GNTCOPY_source_gref)
		c.source.u.ref = (grant_ref_t)src;
	else
		c.source.u.gmfn = src;
	if (flags & GNTCOPY_dest_gref)
		c.dest.u.ref = (grant_ref_t)dst;
	else
		c.dest.u.gmfn = dst;
	rc = HYPERVISOR_grant_table_op(GNTTABOP_copy, &c, 1);
	return rc ? (int16_t)-1000 : c.status;
}

static int16_t copy_frames(uint64_t src, uint64_t dst, uint16_t len)
{
	return copy(0, src, DOMID_SELF, dst, DOMID_SELF, len);
}

static void grant(grant_ref_t ref, domid_t dom, uint64_t frame)
{
	gnt[ref].domid = dom;
	gnt[ref].frame = (uint32_t)frame;
	__atomic_store_n(&gnt[ref].flags, GTF_permit_access, __ATOMIC_RELEASE);
}

/*
 * Map frame 0 of our grant table and find our own domid: a copy through
 * a grant of ours succeeds only when the entry names us.
 */
static domid_t grants_init(void)
{
	struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = 1 };
	xen_pfn_t frame;

	st.frame_list = (uint64_t)(uintptr_t)&frame;
	if (HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &st, 1) ||
	    st.status || map_page(pool[TABLE], frame, _PAGE_PRESENT | _PAGE_RW |
				  _PAGE_ACCESSED | _PAGE_DIRTY))
		return 0;
	gnt = (struct grant_entry_v1 *)pool[TABLE];
	for (domid_t d = 1; d < 256; d++) {
		grant(10, d, virt_to_mfn(pool[SRC]));
		if (copy(GNTCOPY_source_gref, 10, DOMID_SELF,
			 virt_to_mfn(pool[SRC]), DOMID_SELF, 8) == GNTST_okay)
			return d;
	}
	return 0;
}

static long reservation_op(unsigned int cmd, xen_pfn_t *pfn)
{
	struct xen_memory_reservation r = {
		.extent_start = (uint64_t)(uintptr_t)pfn,
		.nr_extents = 1,
		.domid = DOMID_SELF,
	};

	return HYPERVISOR_memory_op(cmd, &r);
}

void guest_main(struct start_info *si)
{
	xen_pfn_t gone = virt_to_mfn(pool[GONE]), src = virt_to_mfn(pool[SRC]);
	domid_t self;
	int16_t st;
	long rc;

	(void)si;
	test_start("gnttab-copy-ballooned");
	memset(pool[SRC], 0x5a, PAGE_SIZE);
	self = grants_init();
	/* Unmap it (no mapping may keep it alive), then give it back. */
	rc = HYPERVISOR_update_va_mapping((unsigned long)pool[GONE], 0,
					  UVMF_INVLPG);
	check(rc == 0, "unmapped (%ld)", rc);
	rc = reservation_op(XENMEM_decrease_reservation, &gone);
	if (!check(rc == 1, "decrease_reservation(1 frame) = %ld", rc))
		test_end();

	st = copy_frames(src, gone, 64);
	check(st == GNTST_bad_page, "copy to a ballooned-out frame: "
	      "GNTST_bad_page (status %d)", st);
	st = copy_frames(gone, src, 64);
	check(st == GNTST_bad_page, "copy from it: GNTST_bad_page (status %d)",
	      st);
	if (check(self != 0, "own grant table mapped, domid %u", self)) {
		grant(11, self, gone);
		st = copy(GNTCOPY_dest_gref, src, DOMID_SELF, 11, DOMID_SELF, 64);
		check(st == GNTST_bad_page, "copy to it through our own grant: "
		      "GNTST_bad_page (status %d)", st);
		st = copy(GNTCOPY_source_gref, 11, DOMID_SELF, src, DOMID_SELF,
			  64);
		check(st == GNTST_bad_page, "copy from it through the grant: "
		      "GNTST_bad_page (status %d)", st);
		check(!(gnt[11].flags & (GTF_reading | GTF_writing)),
		      "the grant is left unpinned");
	}

	/* Populated again (wherever the hypervisor puts it): usable. */
	rc = reservation_op(XENMEM_populate_physmap, &gone);
	if (!check(rc == 1, "populate_physmap(1 frame) = %ld", rc))
		test_end();
	st = copy_frames(src, gone, 64);
	check(st == GNTST_okay, "copy to the frame populated again: okay "
	      "(status %d)", st);
	rc = HYPERVISOR_update_va_mapping((unsigned long)pool[GONE],
					  (gone << PAGE_SHIFT) | PTE_K,
					  UVMF_INVLPG);
	check(rc == 0 && pool[GONE][0] == 0x5a && pool[GONE][64] == 0,
	      "and it holds what was copied (%ld)", rc);
	test_end();
}
