/* SPDX-License-Identifier: MIT */
/*
 * gnttab-copy-to-l1: GNTTABOP_copy must not write a frame the guest has
 * made a page table (security issue, hole 1). Were it allowed, a guest
 * could plant an unvalidated PTE, here one that maps its own L1 table
 * writable, and from there map anything. The copy must fail with
 * GNTST_general_error (Xen: no writable type for a table) and leave the
 * table as it was; a read of the table and a copy into it once unpinned
 * and unmapped from page tables are fine.
 */
#include <pvabi/grant_table.h>
#include <pvabi/memory.h>

#include <pvguest/pvguest.h>

#define PTE_K		(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)
#define PTE_KRO		(_PAGE_PRESENT | _PAGE_ACCESSED)

enum { L1, EVIL, SCRATCH, NR_POOL };
static uint8_t pool[NR_POOL][PAGE_SIZE] __page_aligned;

static uint64_t mfn(unsigned int i)
{
	return virt_to_mfn(pool[i]);
}

static long ext(unsigned int cmd, uint64_t m)
{
	struct mmuext_op op = { .cmd = cmd };

	op.arg1.mfn = m;
	return HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
}

static long remap(unsigned int i, uint64_t flags)
{
	return HYPERVISOR_update_va_mapping((unsigned long)pool[i],
					    (mfn(i) << PAGE_SHIFT) | flags,
					    UVMF_INVLPG);
}

static int16_t copy_frames(uint64_t src, unsigned int soff, uint64_t dst,
			   unsigned int doff, uint16_t len)
{
	struct gnttab_copy c = {
		.source = { .u.gmfn = src, .domid = DOMID_SELF, .offset = soff },
		.dest = { .u.gmfn = dst, .domid = DOMID_SELF, .offset = doff },
		.len = len,
	};
	long rc = HYPERVISOR_grant_table_op(GNTTABOP_copy, &c, 1);

	return rc ? (int16_t)-1000 : c.status;
}

void guest_main(struct start_info *si)
{
	const volatile uint64_t *l1 = (const uint64_t *)pool[L1];
	uint64_t *evil = (uint64_t *)pool[EVIL];
	int16_t st;
	long rc;

	(void)si;
	test_start("gnttab-copy-to-l1");
	/* A PTE that would map the table itself writable. */
	evil[0] = (mfn(L1) << PAGE_SHIFT) | PTE_K;
	memset(pool[L1], 0, PAGE_SIZE);
	rc = remap(L1, PTE_KRO);
	if (!check(rc == 0, "L1 mapped read-only (%ld)", rc))
		test_end();
	rc = ext(MMUEXT_PIN_L1_TABLE, mfn(L1));
	if (!check(rc == 0, "L1 pinned (%ld)", rc))
		test_end();

	st = copy_frames(mfn(EVIL), 0, mfn(L1), 0, 8);
	check(st == GNTST_general_error,
	      "copy into the pinned L1: GNTST_general_error (status %d)", st);
	check(l1[0] == 0, "the L1 entry is unchanged (%#lx)", l1[0]);
	st = copy_frames(mfn(EVIL), 0, mfn(L1), 4088, 8);
	check(st == GNTST_general_error && l1[511] == 0,
	      "not at any offset either (status %d)", st);
	/* A table may be read. */
	st = copy_frames(mfn(L1), 0, mfn(SCRATCH), 0, 8);
	check(st == GNTST_okay, "copy from the L1: okay (status %d)", st);

	/* Unpinned and writable again, it is an ordinary page. */
	rc = ext(MMUEXT_UNPIN_TABLE, mfn(L1));
	check(rc == 0, "unpinned (%ld)", rc);
	rc = remap(L1, PTE_K);
	check(rc == 0, "mapped writable again (%ld)", rc);
	st = copy_frames(mfn(EVIL), 0, mfn(L1), 0, 8);
	check(st == GNTST_okay && l1[0] == evil[0],
	      "copy into it now: okay (status %d)", st);
	/* And with a copy's reference gone, it can be a table again. */
	((uint64_t *)pool[L1])[0] = 0;
	rc = remap(L1, PTE_KRO);
	check(rc == 0 && ext(MMUEXT_PIN_L1_TABLE, mfn(L1)) == 0,
	      "pinned again after the copies (%ld)", rc);
	ext(MMUEXT_UNPIN_TABLE, mfn(L1));
	test_end();
}
