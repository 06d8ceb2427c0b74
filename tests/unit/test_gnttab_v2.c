/* SPDX-License-Identifier: MIT */
/*
 * Grant tables v2: the v2 entry protocol on shared memory (full-page and
 * sub-page grants, in-use bits in the status array), switching versions
 * (core/gnttab_version.c) with Xen's rules and its reserved entries, and
 * set_version/get_version/get_status_frames/setup_table/copy through
 * grant_table_op, plus a dom0 service's copy bounded by a sub-page grant.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "gnt_fixture.h"
#include "pvisor/gnttab_dom0.h"

#define DOM0		0
#define PG(n)		(0x20 + (n))	/* data frames for the tests */
#define OPS		GF_OPS_VA
#define S		DOMID_SELF

static int setup(void **state)
{
	struct gnt_fix *f = calloc(1, sizeof(*f));

	if (!f || gnt_fix_init(f))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct gnt_fix *f = *state;

	gnt_fix_fini(f);
	free(f);
	return 0;
}

static const struct gnttab_shm *shm(struct gnt_fix *f)
{
	return &f->d.gnttab->shm;
}

/* ---- the guest's side of v2 ------------------------------------------- */

static union grant_entry_v2 *e2(struct gnt_fix *f, grant_ref_t ref)
{
	return (union grant_entry_v2 *)f->d.gnttab->shm.shared + ref;
}

static uint16_t st2(struct gnt_fix *f, grant_ref_t ref)
{
	return __atomic_load_n(&f->d.gnttab->shm.status[ref], __ATOMIC_ACQUIRE);
}

static uint16_t flags2(struct gnt_fix *f, grant_ref_t ref)
{
	return __atomic_load_n(&e2(f, ref)->hdr.flags, __ATOMIC_ACQUIRE);
}

/* What Linux's v2 gnttab does: frame and domid, then flags last. */
static void grant2(struct gnt_fix *f, grant_ref_t ref, domid_t dom,
		   uint64_t frame, uint16_t flags)
{
	union grant_entry_v2 *e = e2(f, ref);

	e->hdr.domid = dom;
	e->full_page.frame = frame;
	__atomic_store_n(&e->hdr.flags, (uint16_t)(GTF_permit_access | flags),
			 __ATOMIC_RELEASE);
}

static void grant2_sub(struct gnt_fix *f, grant_ref_t ref, domid_t dom,
		       uint64_t frame, uint16_t off, uint16_t len,
		       uint16_t flags)
{
	union grant_entry_v2 *e = e2(f, ref);

	e->sub_page.page_off = off;
	e->sub_page.length = len;
	grant2(f, ref, dom, frame, GTF_sub_page | flags);
}

/* The v2 revoke: clear flags, then the status word says if it is free. */
static bool revoke2(struct gnt_fix *f, grant_ref_t ref)
{
	__atomic_store_n(&e2(f, ref)->hdr.flags, 0, __ATOMIC_SEQ_CST);
	return !(st2(f, ref) & (GTF_reading | GTF_writing));
}

static long set_version(struct gnt_fix *f, uint32_t ver, uint32_t *now)
{
	struct gnttab_set_version *sv = gf_ops(f);
	long rc;

	sv->version = ver;
	rc = gf_op(f, GNTTABOP_set_version, OPS, 1);
	*now = sv->version;
	return rc;
}

static uint32_t get_version(struct gnt_fix *f)
{
	struct gnttab_get_version *gv = gf_ops(f);

	*gv = (struct gnttab_get_version){ .dom = DOMID_SELF };
	assert_int_equal(gf_op(f, GNTTABOP_get_version, OPS, 1), 0);
	return gv->version;
}

static void to_v2(struct gnt_fix *f)
{
	uint32_t now;

	assert_int_equal(set_version(f, 2, &now), 0);
	assert_int_equal(now, 2);
}

/* ---- pin / unpin ------------------------------------------------------- */

static void test_v2_pin_full_page(void **state)
{
	struct gnt_fix *f = *state;
	struct gnttab_pinned p;
	unsigned int rd, wr;
	uint32_t frame;

	to_v2(f);
	assert_int_equal(gnttab_shm_nr_entries(shm(f)), 256);
	assert_int_equal(sizeof(union grant_entry_v2), 16);
	grant2(f, 20, DOM0, PG(1), 0);
	assert_int_equal(gnttab_pin_window(shm(f), 20, DOM0, GNTPIN_READONLY,
					   &p), GNTST_okay);
	assert_int_equal(p.frame, PG(1));
	assert_int_equal(p.off, 0);
	assert_int_equal(p.len, 4096);
	/* The bits are in the status array; the entry's flags stay as set. */
	assert_int_equal(st2(f, 20), GTF_reading);
	assert_int_equal(flags2(f, 20), GTF_permit_access);
	/* Fixed at the first pin. */
	e2(f, 20)->full_page.frame = PG(2);
	assert_int_equal(gnttab_pin(shm(f), 20, DOM0, GNTPIN_MAP, &frame),
			 GNTST_okay);
	assert_int_equal(frame, PG(1));
	assert_int_equal(st2(f, 20), GTF_reading | GTF_writing);
	assert_int_equal(flags2(f, 20), GTF_permit_access);
	gnttab_pins(shm(f), 20, &rd, &wr);
	assert_int_equal(rd, 1);
	assert_int_equal(wr, 1);
	assert_int_equal(gnttab_unpin(shm(f), 20, DOM0, false), GNTST_okay);
	assert_int_equal(st2(f, 20), GTF_reading);
	/* Revoking now: the guest sees the page is still read. */
	assert_false(revoke2(f, 20));
	assert_int_equal(gnttab_unpin(shm(f), 20, DOM0, true), GNTST_okay);
	assert_int_equal(st2(f, 20), 0);
	assert_int_equal(gnttab_pin(shm(f), 20, DOM0, GNTPIN_READONLY, &frame),
			 GNTST_general_error);
	assert_int_equal(st2(f, 20), 0);

	/* Past v2's 256 entries of one frame, though v1 had 512. */
	assert_int_equal(gnttab_pin(shm(f), 256, DOM0, 0, &frame),
			 GNTST_bad_gntref);
	assert_int_equal(gnttab_unpin(shm(f), 256, DOM0, false),
			 GNTST_bad_gntref);
	/* Granted to another domain, other types, never granted. */
	grant2(f, 21, 5, PG(1), 0);
	assert_int_equal(gnttab_pin(shm(f), 21, DOM0, GNTPIN_READONLY, &frame),
			 GNTST_general_error);
	assert_int_equal(st2(f, 21), 0);
	e2(f, 22)->hdr.flags = GTF_accept_transfer;
	assert_int_equal(gnttab_pin(shm(f), 22, DOM0, GNTPIN_READONLY, &frame),
			 GNTST_general_error);
	assert_int_equal(gnttab_pin(shm(f), 23, DOM0, GNTPIN_READONLY, &frame),
			 GNTST_general_error);
}

static void test_v2_readonly(void **state)
{
	struct gnt_fix *f = *state;
	uint32_t frame;

	to_v2(f);
	grant2(f, 30, DOM0, PG(1), GTF_readonly);
	assert_int_equal(gnttab_pin(shm(f), 30, DOM0, 0, &frame),
			 GNTST_general_error);
	assert_int_equal(gnttab_pin(shm(f), 30, DOM0, GNTPIN_MAP, &frame),
			 GNTST_general_error);
	assert_int_equal(st2(f, 30), 0);
	assert_int_equal(gnttab_pin(shm(f), 30, DOM0, GNTPIN_READONLY, &frame),
			 GNTST_okay);
	/* An upgrade to write on a pinned read-only grant: refused, and the
	 * reader's bit stays while GTF_writing does not. */
	assert_int_equal(gnttab_pin(shm(f), 30, DOM0, 0, &frame),
			 GNTST_general_error);
	assert_int_equal(st2(f, 30), GTF_reading);
	assert_int_equal(gnttab_unpin(shm(f), 30, DOM0, true), GNTST_okay);
	assert_int_equal(st2(f, 30), 0);
	assert_int_equal(flags2(f, 30), GTF_permit_access | GTF_readonly);
}

static void test_v2_bad_frames(void **state)
{
	struct gnt_fix *f = *state;
	uint32_t frame;

	to_v2(f);
	grant2(f, 40, DOM0, GF_RAM_PAGES, 0);
	assert_int_equal(gnttab_pin(shm(f), 40, DOM0, 0, &frame),
			 GNTST_bad_page);
	assert_int_equal(st2(f, 40), 0);
	/* Above 32 bits: the low half names RAM, the whole does not. */
	grant2(f, 40, DOM0, (1ull << 32) | PG(1), 0);
	assert_int_equal(gnttab_pin(shm(f), 40, DOM0, GNTPIN_READONLY, &frame),
			 GNTST_bad_page);
	assert_int_equal(st2(f, 40), 0);
	grant2(f, 40, DOM0, ~0ull, 0);
	assert_int_equal(gnttab_pin(shm(f), 40, DOM0, GNTPIN_READONLY, &frame),
			 GNTST_bad_page);
	grant2(f, 40, DOM0, GF_RAM_PAGES - 1, 0);
	assert_int_equal(gnttab_pin(shm(f), 40, DOM0, GNTPIN_READONLY, &frame),
			 GNTST_okay);
	assert_int_equal(frame, GF_RAM_PAGES - 1);
	assert_int_equal(gnttab_unpin(shm(f), 40, DOM0, true), GNTST_okay);
}

static void test_v2_sub_page(void **state)
{
	struct gnt_fix *f = *state;
	struct gnttab_pinned p;
	uint32_t frame;

	to_v2(f);
	grant2_sub(f, 50, DOM0, PG(3), 100, 200, 0);
	/* A map of a sub-page grant: Xen refuses it. */
	assert_int_equal(gnttab_pin(shm(f), 50, DOM0,
				    GNTPIN_MAP | GNTPIN_READONLY, &frame),
			 GNTST_general_error);
	assert_int_equal(st2(f, 50), 0);
	assert_int_equal(gnttab_pin_window(shm(f), 50, DOM0, 0, &p),
			 GNTST_okay);
	assert_int_equal(p.frame, PG(3));
	assert_int_equal(p.off, 100);
	assert_int_equal(p.len, 200);
	assert_int_equal(st2(f, 50), GTF_reading | GTF_writing);
	/* Later pins get the window of the first, whatever the guest wrote. */
	e2(f, 50)->sub_page.page_off = 0;
	e2(f, 50)->sub_page.length = 4096;
	assert_int_equal(gnttab_pin_window(shm(f), 50, DOM0, GNTPIN_READONLY,
					   &p), GNTST_okay);
	assert_int_equal(p.off, 100);
	assert_int_equal(p.len, 200);
	assert_int_equal(gnttab_unpin(shm(f), 50, DOM0, true), GNTST_okay);
	assert_int_equal(gnttab_unpin(shm(f), 50, DOM0, false), GNTST_okay);
	assert_int_equal(st2(f, 50), 0);
	/* A window past the page end reaches only to the end. */
	grant2_sub(f, 51, DOM0, PG(3), 4000, 0xffff, 0);
	assert_int_equal(gnttab_pin_window(shm(f), 51, DOM0, GNTPIN_READONLY,
					   &p), GNTST_okay);
	assert_int_equal(p.off, 4000);
	assert_int_equal(p.len, 96);
	assert_int_equal(gnttab_unpin(shm(f), 51, DOM0, true), GNTST_okay);
	grant2_sub(f, 51, DOM0, PG(3), 0xfff0, 0xffff, 0);
	assert_int_equal(gnttab_pin_window(shm(f), 51, DOM0, GNTPIN_READONLY,
					   &p), GNTST_okay);
	assert_int_equal(p.len, 0);
	assert_int_equal(gnttab_unpin(shm(f), 51, DOM0, true), GNTST_okay);
	/* Transitive grants are refused: no other table is reachable. */
	e2(f, 52)->transitive.trans_domid = 7;
	e2(f, 52)->transitive.gref = 3;
	e2(f, 52)->hdr.domid = DOM0;
	e2(f, 52)->hdr.flags = GTF_transitive;
	assert_int_equal(gnttab_pin(shm(f), 52, DOM0, GNTPIN_READONLY, &frame),
			 GNTST_general_error);
	assert_int_equal(st2(f, 52), 0);
}

static void test_v2_swap(void **state)
{
	struct gnt_fix *f = *state;
	struct gnttab_swap_grant_ref *sw = gf_ops(f);

	to_v2(f);
	grant2(f, 60, DOM0, PG(1), 0);
	grant2_sub(f, 61, 9, (1ull << 40), 8, 16, GTF_readonly);
	f->d.gnttab->shm.status[61] = GTF_reading;	/* whatever it says */
	*sw = (struct gnttab_swap_grant_ref){ .ref_a = 60, .ref_b = 61 };
	assert_int_equal(gf_op(f, GNTTABOP_swap_grant_ref, OPS, 1), 0);
	assert_int_equal(sw->status, GNTST_okay);
	assert_int_equal(e2(f, 60)->hdr.domid, 9);
	assert_int_equal(e2(f, 60)->sub_page.frame, 1ull << 40);
	assert_int_equal(e2(f, 60)->sub_page.length, 16);
	assert_int_equal(st2(f, 60), GTF_reading);
	assert_int_equal(e2(f, 61)->full_page.frame, PG(1));
	assert_int_equal(st2(f, 61), 0);
	*sw = (struct gnttab_swap_grant_ref){ .ref_a = 60, .ref_b = 256 };
	assert_int_equal(gf_op(f, GNTTABOP_swap_grant_ref, OPS, 1), 0);
	assert_int_equal(sw->status, GNTST_bad_gntref);
}

/* ---- switching versions ------------------------------------------------ */

static void test_version_switch(void **state)
{
	struct gnt_fix *f = *state;
	uint32_t frame, now;

	assert_int_equal(get_version(f), 1);
	/* The same version: nothing to do. */
	assert_int_equal(set_version(f, 1, &now), 0);
	assert_int_equal(now, 1);
	/* No such version: -EINVAL, the one in force reported. */
	assert_int_equal(set_version(f, 3, &now), -EINVAL);
	assert_int_equal(now, 1);
	assert_int_equal(set_version(f, 0, &now), -EINVAL);
	assert_int_equal(now, 1);

	/* An entry beyond the reserved ones in use: -EBUSY, v1 stays. */
	gf_grant(f, 100, DOM0, PG(1), 0);
	assert_int_equal(gnttab_pin(shm(f), 100, DOM0, GNTPIN_READONLY, &frame),
			 GNTST_okay);
	assert_int_equal(set_version(f, 2, &now), -EBUSY);
	assert_int_equal(now, 1);
	assert_int_equal(get_version(f), 1);
	assert_int_equal(gf_flags(f, 100), GTF_permit_access | GTF_reading);
	assert_int_equal(gnttab_unpin(shm(f), 100, DOM0, true), GNTST_okay);

	/* Nothing in use: v2, and the old entries are gone. */
	assert_int_equal(set_version(f, 2, &now), 0);
	assert_int_equal(now, 2);
	assert_int_equal(get_version(f), 2);
	assert_int_equal(gnttab_shm_version(shm(f)), 2);
	assert_int_equal(shm(f)->ctl->gt_version, 2);
	for (unsigned int i = 8; i < 256; i++)
		assert_int_equal(e2(f, i)->hdr.flags, 0);

	/* The same the other way. */
	grant2(f, 100, DOM0, PG(1), 0);
	assert_int_equal(gnttab_pin(shm(f), 100, DOM0, 0, &frame), GNTST_okay);
	assert_int_equal(set_version(f, 1, &now), -EBUSY);
	assert_int_equal(now, 2);
	assert_int_equal(st2(f, 100), GTF_reading | GTF_writing);
	assert_int_equal(gnttab_unpin(shm(f), 100, DOM0, false), GNTST_okay);
	assert_int_equal(set_version(f, 1, &now), 0);
	assert_int_equal(now, 1);
	assert_int_equal(gnttab_shm_nr_entries(shm(f)), 512);
	assert_int_equal(gf_entry(f, 100)->flags, 0);
	assert_int_equal(gf_entry(f, 50)->frame, 0);
}

static void test_version_reserved(void **state)
{
	struct gnt_fix *f = *state;
	uint32_t frame, now;

	/* The builder's entries, one held by a backend across the switch. */
	assert_int_equal(gnttab_seed(&f->d, GNTTAB_RESERVED_CONSOLE, DOM0,
				     PG(0)), 0);
	assert_int_equal(gnttab_seed(&f->d, GNTTAB_RESERVED_XENSTORE, DOM0,
				     PG(1)), 0);
	gf_grant(f, 7, 4, PG(2), GTF_readonly);
	assert_int_equal(gnttab_pin(shm(f), GNTTAB_RESERVED_XENSTORE, DOM0,
				    GNTPIN_MAP, &frame), GNTST_okay);
	assert_int_equal(set_version(f, 2, &now), 0);
	assert_int_equal(e2(f, 0)->hdr.flags, GTF_permit_access);
	assert_int_equal(e2(f, 0)->full_page.frame, PG(0));
	assert_int_equal(st2(f, 0), 0);
	/* The in-use bits move to the status word. */
	assert_int_equal(e2(f, 1)->hdr.flags, GTF_permit_access);
	assert_int_equal(e2(f, 1)->hdr.domid, DOM0);
	assert_int_equal(e2(f, 1)->full_page.frame, PG(1));
	assert_int_equal(st2(f, 1), GTF_reading | GTF_writing);
	assert_int_equal(e2(f, 7)->hdr.flags,
			 GTF_permit_access | GTF_readonly);
	assert_int_equal(e2(f, 7)->hdr.domid, 4);
	assert_int_equal(e2(f, 7)->full_page.frame, PG(2));
	/* The pin's owner unpins under v2: the status word is cleared. */
	assert_int_equal(gnttab_unpin(shm(f), 1, DOM0, false), GNTST_okay);
	assert_int_equal(st2(f, 1), 0);
	assert_int_equal(gnttab_pin(shm(f), 1, DOM0, 0, &frame), GNTST_okay);

	/* Back to v1 with the pin held: bits into the flags again. */
	assert_int_equal(set_version(f, 1, &now), 0);
	assert_int_equal(gf_entry(f, 1)->flags,
			 GTF_permit_access | GTF_reading | GTF_writing);
	assert_int_equal(gf_entry(f, 1)->frame, PG(1));
	assert_int_equal(gf_entry(f, 7)->flags,
			 GTF_permit_access | GTF_readonly);
	assert_int_equal(gf_entry(f, 7)->domid, 4);
	assert_int_equal(gnttab_unpin(shm(f), 1, DOM0, false), GNTST_okay);
	assert_int_equal(gf_flags(f, 1), GTF_permit_access);

	/* v2 reserved entries v1 cannot express: -ERANGE. */
	assert_int_equal(set_version(f, 2, &now), 0);
	e2(f, 3)->full_page.frame = 1ull << 32;
	e2(f, 3)->hdr.flags = GTF_permit_access;
	assert_int_equal(set_version(f, 1, &now), -ERANGE);
	assert_int_equal(now, 2);
	e2(f, 3)->hdr.flags = GTF_transitive;
	assert_int_equal(set_version(f, 1, &now), -ERANGE);
	/* Other types are dropped, as in Xen. */
	e2(f, 3)->hdr.flags = GTF_accept_transfer;
	/* A sub-page pin of a reserved entry: a v2 op in progress. */
	grant2_sub(f, 2, DOM0, PG(2), 0, 8, 0);
	assert_int_equal(gnttab_pin(shm(f), 2, DOM0, GNTPIN_READONLY, &frame),
			 GNTST_okay);
	assert_int_equal(set_version(f, 1, &now), -EAGAIN);
	assert_int_equal(gnttab_unpin(shm(f), 2, DOM0, true), GNTST_okay);
	assert_int_equal(set_version(f, 1, &now), 0);
	assert_int_equal(gf_entry(f, 3)->flags, 0);
	assert_int_equal(gf_entry(f, 3)->frame, 0);
	assert_int_equal(gf_entry(f, 2)->flags,
			 GTF_permit_access | GTF_sub_page);
	assert_int_equal(gf_entry(f, 0)->frame, PG(0));
}

/*
 * A backend pins and unpins a reserved entry while the guest switches
 * versions back and forth: every switch succeeds (reserved pins are
 * allowed), and whenever the pin is held and no switch is under way, its
 * in-use bits are where the version in force keeps them. A pin racing a
 * switch unlocked would leave them in the old place.
 */
struct race {
	struct gnt_fix *f;
	unsigned int seq;		/* odd while a switch is under way */
	bool stop;
	unsigned int pins, seen, bad, busy;
};

static void *race_pinner(void *arg)
{
	struct race *r = arg;
	const struct gnttab_shm *t = shm(r->f);

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		uint32_t frame = 0;
		unsigned int s1, s2, ver;
		uint16_t bits;

		int16_t rc = gnttab_pin(t, 2, DOM0, 0, &frame);

		if (rc == GNTST_eagain) {	/* switches back to back */
			r->busy++;
			continue;
		}
		if (rc != GNTST_okay) {
			fprintf(stderr, "pin %d\n", rc);
			r->bad++;
			continue;
		}
		r->pins++;
		if (frame != PG(1)) {
			fprintf(stderr, "frame %#x\n", frame);
			r->bad++;
		}
		s1 = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE);
		ver = gnttab_shm_version(t);
		bits = ver == 2 ? __atomic_load_n(&t->status[2], __ATOMIC_ACQUIRE) :
			(uint16_t)__atomic_load_n(&t->shared[2 * 2],
						  __ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE);
		if (!(s1 & 1) && s1 == s2) {
			r->seen++;
			if ((bits & (GTF_reading | GTF_writing)) !=
			    (GTF_reading | GTF_writing)) {
				fprintf(stderr, "bits %#x v%u\n", bits, ver);
				r->bad++;
			}
		}
		rc = gnttab_unpin(t, 2, DOM0, false);
		if (rc) {
			fprintf(stderr, "unpin %d\n", rc);
			r->bad++;
		}
	}
	return NULL;
}

static void test_version_race(void **state)
{
	struct gnt_fix *f = *state;
	struct race r = { .f = f };
	unsigned int ok = 0, busy = 0, tries = 0;
	int other = 0;
	pthread_t th;

	assert_int_equal(gnttab_seed(&f->d, 2, DOM0, PG(1)), 0);
	assert_int_equal(pthread_create(&th, NULL, race_pinner, &r), 0);
	/* Each switch, then a pin or two in the quiet after it. */
	while (ok < 300 && tries++ < 100000) {
		unsigned int want = gnttab_shm_version(shm(f)) == 1 ? 2 : 1;
		unsigned int pins = __atomic_load_n(&r.pins, __ATOMIC_ACQUIRE);
		int rc;

		__atomic_fetch_add(&r.seq, 1, __ATOMIC_SEQ_CST);
		rc = gnttab_switch_version(&f->d, want);
		__atomic_fetch_add(&r.seq, 1, __ATOMIC_SEQ_CST);
		/* -EBUSY: the pinner held the entry lock past our wait. */
		if (rc == -EBUSY)
			busy++;
		else if (rc)
			other = rc;
		else
			ok++;
		for (unsigned int y = 0; y < 100000 &&
		     __atomic_load_n(&r.pins, __ATOMIC_ACQUIRE) < pins + 2; y++)
			sched_yield();
	}
	__atomic_store_n(&r.stop, true, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	print_message("%u switches (%u busy), %u pins (%u busy), %u checked "
		      "between switches\n", ok, busy, r.pins, r.busy, r.seen);
	assert_int_equal(other, 0);
	assert_int_equal(r.bad, 0);
	assert_int_equal(ok, 300);
	assert_true(r.seen > 0);
	/* All pins gone: the entry as seeded, no bits anywhere. */
	if (gnttab_shm_version(shm(f)) == 2)
		assert_int_equal(gnttab_switch_version(&f->d, 1), 0);
	assert_int_equal(gf_flags(f, 2), GTF_permit_access);
	assert_int_equal(gf_entry(f, 2)->frame, PG(1));
}

/* ---- hypercalls -------------------------------------------------------- */

static struct gnttab_get_status_frames *gsf(struct gnt_fix *f, uint32_t nr)
{
	struct gnttab_get_status_frames *gs = gf_ops(f);

	*gs = (struct gnttab_get_status_frames){
		.nr_frames = nr, .dom = DOMID_SELF, .status = 99,
		.frame_list = OPS + 1024,
	};
	return gs;
}

static void test_hc_status_frames_v2(void **state)
{
	struct gnt_fix *f = *state;
	struct gnttab_get_status_frames *gs;
	struct gnttab_setup_table *st = gf_ops(f);
	uint64_t *list = (uint64_t *)((uint8_t *)gf_ops(f) + 1024);
	uint64_t smfn = gnttab_status_mfn(&f->d, 0);

	/* v1: no status frames to give, and none mappable. */
	gs = gsf(f, 1);
	assert_int_equal(gf_op(f, GNTTABOP_get_status_frames, OPS, 1), 0);
	assert_int_equal(gs->status, GNTST_general_error);
	assert_int_equal(gnttab_nr_status_frames(&f->d), 0);
	assert_null(gmem_frame(&f->d.mem, smfn, false));
	/* Right after the shared frames in the hypervisor region. */
	assert_int_equal(smfn,
			 gnttab_frame_mfn(&f->d, CONFIG_GNTTAB_MAX_FRAMES));

	to_v2(f);
	assert_int_equal(gnttab_nr_status_frames(&f->d), 1);
	gs = gsf(f, 1);
	assert_int_equal(gf_op(f, GNTTABOP_get_status_frames, OPS, 1), 0);
	assert_int_equal(gs->status, GNTST_okay);
	assert_int_equal(list[0], smfn);
	gs = gsf(f, 2);
	assert_int_equal(gf_op(f, GNTTABOP_get_status_frames, OPS, 1), 0);
	assert_int_equal(gs->status, GNTST_general_error);
	/* The guest's view of the status frame is the status array. */
	f->d.gnttab->shm.status[3] = GTF_writing;
	assert_int_equal(((uint16_t *)gmem_frame(&f->d.mem, smfn, false))[3],
			 GTF_writing);
	f->d.gnttab->shm.status[3] = 0;

	/* setup_table: v2 shared frames hold 256 entries, status follows. */
	*st = (struct gnttab_setup_table){
		.dom = DOMID_SELF, .nr_frames = 9, .status = 99,
		.frame_list = OPS + 1024,
	};
	assert_int_equal(gf_op(f, GNTTABOP_setup_table, OPS, 1), 0);
	assert_int_equal(st->status, GNTST_okay);
	assert_int_equal(list[8], gnttab_frame_mfn(&f->d, 8));
	assert_int_equal(gnttab_shm_nr_entries(shm(f)), 9 * 256);
	assert_int_equal(gnttab_nr_status_frames(&f->d), 2);
	assert_non_null(gmem_frame(&f->d.mem, smfn + 1, true));
	assert_null(gmem_frame(&f->d.mem, smfn + 2, false));
	gs = gsf(f, 2);
	assert_int_equal(gf_op(f, GNTTABOP_get_status_frames, OPS, 1), 0);
	assert_int_equal(gs->status, GNTST_okay);
	assert_int_equal(list[1], smfn + 1);
	/* A write by the guest through its mapping lands in the array. */
	((uint16_t *)gmem_frame(&f->d.mem, smfn + 1, true))[5] = 0x77;
	assert_int_equal(st2(f, 2048 + 5), 0x77);

	/* The most there can be: max frames' worth. */
	*st = (struct gnttab_setup_table){
		.dom = DOMID_SELF, .nr_frames = CONFIG_GNTTAB_MAX_FRAMES,
		.status = 99, .frame_list = OPS + 1024,
	};
	assert_int_equal(gf_op(f, GNTTABOP_setup_table, OPS, 1), 0);
	assert_int_equal(st->status, GNTST_okay);
	assert_int_equal(gnttab_nr_status_frames(&f->d),
			 GNTTAB_STATUS_FRAMES(CONFIG_GNTTAB_MAX_FRAMES));
	assert_non_null(gmem_frame(&f->d.mem, gnttab_status_mfn(&f->d,
		GNTTAB_STATUS_FRAMES(CONFIG_GNTTAB_MAX_FRAMES) - 1), true));

	/* Back to v1: the status frames go away again. */
	{
		uint32_t now;

		assert_int_equal(set_version(f, 1, &now), 0);
	}
	assert_null(gmem_frame(&f->d.mem, smfn, false));
	gs = gsf(f, 1);
	assert_int_equal(gf_op(f, GNTTABOP_get_status_frames, OPS, 1), 0);
	assert_int_equal(gs->status, GNTST_general_error);
	gs = gsf(f, 0);
	assert_int_equal(gf_op(f, GNTTABOP_get_status_frames, OPS, 1), 0);
	assert_int_equal(gs->status, GNTST_okay);
}

static int16_t copy1(struct gnt_fix *f, uint16_t flags, uint64_t src,
		     uint16_t soff, uint64_t dst, uint16_t doff, uint16_t len)
{
	struct gnttab_copy *op = gf_ops(f);

	*op = (struct gnttab_copy){ .len = len, .flags = flags, .status = 99 };
	op->source.domid = S;
	op->source.offset = soff;
	op->dest.domid = S;
	op->dest.offset = doff;
	if (flags & GNTCOPY_source_gref)
		op->source.u.ref = (grant_ref_t)src;
	else
		op->source.u.gmfn = src;
	if (flags & GNTCOPY_dest_gref)
		op->dest.u.ref = (grant_ref_t)dst;
	else
		op->dest.u.gmfn = dst;
	assert_int_equal(gf_op(f, GNTTABOP_copy, OPS, 1), 0);
	return op->status;
}

static void test_hc_copy_v2(void **state)
{
	struct gnt_fix *f = *state;
	const uint16_t SG = GNTCOPY_source_gref, DG = GNTCOPY_dest_gref;
	uint8_t *a = gf_ram(f, PG(2) << 12), *b = gf_ram(f, PG(3) << 12);

	to_v2(f);
	memset(a, 0x5c, 4096);
	memset(b, 0, 4096);
	grant2(f, 10, GF_DOMID, PG(2), GTF_readonly);
	grant2(f, 11, GF_DOMID, PG(3), 0);
	assert_int_equal(copy1(f, SG | DG, 10, 0, 11, 0, 4096), GNTST_okay);
	assert_memory_equal(a, b, 4096);
	assert_int_equal(st2(f, 10), 0);
	assert_int_equal(st2(f, 11), 0);
	/* A read-only grant as the destination. */
	assert_int_equal(copy1(f, DG, PG(3), 0, 10, 0, 8), GNTST_general_error);
	assert_int_equal(st2(f, 10), 0);
	/* Beyond RAM, above 32 bits. */
	grant2(f, 12, GF_DOMID, (1ull << 32) | PG(2), 0);
	assert_int_equal(copy1(f, SG, 12, 0, PG(3), 0, 8), GNTST_bad_page);
	assert_int_equal(st2(f, 12), 0);

	/* Sub-page: bytes [256, 512) of PG(2) to the destination. */
	memset(b, 0, 4096);
	for (int i = 0; i < 4096; i++)
		a[i] = (uint8_t)i;
	grant2_sub(f, 13, GF_DOMID, PG(2), 256, 256, GTF_readonly);
	assert_int_equal(copy1(f, SG, 13, 256, PG(3), 0, 256), GNTST_okay);
	assert_memory_equal(b, a + 256, 256);
	assert_int_equal(copy1(f, SG, 13, 300, PG(3), 0, 10), GNTST_okay);
	/* Outside the window, on either side: Xen's general_error. */
	assert_int_equal(copy1(f, SG, 13, 255, PG(3), 0, 10),
			 GNTST_general_error);
	assert_int_equal(copy1(f, SG, 13, 500, PG(3), 0, 13),
			 GNTST_general_error);
	assert_int_equal(copy1(f, SG, 13, 0, PG(3), 0, 4096),
			 GNTST_general_error);
	/* Beyond the page: bad_copy_arg comes first. */
	assert_int_equal(copy1(f, SG, 13, 4000, PG(3), 0, 200),
			 GNTST_bad_copy_arg);
	assert_int_equal(st2(f, 13), 0);
	/* A sub-page destination, writable. */
	memset(b, 0, 4096);
	grant2_sub(f, 14, GF_DOMID, PG(3), 1024, 16, 0);
	assert_int_equal(copy1(f, DG, PG(2), 0, 14, 1024, 16), GNTST_okay);
	assert_memory_equal(b + 1024, a, 16);
	assert_int_equal(copy1(f, DG, PG(2), 0, 14, 1024, 17),
			 GNTST_general_error);
	assert_int_equal(copy1(f, DG, PG(2), 0, 14, 1000, 16),
			 GNTST_general_error);
	assert_int_equal(b[1040], 0);
	assert_int_equal(b[1000], 0);
	assert_int_equal(st2(f, 14), 0);
	/* Transitive: refused. */
	e2(f, 15)->transitive.trans_domid = 0;
	e2(f, 15)->transitive.gref = 1;
	e2(f, 15)->hdr.domid = GF_DOMID;
	e2(f, 15)->hdr.flags = GTF_transitive;
	assert_int_equal(copy1(f, SG, 15, 0, PG(3), 0, 8), GNTST_general_error);
	assert_int_equal(st2(f, 15), 0);
	/* Past v2's entries. */
	assert_int_equal(copy1(f, SG, 256, 0, PG(3), 0, 8), GNTST_bad_gntref);

	/* Back to v1: copies through v1 entries again. */
	{
		uint32_t now;

		assert_int_equal(set_version(f, 1, &now), 0);
	}
	memset(b, 0, 4096);
	gf_grant(f, 300, GF_DOMID, PG(2), GTF_readonly);
	assert_int_equal(copy1(f, SG, 300, 0, PG(3), 0, 4096), GNTST_okay);
	assert_memory_equal(a, b, 4096);
	assert_int_equal(gf_flags(f, 300), GTF_permit_access | GTF_readonly);
}

/* A dom0 service copying through a sub-page grant gets only its window. */
static void test_dom0_sub_page(void **state)
{
	struct gnt_fix *f = *state;
	const struct gnttab_dom0_config cfg = {
		.ram_fd = f->d.ram_fd, .gnttab_fd = gnttab_domain_fd(&f->d),
		.self = DOM0,
	};
	uint8_t *a = gf_ram(f, PG(4) << 12), buf[64];
	struct gnttab_dom0 *g;
	uint32_t h;
	void *p;

	to_v2(f);
	assert_int_equal(gnttab_dom0_open(&cfg, &g), 0);
	assert_int_equal(gnttab_dom0_nr_entries(g), 256);
	for (int i = 0; i < 4096; i++)
		a[i] = (uint8_t)(i * 7);
	grant2_sub(f, 20, DOM0, PG(4), 64, 32, 0);
	assert_int_equal(gnttab_dom0_copy_from(g, 20, 64, buf, 32), 0);
	assert_memory_equal(buf, a + 64, 32);
	assert_int_equal(gnttab_dom0_copy_from(g, 20, 63, buf, 8), -EPERM);
	assert_int_equal(gnttab_dom0_copy_to(g, 20, 90, buf, 8), -EPERM);
	assert_int_equal(gnttab_dom0_map(g, 20, false, &p, &h), -EPERM);
	assert_int_equal(st2(f, 20), 0);
	/* A full-page v2 grant maps. */
	grant2(f, 21, DOM0, PG(4), 0);
	assert_int_equal(gnttab_dom0_map(g, 21, true, &p, &h), 0);
	assert_int_equal(st2(f, 21), GTF_reading | GTF_writing);
	assert_int_equal(((uint8_t *)p)[5], a[5]);
	assert_int_equal(gnttab_dom0_unmap(g, h), 0);
	assert_int_equal(st2(f, 21), 0);
	gnttab_dom0_close(g);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_v2_pin_full_page),
		T(test_v2_readonly),
		T(test_v2_bad_frames),
		T(test_v2_sub_page),
		T(test_v2_swap),
		T(test_version_switch),
		T(test_version_reserved),
		T(test_version_race),
		T(test_hc_status_frames_v2),
		T(test_hc_copy_v2),
		T(test_dom0_sub_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
