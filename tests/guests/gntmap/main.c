/* SPDX-License-Identifier: MIT */
/*
 * gntmap: GNTTABOP_map_grant_ref, unmap_grant_ref and unmap_and_replace
 * from a PV guest, on its own grants: Xen lets a domain map what it
 * granted to itself when it names itself by its numeric domid (found
 * here by probing, as nothing else tells a guest without xenstore).
 *
 *  1. host maps at a linear address: writes through the mapping land in
 *     the granted page, the PTE is the grant's (frame = dev_bus_addr,
 *     NX, RW only when writable), read-only maps fault on write, and
 *     after the unmap the address faults and the PTE is empty;
 *  2. GNTMAP_contains_pte (the PTE's machine address) and
 *     unmap_and_replace (new_addr's PTE moves to host_addr);
 *  3. what a hostile guest can try: bad refs, refs not granted, a
 *     read-only grant mapped writable, a pinned L1 mapped writable, the
 *     hypervisor's VA range, bogus handles, double unmaps, mapping the
 *     window frame by itself with update_va_mapping, and filling every
 *     map handle (GNTST_no_space beyond, as Xen's maptrack).
 *
 * Command line "bench=map" (or "none", the exit-count baseline) times
 * a host map + unmap pair per iteration instead (BENCH lines, see
 * bench/gnttab.sh); "tsc_khz=N", "iters=N".
 *
 * Two domains (tests/e2e/gntmap-peers.sh): "e2e=granter" grants one page
 * read/write to each domid 1..PEER_MAX (ref PEER_REF + domid), says
 * "gntmap: granted" and waits; "e2e=mapper peer=N" maps its ref from
 * domain N, reads the granter's pattern, writes its domid and a marker,
 * waits for the granter's acknowledgement (given while the granter sees
 * GTF_reading|GTF_writing), unmaps; the granter then revokes. Both print
 * PASS gntmap. While it holds the map, the mapper also GNTTABOP_copy's
 * from the same grant (the granter's pattern) and to it (PEER_COPY and
 * its domid, which the granter checks), then says "gntmap: copied both
 * ways". With "hold=1" the granter never acknowledges (it waits to
 * be destroyed) and the mapper keeps its map until the granter is gone
 * (a map of its grant says bad_domain), then checks the page still reads
 * and unmaps.
 */
#include <pvabi/grant_table.h>
#include <pvabi/sched.h>

#include <pvguest/pvguest.h>

#define NR_GFRAMES	4
#define MAX_MAPS	4096	/* more than any window: we stop at no_space */
#define EXH_REFS	40	/* 128 maps per ref stay below the pin limit */
#define PROBE_REF	2000
#define PTE_K		(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)
#define PTE_KRO		(_PAGE_PRESENT | _PAGE_ACCESSED)
#define HV_VA		0xffff808000000000UL	/* in the hypervisor's slots */

static uint8_t gnt_area[NR_GFRAMES][PAGE_SIZE] __page_aligned;
static uint8_t pages[8][PAGE_SIZE] __page_aligned;
/* Addresses whose own page is unmapped for grant maps to use. */
static uint8_t spare[3][PAGE_SIZE] __page_aligned;
static uint8_t l1page[PAGE_SIZE] __page_aligned;
static uint8_t copybuf[PAGE_SIZE] __page_aligned;
static struct gnttab_map_grant_ref batch[64];
static uint32_t handles[MAX_MAPS];
static uint64_t busaddr[MAX_MAPS];

static struct grant_entry_v1 *gnt;
static domid_t self;
static uint64_t tsc_khz;
static unsigned long iters = 2000;
static char bench[16];

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static long gnttab_op(unsigned int cmd, void *op, unsigned int count)
{
	return HYPERVISOR_grant_table_op(cmd, op, count);
}

static uint64_t mfn_of(const void *va)
{
	return virt_to_mfn(va);
}

static void grant(grant_ref_t ref, domid_t dom, uint64_t frame,
		  uint16_t extra)
{
	gnt[ref].domid = dom;
	gnt[ref].frame = (uint32_t)frame;
	__atomic_store_n(&gnt[ref].flags, GTF_permit_access | extra,
			 __ATOMIC_RELEASE);
}

static uint16_t gflags(grant_ref_t ref)
{
	return __atomic_load_n(&gnt[ref].flags, __ATOMIC_ACQUIRE);
}

static bool revoke(grant_ref_t ref)
{
	uint16_t flags = gflags(ref);

	do {
		if (flags & (GTF_reading | GTF_writing))
			return false;
	} while (!__atomic_compare_exchange_n(&gnt[ref].flags, &flags, 0,
					      false, __ATOMIC_SEQ_CST,
					      __ATOMIC_SEQ_CST));
	return true;
}

/* ---- faults and page tables ------------------------------------------ */

static unsigned long pf_count(void)
{
	return pvguest_trap_counts[14];
}

static bool read_faults(const volatile void *va)
{
	unsigned long before = pf_count();

	asm volatile("1: movq (%0), %%rax\n2:\n"
		     PV_EXTABLE("1b", "2b")
		     : : "r"(va) : "rax", "memory");
	return pf_count() == before + 1;
}

static bool write_faults(volatile void *va, uint64_t val)
{
	unsigned long before = pf_count();

	asm volatile("1: movq %1, (%0)\n2:\n"
		     PV_EXTABLE("1b", "2b")
		     : : "r"(va), "r"(val) : "memory");
	return pf_count() == before + 1;
}

/* All RAM is mapped at PVGUEST_VIRT_BASE: page tables are readable. */
static uint64_t *mfn_va(uint64_t m)
{
	return (uint64_t *)(PVGUEST_VIRT_BASE + (m << PAGE_SHIFT));
}

/* The L1 entry mapping va in the kernel's tables, and its address. */
static volatile uint64_t *pte_ptr(const void *va)
{
	uint64_t a = (uint64_t)(uintptr_t)va;
	uint64_t *t = (uint64_t *)start_info->pt_base;

	for (int l = 4; l > 1; l--)
		t = mfn_va((t[(a >> (12 + 9 * (l - 1))) & 511] &
			    PTE_ADDR_MASK) >> PAGE_SHIFT);
	return &t[(a >> 12) & 511];
}

static uint64_t pte_maddr(const void *va)
{
	volatile uint64_t *p = pte_ptr(va);

	return (mfn_of((const void *)p) << PAGE_SHIFT) |
	       ((uint64_t)(uintptr_t)p & (PAGE_SIZE - 1));
}

/* ---- the ops ----------------------------------------------------------- */

static int16_t map(domid_t dom, grant_ref_t ref, uint32_t flags, uint64_t addr,
		   uint32_t *handle, uint64_t *bus)
{
	struct gnttab_map_grant_ref op = {
		.host_addr = addr, .flags = flags, .ref = ref, .dom = dom,
		.status = 99, .handle = 0xdeadbeef,
	};
	long rc = gnttab_op(GNTTABOP_map_grant_ref, &op, 1);

	if (rc)
		return -1000;
	if (handle)
		*handle = op.handle;
	if (bus)
		*bus = op.dev_bus_addr;
	return op.status;
}

static int16_t unmap(uint32_t handle, uint64_t addr, uint64_t bus)
{
	struct gnttab_unmap_grant_ref op = {
		.host_addr = addr, .dev_bus_addr = bus, .handle = handle,
		.status = 99,
	};
	long rc = gnttab_op(GNTTABOP_unmap_grant_ref, &op, 1);

	return rc ? -1000 : op.status;
}

static uint64_t va(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* ---- setup ------------------------------------------------------------- */

static bool setup_table(void)
{
	static xen_pfn_t frames[NR_GFRAMES];
	struct gnttab_setup_table st = {
		.dom = DOMID_SELF, .nr_frames = NR_GFRAMES,
		.frame_list = (uint64_t)(uintptr_t)frames,
	};
	long rc = gnttab_op(GNTTABOP_setup_table, &st, 1);

	if (!check(rc == 0 && st.status == GNTST_okay, "setup_table"))
		return false;
	for (int i = 0; i < NR_GFRAMES; i++)
		rc |= map_page(gnt_area[i], frames[i], PTE_K);
	if (!check(rc == 0, "grant frames mapped"))
		return false;
	gnt = (struct grant_entry_v1 *)gnt_area;
	for (int i = 0; i < 3; i++)
		rc |= unmap_page(spare[i]);
	return check(rc == 0 && read_faults(spare[0]),
		     "spare addresses unmapped");
}

/*
 * Our domid: the one id under which our own grant maps. Others answer
 * bad_domain (no such domain) or general_error (not granted to us).
 */
static bool find_self(void)
{
	uint32_t h = 0;
	uint64_t bus = 0;

	for (uint32_t d = 1; d < DOMID_FIRST_RESERVED; d++) {
		int16_t st;

		grant(PROBE_REF, (domid_t)d, mfn_of(pages[7]), GTF_readonly);
		st = map((domid_t)d, PROBE_REF,
			 GNTMAP_device_map | GNTMAP_readonly, 0, &h, &bus);
		if (st == GNTST_okay) {
			self = (domid_t)d;
			check(unmap(h, 0, bus) == GNTST_okay && revoke(PROBE_REF),
			      "we are d%u", self);
			return true;
		}
	}
	revoke(PROBE_REF);
	return check(false, "no domid maps our own grants");
}

/* ---- 1. host maps ----------------------------------------------------- */

static void test_host_map(void)
{
	volatile uint64_t *p = (volatile uint64_t *)spare[0];
	uint64_t bus = 0, pte;
	uint32_t h = 0;
	int16_t st;

	printk("-- host map of our own grant\n");
	memset(pages[0], 0, PAGE_SIZE);
	((volatile uint64_t *)pages[0])[1] = 0x1111;
	grant(10, self, mfn_of(pages[0]), 0);
	st = map(DOMID_SELF, 10, GNTMAP_host_map, va(spare[0]), NULL, NULL);
	check(st == GNTST_bad_domain, "DOMID_SELF: %d (bad_domain, as Xen)",
	      st);
	st = map(self, 10, GNTMAP_host_map, va(spare[0]), &h, &bus);
	if (!check(st == GNTST_okay, "map rw at %p: status %d handle %u "
		   "dev_bus_addr %#lx", spare[0], st, h, bus))
		return;
	pte = *pte_ptr(spare[0]);
	check((pte & PTE_ADDR_MASK) == bus && (pte & _PAGE_RW) &&
	      (pte & _PAGE_PRESENT) && (pte & _PAGE_NX),
	      "PTE %#lx: the window frame %#lx, present, RW, NX", pte, bus);
	check(bus >> PAGE_SHIFT >= start_info->nr_pages,
	      "the frame is outside RAM (the grant-map window)");
	check(gflags(10) == (GTF_permit_access | GTF_reading | GTF_writing),
	      "GTF_reading|GTF_writing set: %#x", gflags(10));
	check(p[1] == 0x1111, "read through the map: %#lx", p[1]);
	p[2] = 0x2222;
	check(((volatile uint64_t *)pages[0])[2] == 0x2222,
	      "a write through the map lands in the granted page");
	((volatile uint64_t *)pages[0])[3] = 0x3333;
	check(p[3] == 0x3333, "and the other way round");
	check(!revoke(10), "revoking while mapped is refused");

	/* The guest cannot map the window frame by itself. */
	check(map_page(spare[1], bus >> PAGE_SHIFT, PTE_KRO) != 0,
	      "update_va_mapping to the window frame: refused");

	st = unmap(h, va(spare[1]), 0);
	check(st == GNTST_general_error,
	      "unmap at an address not mapping it: %d (general_error)", st);
	check(p[1] == 0x1111, "still mapped after the failed unmap");
	st = unmap(h, va(spare[0]), 0);
	check(st == GNTST_okay, "unmap: %d", st);
	check(*pte_ptr(spare[0]) == 0, "PTE cleared: %#lx", *pte_ptr(spare[0]));
	check(read_faults(spare[0]), "the address faults after the unmap");
	check(gflags(10) == GTF_permit_access, "in-use bits cleared: %#x",
	      gflags(10));
	st = unmap(h, va(spare[0]), 0);
	check(st == GNTST_bad_handle, "double unmap: %d (bad_handle)", st);

	printk("-- read-only host map\n");
	st = map(self, 10, GNTMAP_host_map | GNTMAP_readonly, va(spare[0]),
		 &h, &bus);
	check(st == GNTST_okay, "map ro: %d", st);
	pte = *pte_ptr(spare[0]);
	check(!(pte & _PAGE_RW), "PTE %#lx not writable", pte);
	check(gflags(10) == (GTF_permit_access | GTF_reading),
	      "only GTF_reading: %#x", gflags(10));
	check(p[1] == 0x1111, "read through the read-only map");
	check(write_faults(p, 5), "a write through it faults");
	check(((volatile uint64_t *)pages[0])[0] == 0, "and changed nothing");
	check(unmap(h, va(spare[0]), 0) == GNTST_okay && read_faults(p),
	      "unmapped");
	check(revoke(10), "revoked after the unmap");
}

/* ---- 2. contains_pte, unmap_and_replace -------------------------------- */

static void test_pte_and_replace(void)
{
	volatile uint64_t *p = (volatile uint64_t *)spare[0];
	struct gnttab_unmap_and_replace ur;
	uint64_t bus = 0, maddr = pte_maddr(spare[0]);
	uint32_t h = 0;
	int16_t st;
	long rc;

	printk("-- GNTMAP_contains_pte\n");
	((volatile uint64_t *)pages[1])[0] = 0x4444;
	grant(11, self, mfn_of(pages[1]), 0);
	st = map(self, 11, GNTMAP_host_map | GNTMAP_contains_pte, maddr, &h,
		 &bus);
	check(st == GNTST_okay && (*pte_ptr(spare[0]) & PTE_ADDR_MASK) == bus,
	      "map at PTE %#lx: %d", maddr, st);
	check(p[0] == 0x4444, "read through it: %#lx", p[0]);
	st = map(self, 11, GNTMAP_host_map | GNTMAP_contains_pte, maddr + 4,
		 NULL, NULL);
	check(st == GNTST_general_error, "misaligned PTE address: %d", st);
	st = map(self, 11, GNTMAP_host_map | GNTMAP_contains_pte,
		 mfn_of(pages[2]) << PAGE_SHIFT, NULL, NULL);
	check(st == GNTST_general_error, "PTE address in a data page: %d", st);
	ur = (struct gnttab_unmap_and_replace){ .host_addr = maddr,
		.new_addr = va(spare[1]), .handle = h, .status = 99 };
	rc = gnttab_op(GNTTABOP_unmap_and_replace, &ur, 1);
	check(rc == 0 && ur.status == GNTST_general_error,
	      "unmap_and_replace of a contains_pte map: %d (general_error)",
	      ur.status);
	check(unmap(h, maddr, 0) == GNTST_okay && read_faults(p),
	      "unmap by PTE address");

	printk("-- unmap_and_replace\n");
	((volatile uint64_t *)pages[2])[0] = 0x5555;
	check(map_page(spare[1], mfn_of(pages[2]), PTE_K) == 0,
	      "new_addr maps a page of ours");
	st = map(self, 11, GNTMAP_host_map, va(spare[0]), &h, &bus);
	check(st == GNTST_okay && p[0] == 0x4444, "map at host_addr: %d", st);
	ur = (struct gnttab_unmap_and_replace){ .host_addr = va(spare[0]),
		.new_addr = va(spare[1]), .handle = h, .status = 99 };
	rc = gnttab_op(GNTTABOP_unmap_and_replace, &ur, 1);
	check(rc == 0 && ur.status == GNTST_okay, "unmap_and_replace: %d",
	      ur.status);
	check(p[0] == 0x5555, "host_addr now maps new_addr's page: %#lx",
	      p[0]);
	check(read_faults(spare[1]), "new_addr is unmapped");
	check(revoke(11), "the grant is free");
	rc = gnttab_op(GNTTABOP_unmap_and_replace, &ur, 1);
	check(rc == 0 && ur.status == GNTST_bad_handle,
	      "again: %d (bad_handle)", ur.status);
	check(unmap_page(spare[0]) == 0, "host_addr unmapped again");
}

/* ---- 3. hostile -------------------------------------------------------- */

static void test_hostile(void)
{
	struct mmuext_op pin = { .cmd = MMUEXT_PIN_L1_TABLE };
	uint64_t bus = 0;
	uint32_t h = 0;
	int16_t st;

	printk("-- what a guest may not do\n");
	grant(12, self, mfn_of(pages[3]), 0);
	st = map(self, 12, GNTMAP_readonly, va(spare[0]), NULL, NULL);
	check(st == GNTST_bad_gntref, "neither host nor device map: %d", st);
	st = map(self, NR_GFRAMES * 512, GNTMAP_host_map, va(spare[0]), NULL,
		 NULL);
	check(st == GNTST_bad_gntref, "ref past the table: %d (bad_gntref)",
	      st);
	st = map(self, 13, GNTMAP_host_map, va(spare[0]), NULL, NULL);
	check(st == GNTST_general_error, "ref not granted: %d (general_error)",
	      st);
	grant(14, (domid_t)(self + 1), mfn_of(pages[3]), 0);
	st = map(self, 14, GNTMAP_host_map, va(spare[0]), NULL, NULL);
	check(st == GNTST_general_error,
	      "ref granted to another domain: %d (general_error)", st);
	revoke(14);
	st = map(0x7000, 12, GNTMAP_host_map, va(spare[0]), NULL, NULL);
	check(st == GNTST_bad_domain, "no such domain: %d (bad_domain)", st);
	grant(15, self, mfn_of(pages[3]), GTF_readonly);
	st = map(self, 15, GNTMAP_host_map, va(spare[0]), NULL, NULL);
	check(st == GNTST_general_error,
	      "read-only grant mapped writable: %d (general_error, as Xen)",
	      st);
	check(gflags(15) == (GTF_permit_access | GTF_readonly),
	      "and left unpinned: %#x", gflags(15));
	revoke(15);
	grant(16, self, start_info->nr_pages + 5, 0);
	st = map(self, 16, GNTMAP_host_map, va(spare[0]), NULL, NULL);
	check(st == GNTST_bad_page, "frame beyond RAM: %d (bad_page)", st);
	revoke(16);
	st = map(self, 12, GNTMAP_host_map, HV_VA, NULL, NULL);
	check(st == GNTST_general_error,
	      "host_addr in the hypervisor's slots: %d (general_error)", st);
	st = map(self, 12, GNTMAP_host_map | GNTMAP_contains_pte,
		 (start_info->nr_pages + 1) << PAGE_SHIFT, NULL, NULL);
	check(st == GNTST_general_error, "PTE address beyond RAM: %d", st);
	check(gflags(12) == GTF_permit_access, "failed maps left no pin");

	/* A pinned L1 may be mapped read-only, never writable. */
	memset(l1page, 0, PAGE_SIZE);
	pin.arg1.mfn = mfn_of(l1page);
	if (check(set_page_readonly(l1page) == 0 &&
		  HYPERVISOR_mmuext_op(&pin, 1, NULL, DOMID_SELF) == 0,
		  "l1page pinned as an L1")) {
		grant(17, self, mfn_of(l1page), 0);
		st = map(self, 17, GNTMAP_host_map, va(spare[0]), NULL, NULL);
		check(st == GNTST_general_error,
		      "writable map of a pinned L1: %d (general_error)", st);
		st = map(self, 17, GNTMAP_device_map, 0, NULL, NULL);
		check(st == GNTST_general_error,
		      "writable device map of it: %d (general_error)", st);
		st = map(self, 17, GNTMAP_host_map | GNTMAP_readonly,
			 va(spare[0]), &h, NULL);
		check(st == GNTST_okay && unmap(h, va(spare[0]), 0) == 0,
		      "read-only map of it: %d", st);
		revoke(17);
		pin.cmd = MMUEXT_UNPIN_TABLE;
		check(HYPERVISOR_mmuext_op(&pin, 1, NULL, DOMID_SELF) == 0 &&
		      set_page_writable(l1page) == 0, "l1page unpinned");
	}
	/* And a page mapped writable through a grant cannot become one. */
	grant(17, self, mfn_of(l1page), 0);
	st = map(self, 17, GNTMAP_device_map, 0, &h, &bus);
	pin.cmd = MMUEXT_PIN_L1_TABLE;
	check(st == GNTST_okay && set_page_readonly(l1page) == 0 &&
	      HYPERVISOR_mmuext_op(&pin, 1, NULL, DOMID_SELF) != 0,
	      "pinning a page mapped writable by grant: refused");
	st = unmap(h, 0, bus + PAGE_SIZE);
	check(st == GNTST_bad_dev_addr, "unmap, wrong dev_bus_addr: %d", st);
	check(unmap(h, 0, bus) == GNTST_okay && revoke(17) &&
	      set_page_writable(l1page) == 0, "device map undone");

	st = unmap(0xffff, va(spare[0]), 0);
	check(st == GNTST_bad_handle, "unmap of a bogus handle: %d", st);
	st = unmap(0xffffffffu, 0, 0);
	check(st == GNTST_bad_handle, "unmap of handle ~0: %d", st);
	check(gnttab_op(GNTTABOP_map_grant_ref, (void *)HV_VA, 1) ==
	      -XEN_EFAULT, "op array in the hypervisor's slots: -EFAULT");
	revoke(12);
}

/* Fill every handle: Xen answers GNTST_no_space when none is left. */
static void test_exhaustion(void)
{
	unsigned int n = 0, bad = 0;
	int16_t last = GNTST_okay;

	printk("-- every map handle in use\n");
	for (int r = 0; r < EXH_REFS; r++)
		grant(100 + r, self, mfn_of(pages[4]), GTF_readonly);
	while (n < MAX_MAPS && last == GNTST_okay) {
		unsigned int k = 0;
		long rc;

		for (; k < 64 && n + k < MAX_MAPS; k++)
			batch[k] = (struct gnttab_map_grant_ref){
				.flags = GNTMAP_device_map | GNTMAP_readonly,
				.ref = 100 + (n + k) / 128, .dom = self,
				.status = 99 };
		rc = gnttab_op(GNTTABOP_map_grant_ref, batch, k);
		if (!check(rc == 0, "map batch: %ld", rc))
			break;
		for (unsigned int i = 0; i < k; i++) {
			last = batch[i].status;
			if (last != GNTST_okay)
				break;
			handles[n] = batch[i].handle;
			busaddr[n++] = batch[i].dev_bus_addr;
		}
	}
	check(last == GNTST_no_space && n >= 8,
	      "%u maps, then status %d (no_space)", n, last);
	/* Handles are distinct: no two maps share a window frame. */
	for (unsigned int i = 1; i < n; i++)
		bad += busaddr[i] == busaddr[i - 1];
	check(bad == 0, "distinct dev_bus_addr per map");
	for (unsigned int i = 0; i < n; i++)
		bad += unmap(handles[i], 0, busaddr[i]) != GNTST_okay;
	check(bad == 0, "all %u unmapped", n);
	for (int r = 0; r < EXH_REFS; r++)
		bad += !revoke(100 + r);
	check(bad == 0, "all grants free again");
	/* The revoked grant made again: the freed handles serve it. */
	grant(100, self, mfn_of(pages[4]), GTF_readonly);
	check(map(self, 100, GNTMAP_device_map | GNTMAP_readonly, 0,
		  &handles[0], &busaddr[0]) == GNTST_okay &&
	      unmap(handles[0], 0, busaddr[0]) == GNTST_okay &&
	      revoke(100), "and a map works again");
}

/* ---- two domains ------------------------------------------------------- */

#define PEER_REF	200
#define PEER_MAX	63
#define PEER_MAGIC	0x6d61707065645f21UL
#define PEER_ACK	0x61636b6e6f776c21UL
#define PEER_WAIT	3000000		/* yields: minutes in the nested VM */
#define PEER_COPY	0x636f70795f746f21UL	/* words 3, 4: copy, domid */

static void yield(void)
{
	HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
}

static void e2e_granter(bool hold)
{
	volatile uint64_t *w = (volatile uint64_t *)pages[6];
	uint64_t who = 0;
	long n;

	memset(pages[6], 0, PAGE_SIZE);
	for (int i = 8; i < 512; i++)
		w[i] = 0x600d000000000000UL | (uint64_t)i;
	for (uint32_t d = 1; d <= PEER_MAX; d++)
		if (d != self)
			grant(PEER_REF + d, (domid_t)d, mfn_of(pages[6]), 0);
	printk("gntmap: granted (d%u)\n", self);
	for (n = 0; n < PEER_WAIT && w[0] != PEER_MAGIC; n++)
		yield();
	if (!check(w[0] == PEER_MAGIC, "the mapper wrote through its map"))
		return;
	who = w[2];
	if (!check(who >= 1 && who <= PEER_MAX && who != self,
		   "mapper d%lu", who))
		return;
	check(w[3] == PEER_COPY && w[4] == who,
	      "the mapper's GNTTABOP_copy landed in our page: %#lx %lu",
	      w[3], w[4]);
	check(gflags(PEER_REF + who) ==
	      (GTF_permit_access | GTF_reading | GTF_writing),
	      "its grant is in use while mapped: %#x", gflags(PEER_REF + who));
	check(!revoke(PEER_REF + who), "revoking it now is refused");
	if (hold) {
		printk("gntmap: holding\n");
		for (;;)
			yield();
	}
	w[1] = PEER_ACK;
	for (n = 0; n < PEER_WAIT &&
		    (gflags(PEER_REF + who) & (GTF_reading | GTF_writing)); n++)
		yield();
	check(revoke(PEER_REF + who), "revoked after the mapper's unmap");
	for (uint32_t d = 1; d <= PEER_MAX; d++)
		revoke(PEER_REF + d);
}

static int16_t copy(uint16_t flags, domid_t sdom, uint64_t src, uint16_t soff,
		    domid_t ddom, uint64_t dst, uint16_t doff, uint16_t len)
{
	struct gnttab_copy op = { .len = len, .flags = flags, .status = 99 };
	long rc;

	op.source.domid = sdom;
	op.source.offset = soff;
	op.dest.domid = ddom;
	op.dest.offset = doff;
	if (flags & GNTCOPY_source_gref)
		op.source.u.ref = (grant_ref_t)src;
	else
		op.source.u.gmfn = src;
	if (flags & GNTCOPY_dest_gref)
		op.dest.u.ref = (grant_ref_t)dst;
	else
		op.dest.u.gmfn = dst;
	rc = gnttab_op(GNTTABOP_copy, &op, 1);
	return rc ? -1000 : op.status;
}

/*
 * GNTTABOP_copy through the peer's grant, as Xen allows any domain it
 * was granted to: its pattern into our frame, PEER_COPY and our domid
 * into words 3 and 4 of its page. Nothing else of it is ours to copy.
 */
static bool e2e_copy(domid_t peer)
{
	volatile uint64_t *c = (volatile uint64_t *)copybuf;
	grant_ref_t ref = PEER_REF + self;
	uint64_t buf = mfn_of(copybuf);
	bool ok, pattern = true;
	int16_t st;

	memset(copybuf, 0, PAGE_SIZE);
	st = copy(GNTCOPY_source_gref, peer, ref, 64, DOMID_SELF, buf, 64,
		  PAGE_SIZE - 64);
	for (int i = 8; i < 512; i++)
		pattern &= c[i] == (0x600d000000000000UL | (uint64_t)i);
	ok = check(st == GNTST_okay && pattern && c[7] == 0,
		   "copy from d%u's ref %u: %d", peer, ref, st);
	c[0] = PEER_COPY;
	c[1] = self;
	st = copy(GNTCOPY_dest_gref, DOMID_SELF, buf, 0, peer, ref, 24, 16);
	ok &= check(st == GNTST_okay, "copy to d%u's ref %u: %d", peer, ref,
		    st);
	st = copy(GNTCOPY_source_gref, peer, ref + 1, 0, DOMID_SELF, buf, 0,
		  8);
	ok &= check(st == GNTST_general_error,
		    "copy from another domain's ref: %d (general_error)", st);
	st = copy(0, peer, buf, 0, DOMID_SELF, buf, 8, 8);
	ok &= check(st == GNTST_permission_denied,
		    "copy naming a frame with d%u: %d (permission_denied)",
		    peer, st);
	st = copy(GNTCOPY_source_gref, 0x7000, ref, 0, DOMID_SELF, buf, 0, 8);
	ok &= check(st == GNTST_bad_domain,
		    "copy from no such domain: %d (bad_domain)", st);
	return ok;
}

static void e2e_mapper(domid_t peer, bool hold)
{
	volatile uint64_t *p = (volatile uint64_t *)spare[0];
	uint64_t bus = 0;
	uint32_t h = 0;
	int16_t st = GNTST_general_error;
	bool pattern = true;
	long n;

	/* The granter may still be starting: retry until it has granted. */
	for (n = 0; n < PEER_WAIT; n++) {
		st = map(peer, PEER_REF + self, GNTMAP_host_map, va(spare[0]),
			 &h, &bus);
		if (st == GNTST_okay)
			break;
		yield();
	}
	if (!check(st == GNTST_okay, "map d%u's ref %u: %d", peer,
		   PEER_REF + self, st))
		return;
	check(bus >> PAGE_SHIFT >= start_info->nr_pages,
	      "mapped through our window (frame %#lx)", bus >> PAGE_SHIFT);
	for (int i = 8; i < 512; i++)
		pattern &= p[i] == (0x600d000000000000UL | (uint64_t)i);
	check(pattern, "the granter's page reads through the map");
	st = map(peer, PEER_REF + self + 1, GNTMAP_host_map, va(spare[1]),
		 NULL, NULL);
	check(st == GNTST_general_error,
	      "another domain's ref of it: %d (general_error)", st);
	st = map(peer, PEER_REF + self, GNTMAP_host_map | GNTMAP_readonly,
		 va(spare[1]), &handles[0], NULL);
	check(st == GNTST_okay && write_faults(spare[1], 1) &&
	      unmap(handles[0], va(spare[1]), 0) == GNTST_okay,
	      "a second, read-only map of it: %d", st);
	if (e2e_copy(peer) &&
	    check(p[3] == PEER_COPY && p[4] == self,
		  "the copy is in its page (seen through our map)"))
		printk("gntmap: copied both ways\n");
	p[2] = self;
	p[0] = PEER_MAGIC;
	if (hold) {
		uint32_t h2 = 0;
		uint64_t b2 = 0;

		printk("gntmap: holding the map of d%u\n", peer);
		for (n = 0; n < PEER_WAIT; n++) {
			st = map(peer, PEER_REF + self,
				 GNTMAP_device_map | GNTMAP_readonly, 0, &h2,
				 &b2);
			if (st != GNTST_okay)
				break;
			unmap(h2, 0, b2);
			yield();
		}
		check(st == GNTST_bad_domain, "the granter is gone: %d", st);
		pattern = true;
		for (int i = 8; i < 512; i++)
			pattern &= p[i] == (0x600d000000000000UL | (uint64_t)i);
		check(pattern && p[0] == PEER_MAGIC,
		      "its page still reads through our map");
	} else {
		for (n = 0; n < PEER_WAIT && p[1] != PEER_ACK; n++)
			yield();
		check(p[1] == PEER_ACK, "the granter saw our write");
	}
	st = unmap(h, va(spare[0]), 0);
	check(st == GNTST_okay && read_faults(spare[0]), "unmapped: %d", st);
}

/* ---- bench -------------------------------------------------------------- */

static void bench_map(void)
{
	uint64_t t0, cycles = 0;
	unsigned long bad = 0;
	uint32_t h = 0;

	grant(20, self, mfn_of(pages[5]), 0);
	for (unsigned long it = 0; it < iters; it++) {
		t0 = rdtsc();
		bad += map(self, 20, GNTMAP_host_map, va(spare[2]), &h, NULL)
		       != GNTST_okay;
		bad += unmap(h, va(spare[2]), 0) != GNTST_okay;
		cycles += rdtsc() - t0;
	}
	check(bad == 0, "map+unmap: %lu failures", bad);
	printk("BENCH gnttab_op_map_unmap ops=%lu bytes_per_op=0 ns=%lu "
	       "ns_per_op=%lu MBps=0\n", iters,
	       tsc_khz ? cycles * 1000000 / tsc_khz : 0,
	       tsc_khz ? cycles * 1000000 / tsc_khz / iters : 0);
	revoke(20);
}

/* ---- main ------------------------------------------------------------- */

static uint64_t cmdline_u64(const char *cl, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = cl; *p; p++) {
		if ((p == cl || p[-1] == ' ') && !strncmp(p, key, klen) &&
		    p[klen] == '=') {
			uint64_t v = 0;

			for (p += klen + 1; *p >= '0' && *p <= '9'; p++)
				v = v * 10 + (uint64_t)(*p - '0');
			return v;
		}
	}
	return 0;
}

void guest_main(struct start_info *si)
{
	const char *cl = (const char *)si->cmd_line;

	test_start("gntmap");
	tsc_khz = cmdline_u64(cl, "tsc_khz");
	if (cmdline_u64(cl, "iters"))
		iters = cmdline_u64(cl, "iters");
	for (const char *p = cl; *p; p++) {
		if ((p == cl || p[-1] == ' ') && !strncmp(p, "bench=", 6)) {
			size_t n = 0;

			for (p += 6; p[n] && p[n] != ' ' &&
				     n + 1 < sizeof(bench); n++)
				bench[n] = p[n];
			break;
		}
	}
	if (!check(trap_init() == 0, "set_trap_table") || !setup_table() ||
	    !find_self())
		test_end();
	if (bench[0]) {
		if (!strcmp(bench, "map"))
			bench_map();
		test_end();
	}
	for (const char *p = cl; *p; p++) {
		if ((p == cl || p[-1] == ' ') && !strncmp(p, "e2e=", 4)) {
			bool hold = cmdline_u64(cl, "hold");

			if (!strncmp(p + 4, "granter", 7))
				e2e_granter(hold);
			else
				e2e_mapper((domid_t)cmdline_u64(cl, "peer"),
					   hold);
			test_end();
		}
	}
	test_host_map();
	test_pte_and_replace();
	test_hostile();
	test_exhaustion();
	test_end();
}
