/* SPDX-License-Identifier: MIT */
/*
 * blkhostile: a block frontend that lies. It connects to its one disk
 * (xvda, device/vbd/51712) the way xen-blkfront does, makes sure good
 * requests work, then sends the backend one malformed request at a
 * time: grants that do not exist or do not allow the access, segment
 * counts and sector ranges out of bounds, operations nobody offered,
 * indirect pages full of garbage, writes to a read-only disk. Each must
 * be answered with an error carrying the request's id, and a good read
 * must still work afterwards. Last, it publishes a producer index far
 * beyond the ring; the backend must give the ring up (and live).
 *
 * The disk image is laid out by tests/e2e/block-hostile.sh: sector s
 * starts with "PVBLK-PATTERN s=%08u\n" and byte j of it (j >= 25) is
 * (s + j) & 0xff. Sectors this guest writes start "PVBLK-WRITTEN".
 *
 * Command line: "ro" when the disk is read-only (the write-to-ro
 * checks replace the write checks); "hold": after the checks, wait (at
 * most 60 s) for control/shutdown before reporting, so that the test
 * can look at the backend while the disk still exists.
 *
 * Every wait is bounded: no response within 10 s is a failure.
 */
#include <pvabi/grant_table.h>
#include <pvabi/io/blkif.h>
#include <pvabi/io/xenbus.h>
#include <pvabi/io/xs_wire.h>
#include <pvabi/sched.h>

#include <pvguest/events.h>
#include <pvguest/pvguest.h>
#include <pvguest/time.h>

#define VBD_DEVID	51712u		/* xvda: 202 << 8 */
#define SECTOR		512u
#define SECTORS_PER_PAGE 8u
#define NS_PER_MS	1000000ull
#define NS_PER_S	1000000000ull
#define WAIT_NS		(10 * NS_PER_S)	/* a response, a reply, a state */

#define WRITE_SECTOR	2048u		/* the good write (1 MiB in) */
#define BADWRITE_SECTOR	4096u		/* writes that must not land */
#define NONEXISTENT_REF	0xfffffff0u

_Static_assert(sizeof(struct blkif_request) == 112, "blkif request slot");
_Static_assert(sizeof(struct blkif_response) == 16, "blkif response");
_Static_assert(sizeof(struct blkif_request_segment) == 8, "segment");
_Static_assert(sizeof(struct blkif_request_indirect) <=
	       sizeof(struct blkif_request), "indirect fits a slot");
_Static_assert(sizeof(struct blkif_request_discard) <=
	       sizeof(struct blkif_request), "discard fits a slot");

/* Grant references this guest fills (0-7 are the toolstack's). */
enum {
	R_RING = 8,
	R_DATA0,		/* 4 data pages, read/write for dom0 */
	R_DATA3 = R_DATA0 + 3,
	R_RO,			/* a data page granted read-only */
	R_NOFLAGS,		/* frame and domid 0, but no GTF_permit_access */
	R_OTHERDOM,		/* permit_access, to a domain that is not 0 */
	R_TRANSFER,		/* GTF_accept_transfer, not permit_access */
	R_BADFRAME,		/* permit_access of a frame outside RAM */
	R_GNTFRAME,		/* permit_access of the grant table's frame */
	R_PGTABLE,		/* permit_access (rw) of our L4 page table */
	R_IND0,			/* indirect segment pages */
	R_IND1,
	R_IND_NOGRANT,		/* an indirect page's ref, never granted */
	R_LAST
};

static uint8_t gnt_area[PAGE_SIZE] __page_aligned;
static uint8_t ring_page[PAGE_SIZE] __page_aligned;
static uint8_t data[4][PAGE_SIZE] __page_aligned;
static uint8_t ro_page[PAGE_SIZE] __page_aligned;
static uint8_t ind_page[2][PAGE_SIZE] __page_aligned;

static struct grant_entry_v1 *gnt;
static xen_pfn_t gnt_frames[1];
static uint32_t gnt_entries;

static struct xenstore_domain_interface *xs;
static evtchn_port_t xs_port, blk_port;

static blkif_sring_t *sring;
static blkif_front_ring_t front;

static char be_path[128];
static uint64_t disk_sectors;
static bool disk_ro, want_hold, be_discard;
static uint64_t id_counter;

/* ------------------------------------------------------- helpers -- */

static uint64_t deadline_in(uint64_t ns)
{
	return pv_now() + ns;
}

/* Sleep on ports until one is pending, for at most ms (and the deadline). */
static void nap(evtchn_port_t *ports, unsigned int n, uint64_t ms,
		uint64_t deadline)
{
	uint64_t until = pv_now() + ms * NS_PER_MS;

	if (until > deadline)
		until = deadline;
	sched_poll(ports, n, until);
	for (unsigned int i = 0; i < n; i++)
		evtchn_clear_pending(ports[i]);
}

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static bool cmdline_has(const char *word)
{
	const char *cl = (const char *)start_info->cmd_line;
	size_t n = strlen(word);

	for (const char *p = cl; *p; p++)
		if ((p == cl || p[-1] == ' ') && !strncmp(p, word, n) &&
		    (p[n] == '\0' || p[n] == ' '))
			return true;
	return false;
}

static uint64_t parse_u64(const char *s, bool *ok)
{
	uint64_t v = 0;

	*ok = *s != '\0';
	for (; *s; s++) {
		if (*s < '0' || *s > '9') {
			*ok = false;
			break;
		}
		v = v * 10 + (uint64_t)(*s - '0');
	}
	return v;
}

/* ------------------------------------------------------ xenstore -- */

static void xs_notify(void)
{
	evtchn_send(xs_port);
}

static void xs_put(const void *buf, size_t len, uint64_t deadline)
{
	const char *p = buf;
	XENSTORE_RING_IDX prod = xs->req_prod;

	for (size_t i = 0; i < len; i++) {
		while (prod - __atomic_load_n(&xs->req_cons, __ATOMIC_ACQUIRE) >=
		       XENSTORE_RING_SIZE) {
			__atomic_store_n(&xs->req_prod, prod, __ATOMIC_RELEASE);
			xs_notify();
			if (pv_now() > deadline)
				test_fail("xenstore: request ring full for 10 s");
			nap(&xs_port, 1, 10, deadline);
		}
		xs->req[MASK_XENSTORE_IDX(prod++)] = p[i];
	}
	__atomic_store_n(&xs->req_prod, prod, __ATOMIC_RELEASE);
}

static void xs_get(void *buf, size_t len, uint64_t deadline)
{
	char *p = buf;

	while (__atomic_load_n(&xs->rsp_prod, __ATOMIC_ACQUIRE) - xs->rsp_cons <
	       len) {
		if (pv_now() > deadline)
			test_fail("xenstore: no reply within 10 s");
		nap(&xs_port, 1, 10, deadline);
	}
	for (size_t i = 0; i < len; i++)
		p[i] = xs->rsp[MASK_XENSTORE_IDX(xs->rsp_cons + i)];
	__atomic_store_n(&xs->rsp_cons, xs->rsp_cons + (uint32_t)len,
			 __ATOMIC_RELEASE);
	xs_notify();
}

/* One request; 0 and the reply's payload in out, or -1 on XS_ERROR. */
static int xs_call(uint32_t type, const char *path, const char *val,
		   char *out, size_t cap)
{
	static uint32_t req_id = 100;
	uint64_t deadline = deadline_in(WAIT_NS);
	struct xsd_sockmsg h = { .type = type, .req_id = ++req_id };
	size_t lp = strlen(path) + 1, lv = val ? strlen(val) : 0;
	static char body[XENSTORE_PAYLOAD_MAX + 1];

	h.len = (uint32_t)(lp + lv);
	xs_put(&h, sizeof(h), deadline);
	xs_put(path, lp, deadline);
	if (val)
		xs_put(val, lv, deadline);
	xs_notify();
	for (;;) {
		xs_get(&h, sizeof(h), deadline);
		if (h.len > XENSTORE_PAYLOAD_MAX)
			test_fail("xenstore: reply of %u bytes", h.len);
		xs_get(body, h.len, deadline);
		body[h.len] = '\0';
		if (h.type == XS_WATCH_EVENT || h.req_id != req_id)
			continue;	/* not ours */
		if (h.type == XS_ERROR)
			return -1;
		if (out) {
			size_t n = h.len < cap - 1 ? h.len : cap - 1;

			memcpy(out, body, n);
			out[n] = '\0';
		}
		return 0;
	}
}

static int xs_read(const char *path, char *out, size_t cap)
{
	return xs_call(XS_READ, path, NULL, out, cap);
}

static int xs_write(const char *path, const char *val)
{
	return xs_call(XS_WRITE, path, val, NULL, 0);
}

static int xs_read_u64(const char *path, uint64_t *v)
{
	char buf[32];
	bool ok;

	if (xs_read(path, buf, sizeof(buf)))
		return -1;
	*v = parse_u64(buf, &ok);
	return ok ? 0 : -1;
}

static void fe_write(const char *key, const char *fmt, ...) __printf(2, 3);
static void fe_write(const char *key, const char *fmt, ...)
{
	char path[96], val[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "device/vbd/%u/%s", VBD_DEVID, key);
	if (xs_write(path, val))
		test_fail("xenstore: cannot write %s = %s", path, val);
}

static int be_read(const char *key, char *out, size_t cap)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/%s", be_path, key);
	return xs_read(path, out, cap);
}

/* Poll the backend's state until it is want; bail out on Closing/Closed. */
static uint64_t wait_be_state(uint64_t want, uint64_t timeout_ns)
{
	uint64_t deadline = deadline_in(timeout_ns), st = 0;
	char path[192];

	snprintf(path, sizeof(path), "%s/state", be_path);
	for (;;) {
		if (xs_read_u64(path, &st) == 0 &&
		    (st == want || st >= XenbusStateClosing))
			return st;
		if (pv_now() > deadline)
			return st;
		nap(&xs_port, 1, 20, deadline);
	}
}

/* ------------------------------------------------------- grants -- */

static void grant(grant_ref_t ref, domid_t dom, uint32_t frame,
		  uint16_t flags)
{
	gnt[ref].domid = dom;
	gnt[ref].frame = frame;
	__atomic_store_n(&gnt[ref].flags, flags, __ATOMIC_RELEASE);
}

static uint32_t frame_of(const void *va)
{
	return (uint32_t)virt_to_mfn(va);
}

static void grants_init(void)
{
	struct gnttab_setup_table st = {
		.dom = DOMID_SELF, .nr_frames = 1,
		.frame_list = (uint64_t)(uintptr_t)gnt_frames,
	};
	struct gnttab_query_size q = { .dom = DOMID_SELF };
	const uint8_t *l4 = (const uint8_t *)start_info->pt_base;
	long rc;

	rc = HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &st, 1);
	if (rc || st.status != GNTST_okay)
		test_fail("grant table setup: rc %ld status %d", rc, st.status);
	rc = map_page(gnt_area, gnt_frames[0], _PAGE_PRESENT | _PAGE_RW |
		      _PAGE_ACCESSED | _PAGE_DIRTY);
	if (rc)
		test_fail("cannot map the grant table frame: %ld", rc);
	gnt = (struct grant_entry_v1 *)gnt_area;
	rc = HYPERVISOR_grant_table_op(GNTTABOP_query_size, &q, 1);
	if (rc || q.status != GNTST_okay || !q.nr_frames)
		test_fail("grant table query_size: rc %ld status %d", rc,
			  q.status);
	gnt_entries = q.nr_frames * (uint32_t)(PAGE_SIZE / sizeof(*gnt));

	grant(R_RING, 0, frame_of(ring_page), GTF_permit_access);
	for (int i = 0; i < 4; i++)
		grant(R_DATA0 + i, 0, frame_of(data[i]), GTF_permit_access);
	grant(R_RO, 0, frame_of(ro_page), GTF_permit_access | GTF_readonly);
	grant(R_NOFLAGS, 0, frame_of(data[0]), 0);
	grant(R_OTHERDOM, 1234, frame_of(data[0]), GTF_permit_access);
	grant(R_TRANSFER, 0, frame_of(data[0]), GTF_accept_transfer);
	grant(R_BADFRAME, 0, 0xffffff00u, GTF_permit_access);
	grant(R_GNTFRAME, 0, (uint32_t)gnt_frames[0], GTF_permit_access);
	grant(R_PGTABLE, 0, frame_of(l4), GTF_permit_access);
	grant(R_IND0, 0, frame_of(ind_page[0]),
	      GTF_permit_access | GTF_readonly);
	grant(R_IND1, 0, frame_of(ind_page[1]),
	      GTF_permit_access | GTF_readonly);
	/* R_IND_NOGRANT stays empty. */
}

/* --------------------------------------------------------- ring -- */

union req_slot {
	struct blkif_request rw;
	struct blkif_request_discard dis;
	struct blkif_request_indirect ind;
	uint8_t raw[sizeof(struct blkif_request)];
};

static uint64_t new_id(void)
{
	/* Distinct, and with high bits set, so a truncated echo shows. */
	return 0xb10c000000000000ull | (++id_counter << 8) | 0x5a;
}

/* Put one request in the next slot (not yet published). */
static void queue_req(const union req_slot *u)
{
	void *slot = RING_GET_REQUEST(&front, front.req_prod_pvt);

	memcpy(slot, u->raw, sizeof(u->raw));
	front.req_prod_pvt++;
}

static void push_reqs(void)
{
	int notify;

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&front, notify);
	if (notify)
		evtchn_send(blk_port);
}

/*
 * Collect want responses (in the order they come) into out, for at most
 * timeout_ns. Returns how many came.
 */
static unsigned int get_responses(struct blkif_response *out,
				  unsigned int want, uint64_t timeout_ns)
{
	uint64_t deadline = deadline_in(timeout_ns);
	unsigned int got = 0;

	while (got < want) {
		RING_IDX prod;
		int more;

		evtchn_clear_pending(blk_port);
		prod = __atomic_load_n(&sring->rsp_prod, __ATOMIC_ACQUIRE);
		if (RING_RESPONSE_PROD_OVERFLOW(&front, prod))
			test_fail("backend published rsp_prod %u with rsp_cons "
				  "%u: beyond the ring", prod, front.rsp_cons);
		xen_rmb();
		while (front.rsp_cons != prod && got < want) {
			RING_COPY_RESPONSE(&front, front.rsp_cons, &out[got]);
			front.rsp_cons++;
			got++;
		}
		if (got == want)
			break;
		RING_FINAL_CHECK_FOR_RESPONSES(&front, more);
		if (more)
			continue;
		if (pv_now() > deadline)
			break;
		nap(&blk_port, 1, 100, deadline);
	}
	return got;
}

/* One request, its one response; no response in 10 s ends the test. */
static struct blkif_response do_req(const char *name, union req_slot *u)
{
	struct blkif_response rsp;

	queue_req(u);
	push_reqs();
	if (get_responses(&rsp, 1, WAIT_NS) != 1) {
		check(false, "%s: no response within 10 s", name);
		test_end();
	}
	return rsp;
}

static void set_rw(union req_slot *u, uint8_t op, uint64_t sector,
		   uint8_t nr_segs)
{
	memset(u, 0, sizeof(*u));
	u->rw.operation = op;
	u->rw.nr_segments = nr_segs;
	u->rw.handle = 0;
	u->rw.id = new_id();
	u->rw.sector_number = sector;
}

static void set_seg(struct blkif_request_segment *s, grant_ref_t ref,
		    uint8_t first, uint8_t last)
{
	s->gref = ref;
	s->first_sect = first;
	s->last_sect = last;
}

static void set_indirect(union req_slot *u, uint8_t op, uint16_t nr_segs,
			 uint64_t sector, grant_ref_t page0)
{
	memset(u, 0, sizeof(*u));
	u->ind.operation = BLKIF_OP_INDIRECT;
	u->ind.indirect_op = op;
	u->ind.nr_segments = nr_segs;
	u->ind.id = new_id();
	u->ind.sector_number = sector;
	u->ind.handle = 0;
	u->ind.indirect_grefs[0] = page0;
}

static void set_discard(union req_slot *u, uint8_t flag, uint64_t sector,
			uint64_t nr)
{
	memset(u, 0, sizeof(*u));
	u->dis.operation = BLKIF_OP_DISCARD;
	u->dis.flag = flag;
	u->dis.id = new_id();
	u->dis.sector_number = sector;
	u->dis.nr_sectors = nr;
}

static uint64_t id_of(const union req_slot *u)
{
	return u->rw.id;	/* same offset in every layout */
}

/* ------------------------------------------------- disk contents -- */

static void expect_sector(uint8_t *buf, uint64_t s, bool written)
{
	int n = snprintf((char *)buf, SECTOR, "PVBLK-%s s=%08lu\n",
			 written ? "WRITTEN" : "PATTERN", (unsigned long)s);

	for (unsigned int j = (unsigned int)n; j < SECTOR; j++)
		buf[j] = (uint8_t)(written ? s * 3 + j : s + j);
}

/* buf holds nr sectors from first; 0, or 1 + the index of a bad one. */
static unsigned int bad_sector(const uint8_t *buf, uint64_t first,
			       unsigned int nr, bool written)
{
	uint8_t want[SECTOR];

	for (unsigned int i = 0; i < nr; i++) {
		expect_sector(want, first + i, written);
		if (memcmp(buf + (size_t)i * SECTOR, want, SECTOR))
			return i + 1;
	}
	return 0;
}

static void poison(void *page)
{
	memset(page, 0xee, PAGE_SIZE);
}

/* -------------------------------------------------------- checks -- */

static bool status_is_error(int16_t st)
{
	return st == BLKIF_RSP_ERROR || st == BLKIF_RSP_EOPNOTSUPP;
}

/* A read of one page at sector s into data[0]; true if it came right. */
static bool good_read(const char *name, uint64_t s)
{
	struct blkif_response rsp;
	union req_slot u;
	unsigned int bad;

	poison(data[0]);
	set_rw(&u, BLKIF_OP_READ, s, 1);
	set_seg(&u.rw.seg[0], R_DATA0, 0, 7);
	rsp = do_req(name, &u);
	bad = bad_sector(data[0], s, SECTORS_PER_PAGE, false);
	if (bad)
		return check(false, "%s: status %d, id %s, data differs at "
			     "sector %lu", name, rsp.status,
			     rsp.id == id_of(&u) ? "echoed" : "WRONG",
			     (unsigned long)(s + bad - 1));
	return check(rsp.status == BLKIF_RSP_OKAY && rsp.id == id_of(&u),
		     "%s: status %d, id %s, data matches", name, rsp.status,
		     rsp.id == id_of(&u) ? "echoed" : "WRONG");
}

/*
 * Send u, which must fail: status ERROR or EOPNOTSUPP (or exactly
 * want_st if it is not 0), the id echoed. A good read must work after.
 */
static void attack(const char *name, union req_slot *u, int16_t want_st)
{
	struct blkif_response rsp = do_req(name, u);
	bool st_ok = want_st ? rsp.status == want_st
			     : status_is_error(rsp.status);
	char after[64];

	check(st_ok && rsp.id == id_of(u),
	      "%s: status %d (want %s), id %#lx %s", name, rsp.status,
	      want_st == BLKIF_RSP_EOPNOTSUPP ? "EOPNOTSUPP" : "an error",
	      (unsigned long)rsp.id,
	      rsp.id == id_of(u) ? "echoed" : "NOT the request's");
	snprintf(after, sizeof(after), "good read after %s", name);
	good_read(after, 0);
}

/* ------------------------------------------------------ handshake -- */

static void connect(void)
{
	char path[96], val[64];
	uint64_t st, deadline;

	/* 1. Where the backend is. */
	snprintf(path, sizeof(path), "device/vbd/%u/backend", VBD_DEVID);
	deadline = deadline_in(WAIT_NS);
	while (xs_read(path, be_path, sizeof(be_path))) {
		if (pv_now() > deadline)
			test_fail("no %s in xenstore after 10 s", path);
		nap(&xs_port, 1, 20, deadline);
	}
	printk("blkhostile: backend %s\n", be_path);

	/* 2. It waits for us. */
	st = wait_be_state(XenbusStateInitWait, WAIT_NS);
	if (!check(st == XenbusStateInitWait, "backend in InitWait (state %lu)",
		   (unsigned long)st))
		test_end();

	{
		uint64_t info = 0;
		bool ok = be_read("sectors", val, sizeof(val)) == 0;

		disk_sectors = ok ? parse_u64(val, &ok) : 0;
		if (!ok || disk_sectors < 1024)
			test_fail("backend sectors '%s' (want a number >= 1024)",
				  ok ? val : "");
		ok = be_read("info", val, sizeof(val)) == 0;
		if (ok)
			info = parse_u64(val, &ok);
		check(ok && !!(info & VDISK_READONLY) == disk_ro,
		      "backend info %lu: %s, as the command line says",
		      (unsigned long)info, disk_ro ? "read-only" : "writable");
	}
	{
		bool ok = be_read("feature-max-indirect-segments", val,
				  sizeof(val)) == 0;

		check(ok && parse_u64(val, &ok) >= 64 && ok,
		      "feature-max-indirect-segments %s (>= 64)",
		      ok ? val : "missing");
	}
	be_discard = be_read("feature-discard", val, sizeof(val)) == 0 &&
		     !strcmp(val, "1");
	printk("blkhostile: %lu sectors, %s, discard %s\n",
	       (unsigned long)disk_sectors, disk_ro ? "ro" : "rw",
	       be_discard ? "offered" : "not offered");

	/* 3. The ring, granted; the channel, unbound for dom0. */
	sring = (blkif_sring_t *)ring_page;
	SHARED_RING_INIT(sring);
	FRONT_RING_INIT(&front, sring, PAGE_SIZE);
	grants_init();
	if (evtchn_alloc_unbound(0, &blk_port))
		test_fail("EVTCHNOP_alloc_unbound for dom0 failed");
	evtchn_mask(blk_port);
	printk("blkhostile: ring of %u slots, grant %u, event channel %u\n",
	       RING_SIZE(&front), R_RING, blk_port);

	/* 4. Published, then Initialised; wait for Connected. */
	fe_write("ring-ref", "%u", R_RING);
	fe_write("event-channel", "%u", blk_port);
	fe_write("protocol", "%s", "x86_64-abi");
	fe_write("state", "%d", XenbusStateInitialised);
	st = wait_be_state(XenbusStateConnected, WAIT_NS);
	if (!check(st == XenbusStateConnected,
		   "backend Connected (state %lu)", (unsigned long)st))
		test_end();
	fe_write("state", "%d", XenbusStateConnected);
}

/* ------------------------------------------------------ the tests -- */

static void test_good(void)
{
	struct blkif_response rsp;
	union req_slot u;
	unsigned int bad;
	bool ok;

	good_read("good-read-sector0", 0);
	good_read("good-read-last-page", disk_sectors - SECTORS_PER_PAGE);

	/* Four segments over four pages, one of them half a page. */
	for (int i = 0; i < 4; i++)
		poison(data[i]);
	set_rw(&u, BLKIF_OP_READ, 8, 4);
	for (int i = 0; i < 3; i++)
		set_seg(&u.rw.seg[i], R_DATA0 + i, 0, 7);
	set_seg(&u.rw.seg[3], R_DATA3, 4, 7);	/* lands at byte 2048 */
	rsp = do_req("good-read-4-segments", &u);
	ok = true;
	for (int i = 0; i < 3; i++)
		ok &= !bad_sector(data[i], 8 + 8 * i, 8, false);
	ok &= !bad_sector(data[3] + 4 * SECTOR, 32, 4, false);
	check(rsp.status == BLKIF_RSP_OKAY && rsp.id == id_of(&u) && ok,
	      "good-read-4-segments: status %d, data %s", rsp.status,
	      ok ? "matches" : "differs");

	/* Indirect: two segments listed in a granted page. */
	poison(data[0]);
	poison(data[1]);
	{
		struct blkif_request_segment *seg = (void *)ind_page[0];

		memset(ind_page[0], 0, PAGE_SIZE);
		set_seg(&seg[0], R_DATA0, 0, 7);
		set_seg(&seg[1], R_DATA0 + 1, 0, 7);
	}
	set_indirect(&u, BLKIF_OP_READ, 2, 64, R_IND0);
	rsp = do_req("good-indirect-read", &u);
	ok = !bad_sector(data[0], 64, 8, false) &&
	     !bad_sector(data[1], 72, 8, false);
	check(rsp.status == BLKIF_RSP_OKAY && rsp.id == id_of(&u) && ok,
	      "good-indirect-read: status %d op %u, data %s", rsp.status,
	      rsp.operation, ok ? "matches" : "differs");

	/* Indirect at the advertised maximum: 64 segments, 256 KiB. */
	{
		struct blkif_request_segment *seg = (void *)ind_page[0];

		memset(ind_page[0], 0, PAGE_SIZE);
		for (int i = 0; i < 64; i++)
			set_seg(&seg[i], R_DATA0 + (i & 3), 0, 7);
	}
	for (int i = 0; i < 4; i++)
		poison(data[i]);
	set_indirect(&u, BLKIF_OP_READ, 64, 0, R_IND0);
	rsp = do_req("good-indirect-64-segments", &u);
	/* Each page ends up with the last segment aimed at it: 60..63. */
	ok = true;
	for (int i = 0; i < 4; i++)
		ok &= !bad_sector(data[i], (uint64_t)(60 + i) * 8, 8, false);
	check(rsp.status == BLKIF_RSP_OKAY && rsp.id == id_of(&u) && ok,
	      "good-indirect-64-segments: status %d, data %s", rsp.status,
	      ok ? "matches" : "differs");

	if (disk_ro)
		return;

	/* A write of one page, read back. */
	for (unsigned int i = 0; i < SECTORS_PER_PAGE; i++)
		expect_sector(data[1] + i * SECTOR, WRITE_SECTOR + i, true);
	set_rw(&u, BLKIF_OP_WRITE, WRITE_SECTOR, 1);
	set_seg(&u.rw.seg[0], R_DATA0 + 1, 0, 7);
	rsp = do_req("good-write", &u);
	check(rsp.status == BLKIF_RSP_OKAY && rsp.id == id_of(&u),
	      "good-write at sector %u: status %d", WRITE_SECTOR, rsp.status);
	poison(data[2]);
	set_rw(&u, BLKIF_OP_READ, WRITE_SECTOR, 1);
	set_seg(&u.rw.seg[0], R_DATA0 + 2, 0, 7);
	rsp = do_req("good-write-read-back", &u);
	bad = bad_sector(data[2], WRITE_SECTOR, 8, true);
	check(rsp.status == BLKIF_RSP_OKAY && !bad,
	      "good-write-read-back: status %d, data %s", rsp.status,
	      bad ? "differs" : "matches");

	/* The same write from a read-only grant (dom0 only reads it). */
	memcpy(ro_page, data[1], PAGE_SIZE);
	set_rw(&u, BLKIF_OP_WRITE, WRITE_SECTOR, 1);
	set_seg(&u.rw.seg[0], R_RO, 0, 7);
	rsp = do_req("good-write-from-ro-grant", &u);
	check(rsp.status == BLKIF_RSP_OKAY && rsp.id == id_of(&u),
	      "good-write-from-ro-grant: status %d", rsp.status);

	/* A flush with nothing in it. */
	set_rw(&u, BLKIF_OP_FLUSH_DISKCACHE, 0, 0);
	rsp = do_req("good-flush", &u);
	check(rsp.status == BLKIF_RSP_OKAY && rsp.id == id_of(&u),
	      "good-flush: status %d", rsp.status);
}

/* A READ of sector 0 with one segment as given. */
static void read_attack(const char *name, grant_ref_t ref, uint8_t first,
			uint8_t last)
{
	union req_slot u;

	set_rw(&u, BLKIF_OP_READ, 0, 1);
	set_seg(&u.rw.seg[0], ref, first, last);
	attack(name, &u, 0);
}

static void test_grants(void)
{
	const uint64_t *l4 = (const uint64_t *)start_info->pt_base;
	uint64_t saved[64];
	union req_slot u;
	bool same;

	read_attack("gref-nonexistent-0xfffffff0", NONEXISTENT_REF, 0, 7);
	read_attack("gref-just-past-the-table", gnt_entries, 0, 7);
	read_attack("gref-without-permit-access", R_NOFLAGS, 0, 7);
	read_attack("gref-for-another-domain", R_OTHERDOM, 0, 7);
	read_attack("gref-accept-transfer-type", R_TRANSFER, 0, 7);
	poison(ro_page);
	read_attack("gref-read-only-for-a-read", R_RO, 0, 7);
	{
		const uint8_t *p = ro_page;
		bool untouched = true;

		for (unsigned long i = 0; i < PAGE_SIZE; i++)
			untouched &= p[i] == 0xee;
		check(untouched, "read-only granted page left unwritten");
	}
	read_attack("gref-frame-outside-ram", R_BADFRAME, 0, 7);
	/* Sector 7 of the table frame: entries 448-511, unused here. */
	read_attack("gref-frame-is-the-grant-table", R_GNTFRAME, 7, 7);
	{
		const uint8_t *p = (const uint8_t *)&gnt[448];
		bool untouched = true;

		for (unsigned int i = 0; i < 64 * sizeof(*gnt); i++)
			untouched &= p[i] == 0;
		check(untouched, "grant table entries 448-511 still empty");
	}

	/* Our own L4, granted writable: a read must not land in it.
	 * Sector 1 of the page is L4 slots 64-127, unused here. */
	memcpy(saved, l4 + 64, sizeof(saved));
	read_attack("gref-page-table-frame", R_PGTABLE, 1, 1);
	same = !memcmp(saved, l4 + 64, sizeof(saved));
	check(same, "page table unchanged after the read aimed at it");

	/* Second segment bad, first good. */
	set_rw(&u, BLKIF_OP_READ, 0, 2);
	set_seg(&u.rw.seg[0], R_DATA0, 0, 7);
	set_seg(&u.rw.seg[1], NONEXISTENT_REF, 0, 7);
	attack("second-segment-gref-bad", &u, 0);
}

static void test_segments(void)
{
	union req_slot u;

	set_rw(&u, BLKIF_OP_READ, 0, 0);
	attack("read-nr-segments-0", &u, 0);
	set_rw(&u, BLKIF_OP_READ, 0, BLKIF_MAX_SEGMENTS_PER_REQUEST + 1);
	for (int i = 0; i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++)
		set_seg(&u.rw.seg[i], R_DATA0 + (i & 3), 0, 7);
	attack("read-nr-segments-12", &u, 0);
	set_rw(&u, BLKIF_OP_READ, 0, 255);
	for (int i = 0; i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++)
		set_seg(&u.rw.seg[i], R_DATA0 + (i & 3), 0, 7);
	attack("read-nr-segments-255", &u, 0);

	read_attack("first-sect-after-last-sect", R_DATA0, 5, 2);
	read_attack("last-sect-8", R_DATA0, 0, 8);
	read_attack("first-and-last-sect-200", R_DATA0, 200, 200);
	read_attack("last-sect-255", R_DATA0, 0, 255);
}

static void sector_attack(const char *name, uint64_t sector, uint8_t last)
{
	union req_slot u;

	set_rw(&u, BLKIF_OP_READ, sector, 1);
	set_seg(&u.rw.seg[0], R_DATA0, 0, last);
	attack(name, &u, 0);
}

static void test_sectors(void)
{
	union req_slot u;

	sector_attack("sector-at-the-end", disk_sectors, 0);
	sector_attack("sector-past-the-end", disk_sectors + 8, 7);
	sector_attack("sector-crossing-the-end", disk_sectors - 4, 7);
	sector_attack("sector-0xffffffffffffffff", ~0ull, 7);
	sector_attack("sector-wraps-times-512", 1ull << 55, 7);
	sector_attack("sector-2^64-minus-4", ~0ull - 3, 7);

	/* Eleven segments of a page each, starting 80 sectors before the end. */
	set_rw(&u, BLKIF_OP_READ, disk_sectors - 80,
	       BLKIF_MAX_SEGMENTS_PER_REQUEST);
	for (int i = 0; i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++)
		set_seg(&u.rw.seg[i], R_DATA0 + (i & 3), 0, 7);
	attack("11-segments-crossing-the-end", &u, 0);
}

static void test_ops(void)
{
	union req_slot u;

	set_rw(&u, 42, 0, 1);
	set_seg(&u.rw.seg[0], R_DATA0, 0, 7);
	attack("operation-42", &u, BLKIF_RSP_EOPNOTSUPP);
	set_rw(&u, 255, 0, 1);
	set_seg(&u.rw.seg[0], R_DATA0, 0, 7);
	attack("operation-255", &u, BLKIF_RSP_EOPNOTSUPP);
	set_rw(&u, BLKIF_OP_RESERVED_1, 0, 1);
	set_seg(&u.rw.seg[0], R_DATA0, 0, 7);
	attack("operation-reserved-4", &u, 0);
	set_rw(&u, BLKIF_OP_WRITE_BARRIER, 0, 1);
	set_seg(&u.rw.seg[0], R_DATA0, 0, 7);
	attack("write-barrier-not-offered", &u, 0);
}

static void test_indirect(void)
{
	struct blkif_request_segment *seg = (void *)ind_page[0];
	union req_slot u;

	/* Good segment lists, misused by the request around them. */
	for (int p = 0; p < 2; p++) {
		struct blkif_request_segment *sp = (void *)ind_page[p];

		for (int i = 0; i < 512; i++)
			set_seg(&sp[i], R_DATA0 + (i & 3), 0, 7);
	}

	set_indirect(&u, BLKIF_OP_READ, 65, 0, R_IND0);
	u.ind.indirect_grefs[1] = R_IND1;
	attack("indirect-65-segments", &u, 0);
	set_indirect(&u, BLKIF_OP_READ, 0xffff, 0, R_IND0);
	for (int i = 1; i < BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST; i++)
		u.ind.indirect_grefs[i] = R_IND1;
	attack("indirect-65535-segments", &u, 0);
	set_indirect(&u, BLKIF_OP_READ, 0, 0, R_IND0);
	attack("indirect-0-segments", &u, 0);
	set_indirect(&u, 7, 2, 0, R_IND0);
	attack("indirect-op-7", &u, 0);
	set_indirect(&u, BLKIF_OP_INDIRECT, 2, 0, R_IND0);
	attack("indirect-op-indirect", &u, 0);
	set_indirect(&u, BLKIF_OP_DISCARD, 2, 0, R_IND0);
	attack("indirect-op-discard", &u, 0);
	set_indirect(&u, BLKIF_OP_READ, 2, 0, R_IND_NOGRANT);
	attack("indirect-page-not-granted", &u, 0);
	set_indirect(&u, BLKIF_OP_READ, 2, 0, NONEXISTENT_REF);
	attack("indirect-page-gref-nonexistent", &u, 0);
	set_indirect(&u, BLKIF_OP_READ, 2, 0, R_BADFRAME);
	attack("indirect-page-frame-outside-ram", &u, 0);
	set_indirect(&u, BLKIF_OP_READ, 2, disk_sectors - 8, R_IND0);
	attack("indirect-crossing-the-end", &u, 0);
	set_indirect(&u, BLKIF_OP_READ, 2, ~0ull, R_IND0);
	attack("indirect-sector-0xffffffffffffffff", &u, 0);

	/* Garbage in the page itself. */
	for (unsigned long i = 0; i < PAGE_SIZE / 8; i++)
		((uint64_t *)ind_page[0])[i] = rnd();
	set_indirect(&u, BLKIF_OP_READ, 64, 0, R_IND0);
	attack("indirect-page-of-random-bytes", &u, 0);

	for (int i = 0; i < 64; i++)
		set_seg(&seg[i], (grant_ref_t)(gnt_entries + (rnd() & 0xffffff)),
			0, 7);
	set_indirect(&u, BLKIF_OP_READ, 64, 0, R_IND0);
	attack("indirect-random-grefs", &u, 0);

	for (int i = 0; i < 64; i++) {
		uint8_t a = (uint8_t)rnd(), b = (uint8_t)rnd();

		set_seg(&seg[i], R_DATA0 + (i & 3), a | 8, b);
	}
	set_indirect(&u, BLKIF_OP_READ, 64, 0, R_IND0);
	attack("indirect-sectors-out-of-page", &u, 0);

	/* All good but the last of 64. */
	for (int i = 0; i < 64; i++)
		set_seg(&seg[i], R_DATA0 + (i & 3), 0, 7);
	set_seg(&seg[63], R_NOFLAGS, 0, 7);
	set_indirect(&u, BLKIF_OP_READ, 64, 0, R_IND0);
	attack("indirect-last-segment-not-granted", &u, 0);
	set_seg(&seg[63], R_DATA0, 3, 2);
	set_indirect(&u, BLKIF_OP_READ, 64, 0, R_IND0);
	attack("indirect-last-segment-first-after-last", &u, 0);
}

static void test_discard(void)
{
	union req_slot u;

	set_discard(&u, BLKIF_DISCARD_SECURE, 0, 8);
	attack("discard-secure-not-offered", &u, BLKIF_RSP_EOPNOTSUPP);
	set_discard(&u, 0, disk_sectors, 8);
	attack("discard-past-the-end", &u, 0);
	set_discard(&u, 0, disk_sectors - 8, 16);
	attack("discard-crossing-the-end", &u, 0);
	set_discard(&u, 0, 8, ~0ull);
	attack("discard-length-0xffffffffffffffff", &u, 0);
	set_discard(&u, 0, ~0ull, 1);
	attack("discard-sector-0xffffffffffffffff", &u, 0);
}

/* Writes that must fail and leave BADWRITE_SECTOR as it was. */
static void test_bad_writes(void)
{
	union req_slot u;

	for (unsigned int i = 0; i < SECTORS_PER_PAGE; i++)
		expect_sector(data[1] + i * SECTOR, BADWRITE_SECTOR + i, true);

	set_rw(&u, BLKIF_OP_WRITE, BADWRITE_SECTOR, 1);
	set_seg(&u.rw.seg[0], NONEXISTENT_REF, 0, 7);
	attack("write-gref-nonexistent", &u, 0);
	set_rw(&u, BLKIF_OP_WRITE, BADWRITE_SECTOR, 2);
	set_seg(&u.rw.seg[0], R_DATA0 + 1, 0, 7);
	set_seg(&u.rw.seg[1], R_OTHERDOM, 0, 7);
	attack("write-second-segment-not-ours", &u, 0);
	set_rw(&u, BLKIF_OP_WRITE, BADWRITE_SECTOR, 1);
	set_seg(&u.rw.seg[0], R_BADFRAME, 0, 7);
	attack("write-gref-frame-outside-ram", &u, 0);
	set_rw(&u, BLKIF_OP_FLUSH_DISKCACHE, BADWRITE_SECTOR, 1);
	set_seg(&u.rw.seg[0], R_NOFLAGS, 0, 7);
	attack("flush-with-data-gref-not-granted", &u, 0);
	good_read("bad-writes-left-the-disk-alone", BADWRITE_SECTOR);
}

static void test_read_only(void)
{
	union req_slot u;

	for (unsigned int i = 0; i < SECTORS_PER_PAGE; i++)
		expect_sector(data[1] + i * SECTOR, WRITE_SECTOR + i, true);
	set_rw(&u, BLKIF_OP_WRITE, WRITE_SECTOR, 1);
	set_seg(&u.rw.seg[0], R_DATA0 + 1, 0, 7);
	attack("write-to-read-only-disk", &u, 0);
	set_rw(&u, BLKIF_OP_FLUSH_DISKCACHE, WRITE_SECTOR, 1);
	set_seg(&u.rw.seg[0], R_DATA0 + 1, 0, 7);
	attack("flush-with-data-to-read-only-disk", &u, 0);
	{
		struct blkif_request_segment *seg = (void *)ind_page[0];

		memset(ind_page[0], 0, PAGE_SIZE);
		set_seg(&seg[0], R_DATA0 + 1, 0, 7);
	}
	set_indirect(&u, BLKIF_OP_WRITE, 1, WRITE_SECTOR, R_IND0);
	attack("indirect-write-to-read-only-disk", &u, 0);
	set_discard(&u, 0, WRITE_SECTOR, 8);
	attack("discard-on-read-only-disk", &u, 0);
	good_read("read-only-disk-unchanged", WRITE_SECTOR);
}

/*
 * A full ring at once: 32 requests, every other one bad. Each answer
 * is matched to its request by id, whatever the order they come in.
 */
static void test_full_ring(void)
{
	static union req_slot reqs[64];
	static struct blkif_response rsp[64];
	unsigned int n = RING_SIZE(&front), got, okay = 0, errs = 0;
	bool seen[64] = { false }, ids_ok = true, st_ok = true;

	if (n > 64)
		n = 64;
	for (unsigned int i = 0; i < n; i++) {
		union req_slot *u = &reqs[i];

		set_rw(u, BLKIF_OP_READ, (uint64_t)i * 8, 1);
		if (i & 1)
			set_seg(&u->rw.seg[0], NONEXISTENT_REF - i, 0, 7);
		else
			set_seg(&u->rw.seg[0], R_DATA0 + ((i / 2) & 3), 0, 7);
		queue_req(u);
	}
	push_reqs();
	got = get_responses(rsp, n, WAIT_NS);
	for (unsigned int k = 0; k < got; k++) {
		unsigned int i;

		for (i = 0; i < n; i++)
			if (id_of(&reqs[i]) == rsp[k].id && !seen[i])
				break;
		if (i == n) {
			ids_ok = false;
			continue;
		}
		seen[i] = true;
		if (i & 1) {
			st_ok &= status_is_error(rsp[k].status);
			errs++;
		} else {
			st_ok &= rsp[k].status == BLKIF_RSP_OKAY;
			okay++;
		}
	}
	check(got == n && ids_ok && st_ok,
	      "full-ring-of-%u: %u answered (%u good, %u bad), ids %s, "
	      "statuses %s", n, got, okay, errs, ids_ok ? "match" : "UNKNOWN",
	      st_ok ? "right" : "WRONG");
	if (got != n)
		test_end();
	good_read("good read after full-ring", 0);
}

/* The last one: a producer index the ring cannot hold. */
static void test_runaway_producer(void)
{
	RING_IDX before = __atomic_load_n(&sring->rsp_prod, __ATOMIC_ACQUIRE);
	struct blkif_response rsp;
	unsigned int got;

	__atomic_store_n(&sring->req_prod, before + 1000, __ATOMIC_RELEASE);
	xen_mb();
	evtchn_send(blk_port);
	got = get_responses(&rsp, 1, 2 * NS_PER_S);
	check(got == 0 && sring->rsp_prod == before,
	      "producer-index-1000-ahead: no answer in 2 s (%u), rsp_prod %u "
	      "(was %u): the backend gave the ring up", got, sring->rsp_prod,
	      before);
	printk("blkhostile: ring abandoned with req_prod %u; the backend "
	       "should have logged \"ring shut down\"\n", before + 1000);
}

static void hold_for_shutdown(void)
{
	uint64_t deadline = deadline_in(60 * NS_PER_S);
	char val[32];

	printk("blkhostile: checks done, waiting for control/shutdown\n");
	while (pv_now() < deadline) {
		if (xs_read("control/shutdown", val, sizeof(val)) == 0 &&
		    val[0]) {
			printk("blkhostile: control/shutdown says %s\n", val);
			return;
		}
		nap(&xs_port, 1, 100, deadline);
	}
	printk("blkhostile: no control/shutdown within 60 s; ending anyway\n");
}

void guest_main(struct start_info *si)
{
	test_start("blkhostile");
	disk_ro = cmdline_has("ro");
	want_hold = cmdline_has("hold");

	xs = (void *)(PVGUEST_VIRT_BASE + (si->store_mfn << PAGE_SHIFT));
	xs_port = si->store_evtchn;
	if (!xs_port)
		test_fail("no xenstore event channel in start_info");
	if (events_init())
		test_fail("cannot map shared_info");
	local_irq_disable();	/* we poll; no upcalls */
	evtchn_mask(xs_port);

	connect();
	test_good();
	test_grants();
	test_segments();
	test_sectors();
	test_ops();
	test_indirect();
	test_discard();
	if (disk_ro)
		test_read_only();
	else
		test_bad_writes();
	test_full_ring();
	test_runaway_producer();
	printk("blkhostile: %u check(s) failed, id counter %lu\n",
	       test_failures, (unsigned long)id_counter);
	if (want_hold)
		hold_for_shutdown();
	test_end();
}
