/* SPDX-License-Identifier: MIT */
/*
 * grantv2: grant tables version 2 from a PV guest's side.
 *
 *  1. v1 first: get_version says 1, get_status_frames has none to give.
 *  2. set_version 2: setup_table's frames now hold 256 16-byte entries,
 *     get_status_frames gives the status frames, which the guest maps;
 *     the reserved entries the builder filled come across (in-use bits
 *     in the status array).
 *  3. GNTTABOP_copy through v2 grants made to ourselves: full-page
 *     (source, destination, both), read-only, a frame above 32 bits,
 *     sub-page grants inside and outside their window, transitive
 *     grants (refused: not implemented), the status words clear after.
 *  4. set_version 3 is -EINVAL; back to v1: the status frames can no
 *     longer be mapped, the table is v1 again and copies work through it.
 */
#include <pvabi/grant_table.h>

#include <pvguest/pvguest.h>

#define NR_FRAMES	2
#define V2_PER_FRAME	256
#define NR_STATUS	1	/* 2 frames * 256 entries * 2 bytes: 1 page */

static uint8_t gnt_area[NR_FRAMES][PAGE_SIZE] __page_aligned;
static uint8_t status_area[PAGE_SIZE] __page_aligned;
static uint8_t pages[6][PAGE_SIZE] __page_aligned;

static union grant_entry_v2 *gnt2;
static struct grant_entry_v1 *gnt1;
static volatile grant_status_t *gstatus;
static xen_pfn_t frames[NR_FRAMES];
static uint64_t status_mfn;
static domid_t self;

static long gnttab_op(unsigned int cmd, void *op, unsigned int count)
{
	return HYPERVISOR_grant_table_op(cmd, op, count);
}

static uint64_t mfn_of(const void *va)
{
	return virt_to_mfn(va);
}

static uint32_t get_version(void)
{
	struct gnttab_get_version gv = { .dom = DOMID_SELF };
	long rc = gnttab_op(GNTTABOP_get_version, &gv, 1);

	return rc ? 0 : gv.version;
}

static long set_version(uint32_t ver, uint32_t *now)
{
	struct gnttab_set_version sv = { .version = ver };
	long rc = gnttab_op(GNTTABOP_set_version, &sv, 1);

	*now = sv.version;
	return rc;
}

static int16_t status_frames(uint32_t nr, uint64_t *list)
{
	struct gnttab_get_status_frames gs = {
		.nr_frames = nr, .dom = DOMID_SELF, .status = 99,
		.frame_list = (uint64_t)(uintptr_t)list,
	};
	long rc = gnttab_op(GNTTABOP_get_status_frames, &gs, 1);

	return rc ? (int16_t)-1000 : gs.status;
}

static int16_t setup(uint32_t nr, xen_pfn_t *list)
{
	struct gnttab_setup_table st = {
		.dom = DOMID_SELF, .nr_frames = nr, .status = 99,
		.frame_list = (uint64_t)(uintptr_t)list,
	};
	long rc = gnttab_op(GNTTABOP_setup_table, &st, 1);

	return rc ? (int16_t)-1000 : st.status;
}

static int16_t copy1(struct gnttab_copy c);
static struct gnttab_copy copy_op(uint16_t flags, uint64_t src, uint16_t soff,
				  uint64_t dst, uint16_t doff, uint16_t len);

/*
 * Our domid, which a grant to ourselves must name: the one for which a
 * copy through a (v1) grant made to it succeeds.
 */
static domid_t find_self(void)
{
	const grant_ref_t ref = 9;

	for (uint32_t d = 0; d < DOMID_FIRST_RESERVED; d++) {
		int16_t st;

		gnt1[ref].domid = (domid_t)d;
		gnt1[ref].frame = (uint32_t)virt_to_mfn(pages[0]);
		__atomic_store_n(&gnt1[ref].flags,
				 GTF_permit_access | GTF_readonly,
				 __ATOMIC_RELEASE);
		st = copy1(copy_op(GNTCOPY_source_gref, ref, 0,
				   virt_to_mfn(pages[1]), 0, 1));
		gnt1[ref].flags = 0;
		if (st == GNTST_okay)
			return (domid_t)d;
	}
	test_fail("no domid of ours lets us copy through our own grant");
}

/* Linux's v2 grant: frame (and window) first, flags last. */
static void grant2(grant_ref_t ref, uint64_t frame, uint16_t flags)
{
	gnt2[ref].hdr.domid = self;
	gnt2[ref].full_page.frame = frame;
	__atomic_store_n(&gnt2[ref].hdr.flags, GTF_permit_access | flags,
			 __ATOMIC_RELEASE);
}

static void grant2_sub(grant_ref_t ref, uint64_t frame, uint16_t off,
		       uint16_t len, uint16_t flags)
{
	gnt2[ref].sub_page.page_off = off;
	gnt2[ref].sub_page.length = len;
	grant2(ref, frame, GTF_sub_page | flags);
}

static void revoke2(grant_ref_t ref)
{
	__atomic_store_n(&gnt2[ref].hdr.flags, 0, __ATOMIC_SEQ_CST);
}

static struct gnttab_copy copy_op(uint16_t flags, uint64_t src, uint16_t soff,
				  uint64_t dst, uint16_t doff, uint16_t len)
{
	struct gnttab_copy c = { .len = len, .flags = flags, .status = 99 };

	c.source.domid = DOMID_SELF;
	c.source.offset = soff;
	c.dest.domid = DOMID_SELF;
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

static const uint32_t map_rw = _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED |
			       _PAGE_DIRTY;

/* ---- 1. v1 ------------------------------------------------------------ */

static void test_v1_start(void)
{
	uint64_t list[2];
	long rc;

	check(get_version() == 1, "get_version: %u (1)", get_version());
	check(status_frames(0, list) == GNTST_okay,
	      "get_status_frames 0 under v1: okay");
	check(status_frames(1, list) == GNTST_general_error,
	      "get_status_frames 1 under v1: general_error");
	check(setup(NR_FRAMES, frames) == GNTST_okay, "setup_table %u frames",
	      NR_FRAMES);
	rc = 0;
	for (int i = 0; i < NR_FRAMES; i++)
		rc |= map_page(gnt_area[i], frames[i], map_rw);
	check(rc == 0, "grant frames mapped read/write");
	gnt1 = (struct grant_entry_v1 *)gnt_area;
	gnt2 = (union grant_entry_v2 *)gnt_area;
	self = find_self();
}

/* ---- 2. switching to v2 ------------------------------------------------ */

static void test_to_v2(void)
{
	struct gnttab_query_size q = { .dom = DOMID_SELF };
	struct grant_entry_v1 res[GNTTAB_NR_RESERVED_ENTRIES];
	const uint16_t inuse = GTF_reading | GTF_writing;
	xen_pfn_t again[NR_FRAMES];
	uint64_t list[2] = { 0, 0 };
	uint32_t now;
	bool same = true;
	long rc;

	for (int i = 0; i < GNTTAB_NR_RESERVED_ENTRIES; i++)
		res[i] = gnt1[i];
	gnt1[100].domid = self;
	gnt1[100].frame = (uint32_t)mfn_of(pages[0]);
	gnt1[100].flags = GTF_permit_access;

	rc = set_version(2, &now);
	check(rc == 0 && now == 2, "set_version 2: rc %ld, version %u", rc,
	      now);
	check(get_version() == 2, "get_version: %u (2)", get_version());
	rc = set_version(2, &now);
	check(rc == 0 && now == 2, "set_version 2 again: rc %ld", rc);

	/* Same frames; 256 entries each now; the old entries gone. */
	check(setup(NR_FRAMES, again) == GNTST_okay &&
	      again[0] == frames[0] && again[1] == frames[1],
	      "setup_table under v2: the same frames");
	rc = gnttab_op(GNTTABOP_query_size, &q, 1);
	check(rc == 0 && q.nr_frames == NR_FRAMES, "query_size: %u frames",
	      q.nr_frames);
	check(gnt2[50].hdr.flags == 0 && gnt2[50].full_page.frame == 0,
	      "v1 entry 100 is gone (its bytes were v2 entry 50)");
	check(copy1(copy_op(GNTCOPY_source_gref, NR_FRAMES * V2_PER_FRAME, 0,
			    mfn_of(pages[1]), 0, 8)) == GNTST_bad_gntref,
	      "ref %u is past a v2 table of %u frames: bad_gntref",
	      NR_FRAMES * V2_PER_FRAME, NR_FRAMES);

	/* The status frames: as many as cover the entries, no more. */
	check(status_frames(NR_STATUS, list) == GNTST_okay && list[0],
	      "get_status_frames %u: frame %#lx", NR_STATUS,
	      (unsigned long)list[0]);
	check(status_frames(NR_STATUS + 1, list + 1) == GNTST_general_error,
	      "get_status_frames %u: general_error", NR_STATUS + 1);
	check(status_frames(1, (uint64_t *)0x1000) == GNTST_bad_virt_addr,
	      "get_status_frames to an unmapped list: bad_virt_addr");
	status_mfn = list[0];
	check(status_mfn >= start_info->nr_pages && status_mfn != frames[0] &&
	      status_mfn != frames[1], "the status frame is its own, not RAM");
	rc = map_page(status_area, status_mfn, map_rw);
	check(rc == 0, "status frame mapped: %ld", rc);
	gstatus = (volatile grant_status_t *)status_area;

	/*
	 * The builder's reserved entries came across, in-use bits (a
	 * backend may map the console or xenstore ring at any moment, so
	 * their values are not compared) in the status words, not the flags.
	 */
	for (int i = 0; i < GNTTAB_NR_RESERVED_ENTRIES; i++)
		same &= gnt2[i].hdr.flags == (res[i].flags & ~inuse) &&
			gnt2[i].hdr.domid == res[i].domid &&
			gnt2[i].full_page.frame == res[i].frame &&
			!(gstatus[i] & ~inuse);
	check(same, "reserved entries carried over (console %#x/%u/%#x, "
	      "xenstore %#x/%u/%#x; status %#x %#x)", gnt2[0].hdr.flags,
	      gnt2[0].hdr.domid, (unsigned)gnt2[0].full_page.frame,
	      gnt2[1].hdr.flags, gnt2[1].hdr.domid,
	      (unsigned)gnt2[1].full_page.frame, gstatus[0], gstatus[1]);
}

/* ---- 3. copies through v2 grants --------------------------------------- */

static void test_copy_full_page(void)
{
	const uint16_t SG = GNTCOPY_source_gref, DG = GNTCOPY_dest_gref;
	int16_t st;

	for (unsigned int i = 0; i < PAGE_SIZE; i++)
		pages[0][i] = (uint8_t)(i * 7 + 3);
	memset(pages[1], 0, PAGE_SIZE);
	memset(pages[2], 0, PAGE_SIZE);
	grant2(10, mfn_of(pages[0]), GTF_readonly);
	grant2(11, mfn_of(pages[2]), 0);

	st = copy1(copy_op(SG, 10, 8, mfn_of(pages[1]), 16, 1000));
	check(st == GNTST_okay && !memcmp(pages[1] + 16, pages[0] + 8, 1000),
	      "copy from a v2 read-only grant: %d", st);
	st = copy1(copy_op(DG, mfn_of(pages[0]), 0, 11, 0, 4096));
	check(st == GNTST_okay && !memcmp(pages[2], pages[0], 4096),
	      "copy into a v2 grant: %d", st);
	memset(pages[2], 0, PAGE_SIZE);
	st = copy1(copy_op(SG | DG, 10, 100, 11, 200, 300));
	check(st == GNTST_okay && !memcmp(pages[2] + 200, pages[0] + 100, 300),
	      "copy grant to grant: %d", st);
	check(gstatus[10] == 0 && gstatus[11] == 0,
	      "status words clear after the copies (%#x %#x)", gstatus[10],
	      gstatus[11]);
	check(gnt2[10].hdr.flags == (GTF_permit_access | GTF_readonly) &&
	      gnt2[11].hdr.flags == GTF_permit_access,
	      "the entries' flags untouched: v2 keeps in-use bits apart");
	st = copy1(copy_op(DG, mfn_of(pages[1]), 0, 10, 0, 8));
	check(st == GNTST_general_error,
	      "copy into a read-only v2 grant: %d (general_error)", st);

	grant2(12, (1ull << 32) | mfn_of(pages[0]), 0);
	st = copy1(copy_op(SG, 12, 0, mfn_of(pages[1]), 0, 8));
	check(st == GNTST_bad_page && gstatus[12] == 0,
	      "a v2 frame above 32 bits: %d (bad_page)", st);
	grant2(12, start_info->nr_pages + 5, 0);
	st = copy1(copy_op(SG, 12, 0, mfn_of(pages[1]), 0, 8));
	check(st == GNTST_bad_page, "a v2 frame beyond RAM: %d (bad_page)",
	      st);
	revoke2(12);
	st = copy1(copy_op(SG, 12, 0, mfn_of(pages[1]), 0, 8));
	check(st == GNTST_general_error, "a revoked v2 entry: %d", st);
	gnt2[13].hdr.domid = (domid_t)(self + 1);
	gnt2[13].full_page.frame = mfn_of(pages[0]);
	gnt2[13].hdr.flags = GTF_permit_access;
	st = copy1(copy_op(SG, 13, 0, mfn_of(pages[1]), 0, 8));
	check(st == GNTST_general_error, "a v2 grant to another domain: %d",
	      st);
	revoke2(13);
}

static void test_copy_sub_page(void)
{
	const uint16_t SG = GNTCOPY_source_gref, DG = GNTCOPY_dest_gref;
	int16_t st;

	memset(pages[3], 0, PAGE_SIZE);
	/* Bytes [256, 768) of pages[0]. */
	grant2_sub(20, mfn_of(pages[0]), 256, 512, GTF_readonly);
	st = copy1(copy_op(SG, 20, 256, mfn_of(pages[3]), 0, 512));
	check(st == GNTST_okay && !memcmp(pages[3], pages[0] + 256, 512),
	      "copy the whole window of a sub-page grant: %d", st);
	st = copy1(copy_op(SG, 20, 700, mfn_of(pages[3]), 0, 68));
	check(st == GNTST_okay, "copy inside the window: %d", st);
	st = copy1(copy_op(SG, 20, 255, mfn_of(pages[3]), 0, 8));
	check(st == GNTST_general_error,
	      "copy starting before the window: %d (general_error)", st);
	st = copy1(copy_op(SG, 20, 700, mfn_of(pages[3]), 0, 69));
	check(st == GNTST_general_error,
	      "copy running past the window: %d (general_error)", st);
	st = copy1(copy_op(SG, 20, 4000, mfn_of(pages[3]), 0, 200));
	check(st == GNTST_bad_copy_arg,
	      "copy past the page end: %d (bad_copy_arg first)", st);
	check(gstatus[20] == 0, "status clear after the sub-page copies");

	/* A writable window as the destination. */
	memset(pages[4], 0xee, PAGE_SIZE);
	grant2_sub(21, mfn_of(pages[4]), 1024, 16, 0);
	st = copy1(copy_op(DG, mfn_of(pages[0]), 0, 21, 1024, 16));
	check(st == GNTST_okay && !memcmp(pages[4] + 1024, pages[0], 16) &&
	      pages[4][1023] == 0xee && pages[4][1040] == 0xee,
	      "copy into a sub-page window: %d", st);
	st = copy1(copy_op(DG, mfn_of(pages[0]), 0, 21, 1020, 16));
	check(st == GNTST_general_error && pages[4][1020] == 0xee,
	      "copy into bytes outside the window: %d (general_error)", st);
	revoke2(20);
	revoke2(21);

	/* Transitive grants are not implemented: refused. */
	gnt2[22].transitive.trans_domid = 0;
	gnt2[22].transitive.gref = 1;
	gnt2[22].hdr.domid = self;
	__atomic_store_n(&gnt2[22].hdr.flags, GTF_transitive,
			 __ATOMIC_RELEASE);
	st = copy1(copy_op(SG, 22, 0, mfn_of(pages[3]), 0, 8));
	check(st == GNTST_general_error && gstatus[22] == 0,
	      "copy through a transitive grant: %d (general_error)", st);
	revoke2(22);
}

/* ---- 4. back to v1 ------------------------------------------------------ */

static void test_back_to_v1(void)
{
	uint64_t list[1];
	uint32_t now;
	int16_t st;
	long rc;

	rc = set_version(3, &now);
	check(rc == -XEN_EINVAL && now == 2,
	      "set_version 3: rc %ld (-EINVAL), version %u (2)", rc, now);
	rc = set_version(0, &now);
	check(rc == -XEN_EINVAL && now == 2, "set_version 0: rc %ld", rc);

	/* Like Xen's, our status frames go away with v2: unmap first. */
	check(unmap_page(status_area) == 0, "status frame unmapped");
	gstatus = NULL;
	grant2(30, mfn_of(pages[0]), 0);	/* dropped by the switch */
	rc = set_version(1, &now);
	check(rc == 0 && now == 1, "set_version 1: rc %ld, version %u", rc,
	      now);
	check(get_version() == 1, "get_version: %u (1)", get_version());
	check(status_frames(1, list) == GNTST_general_error,
	      "get_status_frames 1 under v1 again: general_error");
	rc = map_page(status_area, status_mfn, map_rw);
	check(rc != 0, "the old status frame cannot be mapped under v1: %ld",
	      rc);
	check(gnt1[60].flags == 0 && gnt1[60].frame == 0 &&
	      gnt1[61].frame == 0, "v2 entry 30 is gone");

	for (unsigned int i = 0; i < PAGE_SIZE; i++)
		pages[5][i] = (uint8_t)(i ^ 0xa5);
	memset(pages[3], 0, PAGE_SIZE);
	gnt1[300].domid = self;
	gnt1[300].frame = (uint32_t)mfn_of(pages[5]);
	__atomic_store_n(&gnt1[300].flags, GTF_permit_access | GTF_readonly,
			 __ATOMIC_RELEASE);
	st = copy1(copy_op(GNTCOPY_source_gref, 300, 0, mfn_of(pages[3]), 0,
			   4096));
	check(st == GNTST_okay && !memcmp(pages[3], pages[5], 4096) &&
	      gnt1[300].flags == (GTF_permit_access | GTF_readonly),
	      "copy through a v1 grant again (ref 300, past v2's 256 per "
	      "frame): %d", st);
	gnt1[300].flags = 0;
}

void guest_main(struct start_info *si)
{
	(void)si;
	test_start("grantv2");
	test_v1_start();
	test_to_v2();
	if (!gstatus)
		test_end();
	test_copy_full_page();
	test_copy_sub_page();
	test_back_to_v1();
	test_end();
}
