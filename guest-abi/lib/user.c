/* SPDX-License-Identifier: MIT */
/*
 * User address space for test kernels (see pvguest/user.h).
 *
 * The tables live in .bss.  The hypervisor types a frame as a page table
 * only if nothing maps it writable, so each table page is filled while
 * still writable and then remapped read-only in the kernel's own tables
 * before the L4 is pinned and installed.
 */
#include <pvguest/user.h>

#define USER_PT_FLAGS	(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED)
#define USER_TEXT_FLAGS	(_PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED)
#define USER_DATA_FLAGS	(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | \
			 _PAGE_ACCESSED | _PAGE_DIRTY)

uint8_t pvguest_user_data[PVGUEST_USER_DATA_PAGES][PAGE_SIZE] __page_aligned;
uint64_t pvguest_kernel_sp;

static uint64_t user_l4[512] __page_aligned;
static uint64_t user_l3[512] __page_aligned;
static uint64_t user_l2[512] __page_aligned;
static uint64_t user_l1[512] __page_aligned;
static uint8_t kernel_stack[16384] __page_aligned;

static unsigned int l1_index(uint64_t va)
{
	return (unsigned int)(va >> 12) & 511;
}

static long step(const char *what, long rc)
{
	if (rc)
		printk("user_space_init: %s failed: %ld\n", what, rc);
	return rc;
}

long user_space_init(void)
{
	uint64_t text_pages = (uint64_t)(__user_text_end - __user_text_start) /
			      PAGE_SIZE;
	void *tables[] = { user_l1, user_l2, user_l3, user_l4 };
	struct mmuext_op op;
	unsigned int i;
	long rc;

	pvguest_kernel_sp = (uint64_t)(uintptr_t)(kernel_stack +
						  sizeof(kernel_stack));
	rc = HYPERVISOR_stack_switch(FLAT_KERNEL_SS, pvguest_kernel_sp);
	if (step("stack_switch", rc))
		return rc;

	/* One L1 covers 2 MiB from 0x400000: text first, data at +1 MiB. */
	if (text_pages == 0 || text_pages > 256)
		return step("user text size", -1);
	user_l4[0] = (virt_to_mfn(user_l3) << PAGE_SHIFT) | USER_PT_FLAGS;
	user_l3[0] = (virt_to_mfn(user_l2) << PAGE_SHIFT) | USER_PT_FLAGS;
	user_l2[(PVGUEST_USER_TEXT_VA >> 21) & 511] =
		(virt_to_mfn(user_l1) << PAGE_SHIFT) | USER_PT_FLAGS;
	for (i = 0; i < text_pages; i++)
		user_l1[l1_index(PVGUEST_USER_TEXT_VA) + i] =
			(virt_to_mfn(__user_text_start + i * PAGE_SIZE)
			 << PAGE_SHIFT) | USER_TEXT_FLAGS;
	for (i = 0; i < PVGUEST_USER_DATA_PAGES; i++)
		user_l1[l1_index(PVGUEST_USER_DATA_VA) + i] =
			(virt_to_mfn(pvguest_user_data[i]) << PAGE_SHIFT) |
			USER_DATA_FLAGS;

	for (i = 0; i < ARRAY_SIZE(tables); i++) {
		rc = set_page_readonly(tables[i]);
		if (step("update_va_mapping (table read-only)", rc))
			return rc;
	}

	/*
	 * Linux pins every L4 it uses; Xen does not require it, because
	 * NEW_USER_BASEPTR validates the tree itself.  So a failed pin is
	 * reported but does not stop the user-mode tests.
	 */
	op = (struct mmuext_op){ .cmd = MMUEXT_PIN_L4_TABLE };
	op.arg1.mfn = virt_to_mfn(user_l4);
	rc = HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
	if (rc)
		printk("user_space_init: note: MMUEXT_PIN_L4_TABLE failed: %ld, "
		       "going on without the pin\n", rc);

	op = (struct mmuext_op){ .cmd = MMUEXT_NEW_USER_BASEPTR };
	op.arg1.mfn = virt_to_mfn(user_l4);
	rc = HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF);
	return step("MMUEXT_NEW_USER_BASEPTR", rc);
}
