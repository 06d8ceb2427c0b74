/* SPDX-License-Identifier: MIT */
/*
 * balloon: giving memory back and taking it again, the way Linux's
 * balloon driver does (unmap, decrease_reservation; populate_physmap,
 * remap), with the reservation counts telling the truth at every step,
 * the data of the frames kept intact, frames returned zeroed, and a
 * frame given back unusable by the guest (no new mapping, no hypercall
 * access, no M2P entry) while an old mapping keeps it alive.
 */
#include <pvabi/memory.h>

#include <pvguest/pvguest.h>

#define NR		16
#define PTE_K		(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)
#define INVALID_M2P	(~0UL)
#define MEMOP_EXTENT_SHIFT 6

/* Two-page aligned: bal[12] and bal[13] make an order-1 extent. */
static uint8_t bal[NR][PAGE_SIZE] __aligned(2 * PAGE_SIZE);
static uint64_t *m2p;

static long reservation(unsigned int op)
{
	domid_t self = DOMID_SELF;

	return HYPERVISOR_memory_op(op, &self);
}

static long resv_op(unsigned int cmd, xen_pfn_t *list, unsigned long n,
		    unsigned int order, domid_t dom)
{
	struct xen_memory_reservation r = {
		.extent_start = (uint64_t)(uintptr_t)list,
		.nr_extents = n,
		.extent_order = order,
		.domid = dom,
	};

	return HYPERVISOR_memory_op(cmd, &r);
}

static uint64_t fill(unsigned int i)
{
	return 0xba110000UL + i;
}

static bool page_is(unsigned int i, uint64_t v)
{
	const uint64_t *p = (const uint64_t *)bal[i];

	for (unsigned int k = 0; k < PAGE_SIZE / 8; k++)
		if (p[k] != v)
			return false;
	return true;
}

static void set_page(unsigned int i, uint64_t v)
{
	uint64_t *p = (uint64_t *)bal[i];

	for (unsigned int k = 0; k < PAGE_SIZE / 8; k++)
		p[k] = v;
}

/* Unmap the pages [first, first+n) and give their frames back. */
static long give_back(unsigned int first, unsigned int n, xen_pfn_t *mfns)
{
	for (unsigned int i = 0; i < n; i++) {
		mfns[i] = virt_to_mfn(bal[first + i]);
		if (unmap_page(bal[first + i]))
			return -1;
	}
	return resv_op(XENMEM_decrease_reservation, mfns, n, 0, DOMID_SELF);
}

static void test_down_up(long total)
{
	xen_pfn_t list[NR];
	long rc;

	printk("-- down by 8 pages and up again\n");
	for (unsigned int i = 0; i < NR; i++)
		set_page(i, fill(i));
	rc = give_back(0, 8, list);
	check(rc == 8, "decrease_reservation(8 frames) = %ld", rc);
	check(reservation(XENMEM_current_reservation) == total - 8,
	      "current_reservation %ld = %ld - 8",
	      reservation(XENMEM_current_reservation), total);
	check(reservation(XENMEM_maximum_reservation) == total,
	      "maximum_reservation unchanged (%ld)",
	      reservation(XENMEM_maximum_reservation));
	check(m2p[list[0]] == INVALID_M2P && m2p[list[7]] == INVALID_M2P,
	      "M2P entries of the frames given back are invalid");
	check(map_page(bal[0], list[0], PTE_K) == -XEN_EBUSY,
	      "mapping a frame given back: -EBUSY");
	check(map_page(bal[0], list[0], _PAGE_PRESENT) == -XEN_EBUSY,
	      "  read-only too: -EBUSY");
	{
		struct mmu_update u = {
			.ptr = (list[1] << PAGE_SHIFT) | MMU_MACHPHYS_UPDATE,
			.val = 5,
		};

		check(HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF) ==
		      -XEN_EINVAL, "MMU_MACHPHYS_UPDATE on it: -EINVAL");
	}
	{
		struct mmuext_op op = { .cmd = MMUEXT_PIN_L1_TABLE };

		op.arg1.mfn = list[2];
		check(HYPERVISOR_mmuext_op(&op, 1, NULL, DOMID_SELF) ==
		      -XEN_EINVAL, "PIN_L1 of it: -EINVAL");
	}
	rc = resv_op(XENMEM_decrease_reservation, list, 1, 0, DOMID_SELF);
	check(rc == 0, "giving the same frame back twice: 0 extents (%ld)", rc);
	check(page_is(8, fill(8)) && page_is(15, fill(15)),
	      "the pages kept keep their data");

	/* Linux asks for the same pfns back. */
	for (unsigned int i = 0; i < 8; i++)
		list[i] = virt_to_pfn(bal[i]);
	rc = resv_op(XENMEM_populate_physmap, list, 8, 0, DOMID_SELF);
	check(rc == 8, "populate_physmap(8) = %ld", rc);
	check(reservation(XENMEM_current_reservation) == total,
	      "current_reservation back to %ld", total);
	check(list[0] == virt_to_pfn(bal[0]) && list[7] == virt_to_pfn(bal[7]),
	      "the frames returned are the pfns asked for (identity P2M)");
	check(m2p[list[0]] == virt_to_pfn(bal[0]) &&
	      m2p[list[7]] == virt_to_pfn(bal[7]), "M2P entries are back");
	for (unsigned int i = 0; i < 8; i++)
		if (map_page(bal[i], list[i], PTE_K))
			test_fail("cannot map frame %lu back", list[i]);
	check(page_is(0, 0) && page_is(7, 0),
	      "frames come back zeroed, not with their old data");
	set_page(3, fill(3));
	check(page_is(3, fill(3)), "and they work as memory again");
	rc = resv_op(XENMEM_populate_physmap, list, 1, 0, DOMID_SELF);
	check(rc == 0, "populate_physmap at full reservation: 0 extents (%ld)",
	      rc);
}

static void test_still_mapped(long total)
{
	xen_pfn_t mfn = virt_to_mfn(bal[9]);
	long rc;

	printk("-- a frame given back while still mapped\n");
	set_page(9, fill(9));
	rc = resv_op(XENMEM_decrease_reservation, &mfn, 1, 0, DOMID_SELF);
	check(rc == 1, "decrease_reservation of a mapped frame = %ld", rc);
	check(reservation(XENMEM_current_reservation) == total,
	      "still referenced, still counted (%ld)",
	      reservation(XENMEM_current_reservation));
	check(HYPERVISOR_console_io(CONSOLEIO_write, 4, (char *)bal[9]) ==
	      -XEN_EFAULT, "hypercalls refuse its memory: -EFAULT");
	check(page_is(9, fill(9)), "the old mapping still reads the old data");
	check(unmap_page(bal[9]) == 0, "unmap it");
	check(reservation(XENMEM_current_reservation) == total - 1,
	      "last reference gone: the frame is freed (%ld)",
	      reservation(XENMEM_current_reservation));
	mfn = virt_to_pfn(bal[9]);
	check(resv_op(XENMEM_populate_physmap, &mfn, 1, 0, DOMID_SELF) == 1 &&
	      map_page(bal[9], mfn, PTE_K) == 0 && page_is(9, 0),
	      "populated and mapped again, zeroed");
}

static void test_increase_and_orders(long total)
{
	xen_pfn_t list[4];
	unsigned int even;
	long rc;

	printk("-- increase_reservation, extent orders, bad arguments\n");
	rc = give_back(10, 2, list);
	check(rc == 2, "decrease 2 = %ld", rc);
	list[0] = list[1] = 0;
	rc = resv_op(XENMEM_increase_reservation, list, 2, 0, DOMID_SELF);
	check(rc == 2 && list[0] && list[1] && list[0] != list[1],
	      "increase_reservation(2) = %ld: frames %#lx %#lx", rc, list[0],
	      list[1]);
	check(m2p[list[0]] == INVALID_M2P,
	      "new frames have no M2P entry until the guest sets one");
	check(reservation(XENMEM_current_reservation) == total,
	      "current_reservation %ld", total);
	for (unsigned int i = 0; i < 2; i++) {
		struct mmu_update u = {
			.ptr = (list[i] << PAGE_SHIFT) | MMU_MACHPHYS_UPDATE,
			.val = virt_to_pfn(bal[10 + i]),
		};

		HYPERVISOR_mmu_update(&u, 1, NULL, DOMID_SELF);
		map_page(bal[10 + i], list[i], PTE_K);
	}
	check(m2p[list[1]] == virt_to_pfn(bal[11]) && page_is(11, 0),
	      "mapped where the guest wants them, M2P set by the guest");
	rc = resv_op(XENMEM_increase_reservation, NULL, 1, 0, DOMID_SELF);
	check(rc == 0, "increase beyond the maximum: 0 extents (%ld)", rc);

	/* An order-1 extent: two aligned frames. */
	even = 12;
	rc = give_back(even, 2, list);
	check(rc == 2, "two frames unmapped and given back (%ld)", rc);
	check(resv_op(XENMEM_populate_physmap, list, 1, 0, DOMID_SELF) == 1 &&
	      resv_op(XENMEM_decrease_reservation, list, 1, 0, DOMID_SELF) == 1,
	      "frame by frame: one back and forth");
	list[0] = virt_to_pfn(bal[even]);
	rc = resv_op(XENMEM_populate_physmap, list, 1, 1, DOMID_SELF);
	check(rc == 1 && list[0] == virt_to_pfn(bal[even]),
	      "populate_physmap(order 1) = %ld at %#lx", rc, list[0]);
	check(reservation(XENMEM_current_reservation) == total,
	      "current_reservation %ld", total);
	map_page(bal[even], list[0], PTE_K);
	map_page(bal[even + 1], list[0] + 1, PTE_K);
	rc = resv_op(XENMEM_populate_physmap, list, 1, 10, DOMID_SELF);
	check(rc == 0, "order 10 (above Xen's domU limit 9): 0 extents");

	/* Bad arguments: the count of extents done, never an error. */
	list[0] = virt_to_mfn(bal[14]);
	check(resv_op(XENMEM_decrease_reservation, list, 1, 0, 0) == 0,
	      "decrease for dom0: 0 extents");
	check(resv_op(XENMEM_decrease_reservation, NULL, 1, 0, DOMID_SELF) == 0,
	      "decrease with a NULL list: 0 extents");
	check(resv_op(XENMEM_decrease_reservation,
		      (xen_pfn_t *)0xffff800000000000UL, 1, 0, DOMID_SELF) == 0,
	      "decrease with a list in the hypervisor hole: 0 extents");
	check(HYPERVISOR_memory_op(XENMEM_decrease_reservation, NULL) == 0,
	      "decrease with no reservation struct: 0");
	{
		xen_pfn_t two[2] = { virt_to_mfn(bal[14]), virt_to_mfn(bal[15]) };
		struct xen_memory_reservation r = {
			.extent_start = (uint64_t)(uintptr_t)two,
			.nr_extents = 2, .domid = DOMID_SELF,
		};

		unmap_page(bal[15]);
		rc = HYPERVISOR_memory_op(XENMEM_decrease_reservation |
					  (1u << MEMOP_EXTENT_SHIFT), &r);
		check(rc == 2, "start_extent 1 in the command: only extent 1 "
		      "(returns %ld)", rc);
		check(page_is(14, fill(14)), "extent 0 was left alone");
		two[1] = virt_to_pfn(bal[15]);
		rc = HYPERVISOR_memory_op(XENMEM_populate_physmap |
					  (1u << MEMOP_EXTENT_SHIFT), &r);
		check(rc == 2 && map_page(bal[15], two[1], PTE_K) == 0,
		      "and back (%ld)", rc);
	}
	{
		domid_t dom0 = 0, nobody = 31000;

		check(HYPERVISOR_memory_op(XENMEM_current_reservation, NULL) ==
		      -XEN_EFAULT, "current_reservation(NULL): -EFAULT");
		check(HYPERVISOR_memory_op(XENMEM_current_reservation, &dom0) ==
		      -XEN_EPERM, "current_reservation(dom0): -EPERM");
		check(HYPERVISOR_memory_op(XENMEM_maximum_reservation, &nobody) ==
		      -XEN_ESRCH, "maximum_reservation(d31000): -ESRCH");
		check(HYPERVISOR_memory_op(XENMEM_current_reservation |
					   (1u << MEMOP_EXTENT_SHIFT), &dom0) ==
		      -XEN_EINVAL, "current_reservation with extent bits: -EINVAL");
	}
	check(reservation(XENMEM_current_reservation) == total,
	      "in the end: current_reservation %ld",
	      reservation(XENMEM_current_reservation));
}

void guest_main(struct start_info *si)
{
	struct xen_machphys_mapping mp;
	long total;

	test_start("balloon");
	if (!check(trap_init() == 0, "set_trap_table"))
		test_end();
	if (!check(HYPERVISOR_memory_op(XENMEM_machphys_mapping, &mp) == 0,
		   "machphys_mapping"))
		test_end();
	m2p = (uint64_t *)mp.v_start;
	total = reservation(XENMEM_current_reservation);
	check(total == (long)si->nr_pages, "current_reservation = nr_pages = %ld",
	      total);
	test_down_up(total);
	test_still_mapped(total);
	test_increase_and_orders(total);
	test_end();
}
