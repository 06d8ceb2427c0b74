/* SPDX-License-Identifier: MIT */
/*
 * gnttab-copy-ballooned: a frame the guest gave back with
 * XENMEM_decrease_reservation is not its own any more (security issue,
 * hole 1): GNTTABOP_copy from or to it fails with GNTST_bad_page, as on
 * Xen, and once populated again it copies fine.
 */
#include <pvabi/grant_table.h>
#include <pvabi/memory.h>

#include <pvguest/pvguest.h>

#define PTE_K		(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)

enum { GONE, SRC, NR_POOL };
static uint8_t pool[NR_POOL][PAGE_SIZE] __page_aligned;

static int16_t copy_frames(uint64_t src, uint64_t dst, uint16_t len)
{
	struct gnttab_copy c = {
		.source = { .u.gmfn = src, .domid = DOMID_SELF },
		.dest = { .u.gmfn = dst, .domid = DOMID_SELF },
		.len = len,
	};
	long rc = HYPERVISOR_grant_table_op(GNTTABOP_copy, &c, 1);

	return rc ? (int16_t)-1000 : c.status;
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
	int16_t st;
	long rc;

	(void)si;
	test_start("gnttab-copy-ballooned");
	memset(pool[SRC], 0x5a, PAGE_SIZE);
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
