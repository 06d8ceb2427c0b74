/* SPDX-License-Identifier: MIT */
/*
 * grants: grant tables v1 from a PV guest's side.
 *
 *  1. grant_table_op as Linux uses it (query_size, set/get_version,
 *     setup_table with stable frames that the guest maps RW) and every
 *     error a domU can provoke (bad counts, pointers, domains, refs).
 *  2. GNTTABOP_copy between its own frames and through its own grants.
 *  3. With the dom0 test service (`pvctl run --test-service grants`, see
 *     mbox.h): pages granted to dom0 are mapped and copied by another
 *     process; the guest checks GTF_reading/GTF_writing, that revoking
 *     (Linux's gnttab_end_foreign_access protocol) is refused while the
 *     service holds a mapping and works after the unmap, and that the
 *     service refuses what the grants do not allow.
 *
 * Command line: "bench=NAME" runs throughput measures instead of the
 * service tests (BENCH lines, see bench/gnttab.sh): dom0 (the service
 * copies and maps), copy16 / copy1 (the guest's GNTTABOP_copy, 16 or 1
 * op per hypercall), all, or none (the baseline for exit counting);
 * "tsc_khz=N" converts cycles to time; "iters=N".
 */
#include <pvabi/grant_table.h>

#include <pvguest/pvguest.h>

#include "mbox.h"

#define NR_FRAMES	4
#define NR_PAGES	40
#define BENCH_REFS	16
#define SVC_TIMEOUT	30000000000ull	/* TSC cycles: ~10 s at 3 GHz */

static uint8_t gnt_area[NR_FRAMES + 4][PAGE_SIZE] __page_aligned;
static uint8_t mbox_page[PAGE_SIZE] __page_aligned;
static uint8_t pages[NR_PAGES][PAGE_SIZE] __page_aligned;
static xen_pfn_t frames[16];

static struct grant_entry_v1 *gnt;
static volatile struct gnt_mbox *mb;
static domid_t self_domid;
static uint64_t tsc_khz;
static unsigned long iters = 2000;
static char bench[16];		/* "": no bench; else bench=NAME */

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

static uint32_t mfn_of(const void *va)
{
	return (uint32_t)virt_to_mfn(va);
}

/* Linux's gnttab_grant_foreign_access_ref (v1): flags last. */
static void grant(grant_ref_t ref, domid_t dom, uint32_t frame,
		  uint16_t extra)
{
	gnt[ref].domid = dom;
	gnt[ref].frame = frame;
	__atomic_store_n(&gnt[ref].flags, GTF_permit_access | extra,
			 __ATOMIC_RELEASE);
}

static uint16_t gflags(grant_ref_t ref)
{
	return __atomic_load_n(&gnt[ref].flags, __ATOMIC_ACQUIRE);
}

/* Linux's gnttab_end_foreign_access_ref_v1: only while not in use. */
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

/* ---- 1. setup, size, version ---------------------------------------- */

static void test_query_and_version(void)
{
	struct gnttab_query_size q = { .dom = DOMID_SELF, .status = 99 };
	struct gnttab_get_version gv = { .dom = DOMID_SELF };
	struct gnttab_set_version sv;
	long rc;

	rc = gnttab_op(GNTTABOP_query_size, &q, 1);
	check(rc == 0 && q.status == GNTST_okay && q.nr_frames == 1 &&
	      q.max_nr_frames == 64,
	      "query_size: rc %ld status %d, %u of %u frames (1 of 64)", rc,
	      q.status, q.nr_frames, q.max_nr_frames);
	rc = gnttab_op(GNTTABOP_query_size, &q, 2);
	check(rc == -XEN_EINVAL, "query_size count 2: %ld (-EINVAL)", rc);
	q.dom = 0x1234;
	rc = gnttab_op(GNTTABOP_query_size, &q, 1);
	check(rc == 0 && q.status == GNTST_bad_domain,
	      "query_size other domain: status %d (bad_domain)", q.status);
	rc = gnttab_op(GNTTABOP_query_size, (void *)0x1000, 1);
	check(rc == -XEN_EFAULT, "query_size unmapped op: %ld (-EFAULT)", rc);

	rc = gnttab_op(GNTTABOP_get_version, &gv, 1);
	check(rc == 0 && gv.version == 1, "get_version: rc %ld version %u",
	      rc, gv.version);
	gv.dom = 0x1234;
	rc = gnttab_op(GNTTABOP_get_version, &gv, 1);
	check(rc == -XEN_ESRCH, "get_version other domain: %ld (-ESRCH)", rc);

	sv.version = 1;
	rc = gnttab_op(GNTTABOP_set_version, &sv, 1);
	check(rc == 0 && sv.version == 1, "set_version 1: rc %ld version %u",
	      rc, sv.version);
	/* v2 and back (tests/guests/grantv2 tests v2 itself). */
	sv.version = 2;
	rc = gnttab_op(GNTTABOP_set_version, &sv, 1);
	check(rc == 0 && sv.version == 2,
	      "set_version 2: rc %ld, version %u (2)", rc, sv.version);
	sv.version = 1;
	rc = gnttab_op(GNTTABOP_set_version, &sv, 1);
	check(rc == 0 && sv.version == 1,
	      "set_version 1 again: rc %ld, version %u (1)", rc, sv.version);
	sv.version = 0;
	rc = gnttab_op(GNTTABOP_set_version, &sv, 1);
	check(rc == -XEN_EINVAL && sv.version == 1,
	      "set_version 0: rc %ld (-EINVAL)", rc);
}

static long setup(domid_t dom, uint32_t nr, void *list, int16_t *status)
{
	struct gnttab_setup_table st = {
		.dom = dom, .nr_frames = nr, .status = 99,
		.frame_list = (uint64_t)(uintptr_t)list,
	};
	long rc = gnttab_op(GNTTABOP_setup_table, &st, 1);

	*status = st.status;
	return rc;
}

static void test_setup_table(void)
{
	struct gnttab_query_size q = { .dom = DOMID_SELF };
	xen_pfn_t again[16];
	int16_t status;
	bool distinct = true, stable = true;
	long rc;

	rc = setup(DOMID_SELF, NR_FRAMES, frames, &status);
	check(rc == 0 && status == GNTST_okay, "setup_table %u frames: rc %ld "
	      "status %d", NR_FRAMES, rc, status);
	for (int i = 0; i < NR_FRAMES; i++)
		for (int j = 0; j < i; j++)
			distinct &= frames[i] != frames[j];
	check(distinct && frames[0] >= start_info->nr_pages,
	      "frames distinct and outside RAM (%#lx %#lx %#lx %#lx)",
	      frames[0], frames[1], frames[2], frames[3]);

	rc = gnttab_op(GNTTABOP_query_size, &q, 1);
	check(rc == 0 && q.nr_frames == NR_FRAMES, "query_size now %u frames",
	      q.nr_frames);

	/* Linux grows by asking again for more: earlier frames stay put. */
	rc = setup(DOMID_SELF, NR_FRAMES + 4, again, &status);
	for (int i = 0; i < NR_FRAMES; i++)
		stable &= again[i] == frames[i];
	check(rc == 0 && status == GNTST_okay && stable,
	      "setup_table %u frames: the first %u unchanged", NR_FRAMES + 4,
	      NR_FRAMES);
	for (int i = 0; i < NR_FRAMES + 4; i++)
		frames[i] = again[i];
	rc = setup(DOMID_SELF, 2, again, &status);
	check(rc == 0 && status == GNTST_okay && again[0] == frames[0] &&
	      again[1] == frames[1], "setup_table 2 frames: same frames");
	rc = setup(DOMID_SELF, 0, NULL, &status);
	check(rc == 0 && status == GNTST_okay, "setup_table 0 frames: okay");

	rc = setup(DOMID_SELF, 65, again, &status);
	check(rc == 0 && status == GNTST_general_error,
	      "setup_table 65 frames (max 64): status %d (general_error)",
	      status);
	rc = setup(0x1234, 1, again, &status);
	check(rc == 0 && status == GNTST_bad_domain,
	      "setup_table other domain: status %d (bad_domain)", status);
	rc = setup(DOMID_SELF, 1, (void *)0x1000, &status);
	check(rc == 0 && status == GNTST_bad_virt_addr,
	      "setup_table unmapped frame_list: status %d (bad_virt_addr)",
	      status);
	rc = setup(DOMID_SELF, 1, (void *)0xffff808000000000ul, &status);
	check(rc == -XEN_EFAULT,
	      "setup_table frame_list in the hypervisor's slots: %ld (-EFAULT)",
	      rc);
	{
		struct gnttab_setup_table st = { .dom = DOMID_SELF };

		rc = gnttab_op(GNTTABOP_setup_table, &st, 0);
		check(rc == -XEN_EINVAL, "setup_table count 0: %ld (-EINVAL)",
		      rc);
	}

	/* Map the table, as arch_gnttab_map_shared does. */
	rc = 0;
	for (int i = 0; i < NR_FRAMES + 4; i++)
		rc |= map_page(gnt_area[i], frames[i],
			       _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED |
			       _PAGE_DIRTY);
	check(rc == 0, "grant frames mapped read/write");
	gnt = (struct grant_entry_v1 *)gnt_area;
	gnt[100].frame = 0xabcd;
	check(gnt[0].flags == 0 && gnt[100].frame == 0xabcd,
	      "the table starts empty and takes writes");
	gnt[100].frame = 0;
}

/* ---- 2. copy, map, swap from the guest ------------------------------ */

static struct gnttab_copy copy_op(uint16_t flags, uint64_t src, domid_t sdom,
				  uint16_t soff, uint64_t dst, domid_t ddom,
				  uint16_t doff, uint16_t len)
{
	struct gnttab_copy c = {
		.len = len, .flags = flags, .status = 99,
	};

	c.source.domid = sdom;
	c.source.offset = soff;
	c.dest.domid = ddom;
	c.dest.offset = doff;
	if (flags & GNTCOPY_source_gref)
		c.source.u.ref = (grant_ref_t)src;
	else
		c.source.u.gmfn = src;
	if (flags & GNTCOPY_dest_gref)
		c.dest.u.ref = (grant_ref_t)dst;
	else
		c.dest.u.gmfn = dst;
	return c;
}

static int16_t copy1(struct gnttab_copy c)
{
	long rc = gnttab_op(GNTTABOP_copy, &c, 1);

	return rc ? (int16_t)-1000 : c.status;
}

static void test_copy_self(void)
{
	struct gnttab_copy batch[3];
	uint32_t a = mfn_of(pages[0]), b = mfn_of(pages[1]);
	int16_t st;
	long rc;

	for (int i = 0; i < 4096; i++)
		pages[0][i] = (uint8_t)(i * 7);
	memset(pages[1], 0, PAGE_SIZE);
	st = copy1(copy_op(0, a, DOMID_SELF, 100, b, DOMID_SELF, 200, 300));
	check(st == GNTST_okay && !memcmp(pages[1] + 200, pages[0] + 100, 300)
	      && pages[1][199] == 0 && pages[1][500] == 0,
	      "copy frame to frame: status %d, bytes in place", st);
	st = copy1(copy_op(0, a, DOMID_SELF, 0, b, DOMID_SELF, 0, 4096));
	check(st == GNTST_okay && !memcmp(pages[1], pages[0], 4096),
	      "copy a whole page: status %d", st);
	st = copy1(copy_op(0, 0, 0x1234, 5000, 0, 0x1234, 5000, 0));
	check(st == GNTST_okay, "copy of 0 bytes looks at nothing: %d", st);
	st = copy1(copy_op(0, a, 0, 0, b, DOMID_SELF, 0, 8));
	check(st == GNTST_permission_denied,
	      "copy from a frame of domain 0: %d (permission_denied)", st);
	st = copy1(copy_op(GNTCOPY_source_gref, 10, 0x1234, 0, b, DOMID_SELF,
			   0, 8));
	check(st == GNTST_bad_domain, "copy from a grant of d0x1234: %d "
	      "(bad_domain)", st);
	st = copy1(copy_op(0, 1ull << 40, DOMID_SELF, 0, b, DOMID_SELF, 0, 8));
	check(st == GNTST_bad_page, "copy from a frame beyond RAM: %d "
	      "(bad_page)", st);
	st = copy1(copy_op(0, a, DOMID_SELF, 0, frames[0] + 100000,
			   DOMID_SELF, 0, 8));
	check(st == GNTST_bad_page, "copy to an unbacked frame: %d (bad_page)",
	      st);
	st = copy1(copy_op(0, a, DOMID_SELF, 4000, b, DOMID_SELF, 0, 200));
	check(st == GNTST_bad_copy_arg, "copy across the source page end: %d "
	      "(bad_copy_arg)", st);
	st = copy1(copy_op(0, a, DOMID_SELF, 0, b, DOMID_SELF, 4095, 2));
	check(st == GNTST_bad_copy_arg, "copy across the dest page end: %d "
	      "(bad_copy_arg)", st);
	st = copy1(copy_op(GNTCOPY_source_gref, (NR_FRAMES + 4) * 512,
			   DOMID_SELF, 0, b, DOMID_SELF, 0, 8));
	check(st == GNTST_bad_gntref, "copy from a ref past the table: %d "
	      "(bad_gntref)", st);
	st = copy1(copy_op(GNTCOPY_source_gref, 30, DOMID_SELF, 0, b,
			   DOMID_SELF, 0, 8));
	check(st == GNTST_general_error, "copy from an invalid entry: %d "
	      "(general_error)", st);
	/* The table's own frames may be copied to: they are ours to map. */
	st = copy1(copy_op(0, a, DOMID_SELF, 0, frames[NR_FRAMES + 3],
			   DOMID_SELF, 0, 8));
	check(st == GNTST_okay, "copy into a grant-table frame: %d", st);
	memset(gnt_area[NR_FRAMES + 3], 0, 8);

	batch[0] = copy_op(0, a, DOMID_SELF, 0, b, DOMID_SELF, 0, 16);
	batch[1] = copy_op(0, a, DOMID_SELF, 4090, b, DOMID_SELF, 0, 16);
	batch[2] = copy_op(0, a, DOMID_SELF, 16, b, DOMID_SELF, 16, 16);
	rc = gnttab_op(GNTTABOP_copy, batch, 3);
	check(rc == 0 && batch[0].status == GNTST_okay &&
	      batch[1].status == GNTST_bad_copy_arg &&
	      batch[2].status == GNTST_okay,
	      "copy batch: rc %ld, statuses %d %d %d (0 -10 0)", rc,
	      batch[0].status, batch[1].status, batch[2].status);
	rc = gnttab_op(GNTTABOP_copy, (void *)0x1000, 1);
	check(rc == -XEN_EFAULT, "copy with an unmapped op array: %ld", rc);
	rc = gnttab_op(GNTTABOP_copy, batch, 0x80000000u);
	check(rc == -XEN_EINVAL, "copy with a negative count: %ld", rc);
}

static void test_map_swap_misc(void)
{
	struct gnttab_map_grant_ref m = { .flags = 0, .ref = 9,
					  .dom = DOMID_SELF };
	struct gnttab_unmap_grant_ref u = { .handle = 0 };
	struct gnttab_swap_grant_ref sw = { .ref_a = 20, .ref_b = 21 };
	struct gnttab_get_status_frames gs = { .dom = DOMID_SELF };
	uint64_t list[1];
	long rc;

	rc = gnttab_op(GNTTABOP_map_grant_ref, &m, 1);
	check(rc == 0 && m.status == GNTST_bad_gntref,
	      "map_grant_ref without host/device map: %d (bad_gntref)",
	      m.status);
	m.flags = GNTMAP_host_map;
	m.host_addr = (uint64_t)(uintptr_t)pages[2];
	rc = gnttab_op(GNTTABOP_map_grant_ref, &m, 1);
	check(rc == 0 && m.status == GNTST_bad_domain,
	      "map_grant_ref of DOMID_SELF: %d (bad_domain, as Xen)",
	      m.status);
	rc = gnttab_op(GNTTABOP_unmap_grant_ref, &u, 1);
	check(rc == 0 && u.status == GNTST_bad_handle,
	      "unmap_grant_ref of a handle never given: %d (bad_handle)",
	      u.status);

	grant(20, 7, 0x111, 0);
	grant(21, 8, 0x222, GTF_readonly);
	rc = gnttab_op(GNTTABOP_swap_grant_ref, &sw, 1);
	check(rc == 0 && sw.status == GNTST_okay && gnt[20].domid == 8 &&
	      gnt[20].frame == 0x222 && gnt[21].domid == 7 &&
	      gnt[21].frame == 0x111 && (gnt[20].flags & GTF_readonly),
	      "swap_grant_ref 20 <-> 21: status %d", sw.status);
	sw.ref_b = 1u << 30;
	rc = gnttab_op(GNTTABOP_swap_grant_ref, &sw, 1);
	check(rc == 0 && sw.status == GNTST_bad_gntref,
	      "swap_grant_ref past the table: %d (bad_gntref)", sw.status);
	revoke(20);
	revoke(21);

	gs.nr_frames = 0;
	gs.frame_list = (uint64_t)(uintptr_t)list;
	rc = gnttab_op(GNTTABOP_get_status_frames, &gs, 1);
	check(rc == 0 && gs.status == GNTST_okay,
	      "get_status_frames 0 (v1): status %d", gs.status);
	gs.nr_frames = 1;
	rc = gnttab_op(GNTTABOP_get_status_frames, &gs, 1);
	check(rc == 0 && gs.status == GNTST_general_error,
	      "get_status_frames 1 (v1 has none): %d (general_error)",
	      gs.status);

	rc = gnttab_op(GNTTABOP_transfer, &m, 1);
	check(rc == -XEN_ENOSYS, "transfer: %ld (-ENOSYS, not implemented)",
	      rc);
	rc = gnttab_op(GNTTABOP_dump_table, &m, 1);
	check(rc == -XEN_ENOSYS, "dump_table: %ld (-ENOSYS)", rc);
	rc = gnttab_op(GNTTABOP_query_size | (1u << 12), &m, 1);
	check(rc == -XEN_EINVAL, "continuation bits from the guest: %ld "
	      "(-EINVAL)", rc);
}

/* ---- 3. the dom0 test service ---------------------------------------- */

static int32_t svc(uint32_t op)
{
	uint32_t seq = mb->req_seq + 1;
	uint64_t t0 = rdtsc();

	mb->op = op;
	mb->result = -9999;
	__atomic_store_n(&mb->req_seq, seq, __ATOMIC_RELEASE);
	while (__atomic_load_n(&mb->ack_seq, __ATOMIC_ACQUIRE) != seq) {
		if (rdtsc() - t0 > SVC_TIMEOUT)
			test_fail("no answer from the dom0 test service "
				  "(run with pvctl run --test-service grants)");
		asm volatile("pause");
	}
	return mb->result;
}

static int32_t svc_map(grant_ref_t ref, bool write, uint32_t *handle)
{
	int32_t rc;

	mb->ref = ref;
	mb->flags = write ? GNT_MAP_WRITE : 0;
	mb->offset = 0x100;
	mb->value = 0xfeedfacecafef00dull;
	rc = svc(GNT_OP_MAP);
	*handle = mb->handle;
	return rc;
}

static int32_t svc_unmap(uint32_t handle)
{
	mb->handle = handle;
	return svc(GNT_OP_UNMAP);
}

static int32_t svc_copy(uint32_t op, grant_ref_t ref, uint32_t off,
			uint32_t len)
{
	mb->ref = ref;
	mb->offset = off;
	mb->len = len;
	return svc(op);
}

static void test_service_hello(void)
{
	int32_t rc;

	memset(mbox_page, 0, PAGE_SIZE);
	mb = (volatile struct gnt_mbox *)mbox_page;
	mb->magic = GNT_MBOX_MAGIC;
	grant(GNT_MBOX_REF, 0, mfn_of(mbox_page), 0);
	rc = svc(GNT_OP_HELLO);
	self_domid = (domid_t)mb->domid;
	check(rc == 0 && mb->nr_entries == (NR_FRAMES + 4) * 512,
	      "dom0 service mapped the mailbox: we are d%u, %u entries",
	      self_domid, mb->nr_entries);
	check((gflags(GNT_MBOX_REF) & (GTF_reading | GTF_writing)) ==
	      (GTF_reading | GTF_writing), "mailbox entry shows reading|writing");
}

static void test_service_readonly(void)
{
	uint32_t h;
	int32_t rc;

	for (int i = 0; i < 4096; i++)
		pages[2][i] = (uint8_t)(0x30 + i % 61);
	grant(10, 0, mfn_of(pages[2]), GTF_readonly);
	rc = svc_map(10, false, &h);
	check(rc == 0 && !memcmp((const void *)mb->data, pages[2], 64),
	      "dom0 maps a read-only grant and reads it: %d", rc);
	check((gflags(10) & (GTF_reading | GTF_writing)) == GTF_reading,
	      "entry shows GTF_reading only: flags %#x", gflags(10));
	check(!revoke(10), "revoking while dom0 maps it is refused");
	{
		uint32_t h2;

		rc = svc_map(10, true, &h2);
		check(rc == -XEN_EPERM, "map a read-only grant for write: %d "
		      "(-EPERM)", rc);
	}
	check(svc_copy(GNT_OP_COPY_TO, 10, 0, 8) == -XEN_EPERM,
	      "copy into a read-only grant: -EPERM");
	rc = svc_copy(GNT_OP_COPY_FROM, 10, 16, 32);
	check(rc == 0 && !memcmp((const void *)mb->data, pages[2] + 16, 32),
	      "copy from a read-only grant while mapped: %d", rc);
	rc = svc_unmap(h);
	check(rc == 0 && !(gflags(10) & (GTF_reading | GTF_writing)),
	      "unmap clears the in-use bits: %d, flags %#x", rc, gflags(10));
	check(revoke(10) && gnt[10].flags == 0, "revoke after unmap works");
	check(svc_map(10, false, &h) == -XEN_EPERM,
	      "map a revoked grant: -EPERM");
	check(svc_unmap(h) == -XEN_EBADF, "unmap a stale handle: -EBADF");
}

static void test_service_readwrite(void)
{
	uint32_t h1, h2;
	int32_t rc;

	memset(pages[3], 0, PAGE_SIZE);
	grant(11, 0, mfn_of(pages[3]), 0);
	rc = svc_map(11, true, &h1);
	check(rc == 0 && *(volatile uint64_t *)(pages[3] + 0x100) ==
	      0xfeedfacecafef00dull, "dom0 writes through a writable map: %d",
	      rc);
	check((gflags(11) & (GTF_reading | GTF_writing)) ==
	      (GTF_reading | GTF_writing), "entry shows reading|writing");
	rc = svc_map(11, false, &h2);
	check(rc == 0, "a second, read-only mapping of the same grant: %d", rc);
	rc = svc_unmap(h1);
	check(rc == 0 && (gflags(11) & (GTF_reading | GTF_writing)) ==
	      GTF_reading, "unmapping the writer leaves GTF_reading: %#x",
	      gflags(11));
	check(!revoke(11), "revoke still refused (one mapping left)");
	rc = svc_unmap(h2);
	check(rc == 0 && !(gflags(11) & (GTF_reading | GTF_writing)),
	      "unmapping the last clears both bits");
	check(svc_unmap(h2) == -XEN_EBADF, "double unmap: -EBADF");
	check(revoke(11), "revoke after both unmaps works");

	/* copy_to, bounded by the page. */
	grant(15, 0, mfn_of(pages[4]), 0);
	for (int i = 0; i < 96; i++)
		mb->data[i] = (uint8_t)(0xa0 + i);
	rc = svc_copy(GNT_OP_COPY_TO, 15, 4000, 96);
	check(rc == 0 && !memcmp(pages[4] + 4000, (const void *)mb->data, 96),
	      "dom0 copies into a writable grant: %d", rc);
	check(svc_copy(GNT_OP_COPY_TO, 15, 4090, 10) == -XEN_EINVAL,
	      "copy across the page end: -EINVAL");
	check(!(gflags(15) & (GTF_reading | GTF_writing)) && revoke(15),
	      "a copy leaves no in-use bits behind");
}

static void test_service_refusals(void)
{
	uint32_t h;
	int32_t rc;

	grant(12, 5, mfn_of(pages[5]), 0);
	check(svc_map(12, false, &h) == -XEN_EPERM,
	      "map a grant made to d5: -EPERM");
	check(svc_copy(GNT_OP_COPY_FROM, 12, 0, 8) == -XEN_EPERM,
	      "copy a grant made to d5: -EPERM");
	revoke(12);
	check(svc_map((NR_FRAMES + 4) * 512, false, &h) == -XEN_EINVAL,
	      "map a ref past the table: -EINVAL");
	check(svc_map(0xffffffffu, false, &h) == -XEN_EINVAL,
	      "map ref 0xffffffff: -EINVAL");
	grant(13, 0, 0x7fff0000u, 0);
	rc = svc_map(13, false, &h);
	check(rc == -XEN_EFAULT && !(gflags(13) & (GTF_reading | GTF_writing)),
	      "map a grant of a frame beyond RAM: %d (-EFAULT), no bits left",
	      rc);
	revoke(13);
	grant(14, 0, mfn_of(pages[6]), GTF_sub_page);
	check(svc_map(14, false, &h) == -XEN_EPERM,
	      "map a sub-page grant: -EPERM");
	check(svc_copy(GNT_OP_COPY_FROM, 14, 0, 8) == 0,
	      "copy from it is allowed (v1, as Xen)");
	revoke(14);
	check(svc_map(16, false, &h) == -XEN_EPERM,
	      "map an entry never granted: -EPERM");
	mb->handle = 0;		/* the service's own mailbox handle */
	check(svc(GNT_OP_UNMAP) == -XEN_EBADF,
	      "the service refuses to unmap its mailbox for us");
	check(svc(77) == -XEN_ENOSYS, "unknown request: -ENOSYS");
}

/* A guest breaking the protocol hurts only itself. */
static void test_service_hostile(void)
{
	uint32_t h;
	int32_t rc;

	grant(16, 0, mfn_of(pages[7]), 0);
	rc = svc_map(16, true, &h);
	check(rc == 0, "map ref 16 writable: %d", rc);
	/* Revoke by force, ignoring the in-use bits. */
	__atomic_store_n(&gnt[16].flags, 0, __ATOMIC_SEQ_CST);
	check(svc_unmap(h) == 0, "unmap after a forced revoke still works");
	check(svc_map(16, false, &h) == -XEN_EPERM, "and the grant is gone");
	/* Shared pins: pvisord's copy sees dom0's pin on the entry. */
	grant(18, 0, mfn_of(pages[8]), 0);
	rc = svc_map(18, false, &h);
	check(rc == 0, "dom0 maps ref 18: %d", rc);
	check(copy1(copy_op(GNTCOPY_source_gref, 18, DOMID_SELF, 0,
			    mfn_of(pages[10]), DOMID_SELF, 0, 8)) ==
	      GNTST_general_error,
	      "our own copy through ref 18 (granted to d0) is refused");
	check(svc_unmap(h) == 0 && revoke(18), "unmap ref 18, revoke");
}

/* GNTTABOP_copy through grants the guest made to itself. */
static void test_copy_own_grants(void)
{
	int16_t st;

	for (int i = 0; i < 4096; i++)
		pages[11][i] = (uint8_t)(i ^ 0x5a);
	memset(pages[12], 0, PAGE_SIZE);
	grant(17, self_domid, mfn_of(pages[11]), GTF_readonly);
	st = copy1(copy_op(GNTCOPY_source_gref, 17, DOMID_SELF, 8,
			   mfn_of(pages[12]), DOMID_SELF, 16, 1000));
	check(st == GNTST_okay && !memcmp(pages[12] + 16, pages[11] + 8, 1000),
	      "copy from our own read-only grant: %d", st);
	check(!(gflags(17) & (GTF_reading | GTF_writing)),
	      "the copy's pin is gone afterwards");
	st = copy1(copy_op(GNTCOPY_dest_gref, mfn_of(pages[12]), DOMID_SELF, 0,
			   17, DOMID_SELF, 0, 8));
	check(st == GNTST_general_error,
	      "copy into our read-only grant: %d (general_error)", st);
	revoke(17);
}

static void test_service_quit(void)
{
	uint64_t t0 = rdtsc();

	check(svc(GNT_OP_QUIT) == 0, "service quits");
	while (gflags(GNT_MBOX_REF) & (GTF_reading | GTF_writing)) {
		if (rdtsc() - t0 > SVC_TIMEOUT)
			break;
		asm volatile("pause");
	}
	check(revoke(GNT_MBOX_REF), "the mailbox is ours again after the "
	      "service closed its grant handle");
}

/* ---- bench ------------------------------------------------------------- */

static void report_rate(const char *name, unsigned long ops,
			unsigned long bytes_per_op, uint64_t ns)
{
	uint64_t mbps = ns ? (uint64_t)ops * bytes_per_op * 1000 / ns : 0;

	printk("BENCH %s ops=%lu bytes_per_op=%lu ns=%lu ns_per_op=%lu "
	       "MBps=%lu\n", name, ops, bytes_per_op, ns, ns / ops, mbps);
}

static uint64_t cycles_to_ns(uint64_t c)
{
	return tsc_khz ? c * 1000000 / tsc_khz : 0;
}

static bool bench_want(const char *name)
{
	return !strcmp(bench, "all") || !strcmp(bench, name);
}

/* The service copies (4 KiB) and maps 16 pages granted to dom0. */
static void bench_dom0(void)
{
	for (int i = 0; i < BENCH_REFS; i++)
		grant(32 + i, 0, mfn_of(pages[16 + i]), 0);
	mb->ref = 32;
	mb->count = BENCH_REFS;
	mb->flags = GNT_BENCH_COPY;
	mb->value = iters * 10;
	check(svc(GNT_OP_BENCH) == 0, "dom0 copy bench ran");
	report_rate("gnttab_dom0_copy_4k", iters * 10, 4096, mb->value);
	mb->flags = GNT_BENCH_MAP;
	mb->value = iters;
	check(svc(GNT_OP_BENCH) == 0, "dom0 map bench ran");
	report_rate("gnttab_dom0_map_unmap", iters, 0, mb->value);
}

/* The guest's own GNTTABOP_copy, grant -> frame, batch ops per call. */
static void bench_guest_copy(const char *name, unsigned int batch_n)
{
	static struct gnttab_copy batch[BENCH_REFS];
	uint64_t t0, cycles = 0;
	unsigned long bad = 0;

	for (int i = 0; i < BENCH_REFS; i++)
		grant(64 + i, self_domid, mfn_of(pages[16 + i]), GTF_readonly);
	for (unsigned long it = 0; it < iters; it++) {
		for (unsigned int i = 0; i < batch_n; i++)
			batch[i] = copy_op(GNTCOPY_source_gref, 64 + i,
					   DOMID_SELF, 0, mfn_of(pages[0]),
					   DOMID_SELF, 0, 4096);
		t0 = rdtsc();
		bad += gnttab_op(GNTTABOP_copy, batch, batch_n) != 0;
		cycles += rdtsc() - t0;
		for (unsigned int i = 0; i < batch_n; i++)
			bad += batch[i].status != GNTST_okay;
	}
	check(bad == 0, "%s: %lu failures", name, bad);
	report_rate(name, iters * batch_n, 4096, cycles_to_ns(cycles));
}

static void run_bench(void)
{
	if (bench_want("dom0"))
		bench_dom0();
	if (bench_want("copy16"))
		bench_guest_copy("gnttab_op_copy_4k_batch16", BENCH_REFS);
	if (bench_want("copy1"))
		bench_guest_copy("gnttab_op_copy_4k_single", 1);
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

	test_start("grants");
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

	test_query_and_version();
	test_setup_table();
	if (!gnt)
		test_end();
	test_copy_self();
	test_map_swap_misc();

	test_service_hello();
	if (bench[0]) {
		run_bench();
		test_service_quit();
		test_end();
	}
	test_service_readonly();
	test_service_readwrite();
	test_service_refusals();
	test_service_hostile();
	test_copy_own_grants();
	test_service_quit();
	test_end();
}
