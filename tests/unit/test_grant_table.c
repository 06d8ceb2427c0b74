/* SPDX-License-Identifier: MIT */
/*
 * Grant tables: the entry protocol on shared memory (core/gnttab_shm.c)
 * and grant_table_op (core/grant_table.c), error path by error path.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gnt_fixture.h"

#define DOM0		0
#define PG(n)		(0x20 + (n))	/* data frames for the tests */

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

/* ---- layout ------------------------------------------------------------ */

static void test_attach_rejects(void **state)
{
	struct gnt_fix *f = *state;
	const size_t good = gnttab_shm_size(4, 100);
	uint8_t *buf = aligned_alloc(4096, good + 4096);
	struct gnttab_shm t;

	(void)f;
	memset(buf, 0, good + 4096);
	/* Nothing formatted: no control page at the end. */
	assert_int_equal(gnttab_shm_attach(&t, buf, good), -EINVAL);
	assert_int_equal(gnttab_shm_attach(&t, NULL, good), -EINVAL);
	assert_int_equal(gnttab_shm_format(&t, buf, good, 5, 100, 7), -EINVAL);
	assert_int_equal(gnttab_shm_format(&t, buf, good, 4, 1ull << 32, 7),
			 -EINVAL);
	assert_int_equal(gnttab_shm_format(&t, buf, good - 4096, 4, 100, 7),
			 -EINVAL);
	assert_int_equal(gnttab_shm_format(&t, buf, good, 4, 100, 7), 0);
	assert_int_equal(gnttab_shm_attach(&t, buf, good), 0);
	assert_int_equal(t.max_frames, 4);
	assert_int_equal(t.frames.nr, 100);
	/* shared 4, status 1, active 4, window 2, then the frame words */
	assert_ptr_equal(t.frames.words, buf + 11 * 4096);
	assert_ptr_equal(t.status, buf + 4 * 4096);
	assert_ptr_equal(t.active, buf + 5 * 4096);
	assert_ptr_equal(t.window, buf + 9 * 4096);
	assert_int_equal(gnttab_shm_version(&t), 1);
	assert_int_equal(gnttab_shm_attach(&t, buf, good - 1), -EINVAL);
	assert_int_equal(gnttab_shm_attach(&t, buf, 4096), -EINVAL);
	/* A mapping of another size does not end in this control page. */
	assert_int_equal(gnttab_shm_attach(&t, buf, good + 4096), -EINVAL);
	assert_int_equal(gnttab_shm_attach(&t, buf, good - 4096), -EINVAL);
	/* ctl claims more frames than the mapping has: clamped. */
	assert_int_equal(gnttab_shm_format(&t, buf, good, 4, 100, 7), 0);
	t.ctl->nr_frames = 1000;
	assert_int_equal(gnttab_shm_nr_entries(&t), 4 * 512);
	/* Sizes in the control page that do not fit the mapping. */
	t.ctl->max_frames = 5;
	assert_int_equal(gnttab_shm_attach(&t, buf, good), -EINVAL);
	t.ctl->max_frames = 4;
	t.ctl->layout_version = 2;	/* v1-only layout: no status frames */
	assert_int_equal(gnttab_shm_attach(&t, buf, good), -EINVAL);
	free(buf);
}

static void test_grow_and_seed(void **state)
{
	struct gnt_fix *f = *state;
	struct gnttab *g = f->d.gnttab;
	uint32_t frame = 0;

	assert_int_equal(g->shm.max_frames, CONFIG_GNTTAB_MAX_FRAMES);
	assert_int_equal(gnttab_shm_nr_entries(&g->shm), 512);
	/* Frame 0 is in use and mappable; frame 1 not yet. */
	assert_non_null(gmem_frame(&f->d.mem, gnttab_frame_mfn(&f->d, 0), true));
	assert_null(gmem_frame(&f->d.mem, gnttab_frame_mfn(&f->d, 1), false));
	assert_int_equal(gnttab_grow(&f->d, CONFIG_GNTTAB_MAX_FRAMES + 1),
			 -EINVAL);
	assert_int_equal(gnttab_grow(&f->d, 3), 0);
	assert_int_equal(gnttab_shm_nr_entries(&g->shm), 3 * 512);
	assert_non_null(gmem_frame(&f->d.mem, gnttab_frame_mfn(&f->d, 2), true));
	assert_null(gmem_frame(&f->d.mem, gnttab_frame_mfn(&f->d, 3), false));
	/* Never shrinks. */
	assert_int_equal(gnttab_grow(&f->d, 1), 0);
	assert_int_equal(gnttab_shm_nr_entries(&g->shm), 3 * 512);
	/* The guest's view and ours are the same memory. */
	((uint32_t *)gmem_frame(&f->d.mem, gnttab_frame_mfn(&f->d, 2), true))[1] =
		0x1234;
	assert_int_equal(gf_entry(f, 2 * 512)->frame, 0x1234);

	assert_int_equal(gnttab_seed(&f->d, 3 * 512, DOM0, PG(0)), -EINVAL);
	assert_int_equal(gnttab_seed(&f->d, GNTTAB_RESERVED_XENSTORE, DOM0,
				     GF_RAM_PAGES), -EINVAL);
	assert_int_equal(gnttab_seed(&f->d, GNTTAB_RESERVED_XENSTORE, DOM0,
				     PG(1)), 0);
	assert_int_equal(gnttab_pin(shm(f), GNTTAB_RESERVED_XENSTORE, DOM0, 0,
				    &frame), GNTST_okay);
	assert_int_equal(frame, PG(1));
	assert_int_equal(gnttab_unpin(shm(f), GNTTAB_RESERVED_XENSTORE, DOM0,
				      false), GNTST_okay);
	assert_int_equal(gnttab_domain_fd(&f->d), g->fd);
}

/* ---- pin / unpin ------------------------------------------------------- */

static void test_pin_errors(void **state)
{
	struct gnt_fix *f = *state;
	uint32_t frame = 0;

	/* Out of range: the table has one frame, 512 entries. */
	assert_int_equal(gnttab_pin(shm(f), 512, DOM0, 0, &frame),
			 GNTST_bad_gntref);
	assert_int_equal(gnttab_pin(shm(f), 0xffffffffu, DOM0, 0, &frame),
			 GNTST_bad_gntref);
	assert_int_equal(gnttab_unpin(shm(f), 512, DOM0, true),
			 GNTST_bad_gntref);
	/* Never granted. */
	assert_int_equal(gnttab_pin(shm(f), 10, DOM0, GNTPIN_READONLY, &frame),
			 GNTST_general_error);
	/* Other entry types. */
	gf_grant(f, 11, DOM0, PG(0), 0);
	gf_entry(f, 11)->flags = GTF_accept_transfer;
	assert_int_equal(gnttab_pin(shm(f), 11, DOM0, GNTPIN_READONLY, &frame),
			 GNTST_general_error);
	gf_entry(f, 11)->flags = GTF_transitive;
	assert_int_equal(gnttab_pin(shm(f), 11, DOM0, GNTPIN_READONLY, &frame),
			 GNTST_general_error);
	/* Granted to someone else. */
	gf_grant(f, 12, 5, PG(0), 0);
	assert_int_equal(gnttab_pin(shm(f), 12, DOM0, GNTPIN_READONLY, &frame),
			 GNTST_general_error);
	assert_int_equal(gnttab_pin(shm(f), 12, 5, GNTPIN_READONLY, &frame),
			 GNTST_okay);
	assert_int_equal(gnttab_unpin(shm(f), 12, 5, true), GNTST_okay);
	/* Read-only grants cannot be pinned for write. */
	gf_grant(f, 13, DOM0, PG(0), GTF_readonly);
	assert_int_equal(gnttab_pin(shm(f), 13, DOM0, GNTPIN_MAP, &frame),
			 GNTST_general_error);
	assert_int_equal(gnttab_pin(shm(f), 13, DOM0, 0, &frame),
			 GNTST_general_error);
	assert_int_equal(gf_flags(f, 13), GTF_permit_access | GTF_readonly);
	/* Sub-page grants: copy yes, map no (Xen's v1 mask). */
	gf_grant(f, 14, DOM0, PG(0), GTF_sub_page);
	assert_int_equal(gnttab_pin(shm(f), 14, DOM0,
				    GNTPIN_MAP | GNTPIN_READONLY, &frame),
			 GNTST_general_error);
	assert_int_equal(gnttab_pin(shm(f), 14, DOM0, GNTPIN_READONLY, &frame),
			 GNTST_okay);
	assert_int_equal(gnttab_unpin(shm(f), 14, DOM0, true), GNTST_okay);
	/* Frames outside the granter's RAM; no in-use bits left behind. */
	gf_grant(f, 15, DOM0, GF_RAM_PAGES, 0);
	assert_int_equal(gnttab_pin(shm(f), 15, DOM0, 0, &frame),
			 GNTST_bad_page);
	assert_int_equal(gf_flags(f, 15), GTF_permit_access);
	gf_grant(f, 15, DOM0, 0xffffffffu, 0);
	assert_int_equal(gnttab_pin(shm(f), 15, DOM0, GNTPIN_READONLY, &frame),
			 GNTST_bad_page);
	assert_int_equal(gf_flags(f, 15), GTF_permit_access);
	gf_grant(f, 15, DOM0, GF_RAM_PAGES - 1, 0);
	assert_int_equal(gnttab_pin(shm(f), 15, DOM0, GNTPIN_READONLY, &frame),
			 GNTST_okay);
	assert_int_equal(frame, GF_RAM_PAGES - 1);
	assert_int_equal(gnttab_unpin(shm(f), 15, DOM0, true), GNTST_okay);
	/* Unpins that match no pin. */
	assert_int_equal(gnttab_unpin(shm(f), 15, DOM0, true),
			 GNTST_general_error);
	assert_int_equal(gnttab_unpin(shm(f), 16, DOM0, false),
			 GNTST_general_error);
}

static void test_pin_counts_and_bits(void **state)
{
	struct gnt_fix *f = *state;
	unsigned int rd, wr;
	uint32_t frame = 0;

	gf_grant(f, 20, DOM0, PG(1), 0);
	assert_int_equal(gnttab_pin(shm(f), 20, DOM0, GNTPIN_READONLY, &frame),
			 GNTST_okay);
	assert_int_equal(frame, PG(1));
	assert_int_equal(gf_flags(f, 20), GTF_permit_access | GTF_reading);
	/* The frame is fixed at the first pin; later guest writes do not count. */
	gf_entry(f, 20)->frame = PG(2);
	assert_int_equal(gnttab_pin(shm(f), 20, DOM0, GNTPIN_MAP, &frame),
			 GNTST_okay);
	assert_int_equal(frame, PG(1));
	assert_int_equal(gf_flags(f, 20),
			 GTF_permit_access | GTF_reading | GTF_writing);
	assert_int_equal(gnttab_pin(shm(f), 20, DOM0, 0, &frame), GNTST_okay);
	gnttab_pins(shm(f), 20, &rd, &wr);
	assert_int_equal(rd, 1);
	assert_int_equal(wr, 2);
	/* A different domain cannot share the pin. */
	assert_int_equal(gnttab_pin(shm(f), 20, 9, GNTPIN_READONLY, &frame),
			 GNTST_general_error);
	assert_int_equal(gnttab_unpin(shm(f), 20, 9, true), GNTST_general_error);
	/* Writers go, GTF_writing goes with the last; reading stays. */
	assert_int_equal(gnttab_unpin(shm(f), 20, DOM0, false), GNTST_okay);
	assert_true(gf_flags(f, 20) & GTF_writing);
	assert_int_equal(gnttab_unpin(shm(f), 20, DOM0, false), GNTST_okay);
	assert_int_equal(gf_flags(f, 20), GTF_permit_access | GTF_reading);
	assert_int_equal(gnttab_unpin(shm(f), 20, DOM0, false),
			 GNTST_general_error);
	assert_false(gf_revoke(f, 20));
	assert_int_equal(gnttab_unpin(shm(f), 20, DOM0, true), GNTST_okay);
	assert_int_equal(gf_flags(f, 20), GTF_permit_access);
	gnttab_pins(shm(f), 20, &rd, &wr);
	assert_int_equal(rd + wr, 0);
	assert_true(gf_revoke(f, 20));
	/* Revoked: no new pins. */
	assert_int_equal(gnttab_pin(shm(f), 20, DOM0, GNTPIN_READONLY, &frame),
			 GNTST_general_error);
}

static void test_pin_overflow(void **state)
{
	struct gnt_fix *f = *state;
	uint32_t frame;

	gf_grant(f, 21, DOM0, PG(1), 0);
	for (int i = 0; i < 255; i++)
		assert_int_equal(gnttab_pin(shm(f), 21, DOM0, GNTPIN_READONLY,
					    &frame), GNTST_okay);
	assert_int_equal(gnttab_pin(shm(f), 21, DOM0, GNTPIN_READONLY, &frame),
			 GNTST_general_error);
	/* Writers have their own count. */
	for (int i = 0; i < 255; i++)
		assert_int_equal(gnttab_pin(shm(f), 21, DOM0, 0, &frame),
				 GNTST_okay);
	assert_int_equal(gnttab_pin(shm(f), 21, DOM0, 0, &frame),
			 GNTST_general_error);
	for (int i = 0; i < 255; i++) {
		assert_int_equal(gnttab_unpin(shm(f), 21, DOM0, true), GNTST_okay);
		assert_int_equal(gnttab_unpin(shm(f), 21, DOM0, false),
				 GNTST_okay);
	}
	assert_int_equal(gf_flags(f, 21), GTF_permit_access);
}

static void test_revoke_protocol(void **state)
{
	struct gnt_fix *f = *state;
	uint32_t frame;

	/* The guest revokes first: the pin sees flags 0 and refuses. */
	gf_grant(f, 22, DOM0, PG(1), 0);
	assert_true(gf_revoke(f, 22));
	assert_int_equal(gnttab_pin(shm(f), 22, DOM0, 0, &frame),
			 GNTST_general_error);
	assert_int_equal(gf_flags(f, 22), 0);
	/* The pin comes first: revoking fails until the unpin. */
	gf_grant(f, 22, DOM0, PG(1), 0);
	assert_int_equal(gnttab_pin(shm(f), 22, DOM0, 0, &frame), GNTST_okay);
	assert_false(gf_revoke(f, 22));
	assert_int_equal(gnttab_unpin(shm(f), 22, DOM0, false), GNTST_okay);
	assert_true(gf_revoke(f, 22));
	/* A guest that clears the flags by force while pinned hurts itself. */
	gf_grant(f, 23, DOM0, PG(1), 0);
	assert_int_equal(gnttab_pin(shm(f), 23, DOM0, 0, &frame), GNTST_okay);
	gf_entry(f, 23)->flags = 0;
	/* An existing pin does not look at type or domid again (Xen). */
	assert_int_equal(gnttab_pin(shm(f), 23, DOM0, GNTPIN_READONLY, &frame),
			 GNTST_okay);
	assert_int_equal(gnttab_unpin(shm(f), 23, DOM0, true), GNTST_okay);
	assert_int_equal(gnttab_unpin(shm(f), 23, DOM0, false), GNTST_okay);
	assert_int_equal(gf_flags(f, 23), 0);
	/* But a new write pin still honours a read-only flag set meanwhile. */
	gf_grant(f, 24, DOM0, PG(1), 0);
	assert_int_equal(gnttab_pin(shm(f), 24, DOM0, GNTPIN_READONLY, &frame),
			 GNTST_okay);
	__atomic_fetch_or(&gf_entry(f, 24)->flags, GTF_readonly,
			  __ATOMIC_SEQ_CST);
	assert_int_equal(gnttab_pin(shm(f), 24, DOM0, 0, &frame),
			 GNTST_general_error);
	assert_int_equal(gnttab_unpin(shm(f), 24, DOM0, true), GNTST_okay);
}

static void test_wedged_entry(void **state)
{
	struct gnt_fix *f = *state;
	uint64_t *w = &f->d.gnttab->shm.active[25];
	uint32_t frame;

	gf_grant(f, 25, DOM0, PG(1), 0);
	/* A mapper died holding the entry lock: bounded wait, then eagain. */
	*w |= 1ull << 63;
	assert_int_equal(gnttab_pin(shm(f), 25, DOM0, 0, &frame), GNTST_eagain);
	assert_int_equal(gnttab_unpin(shm(f), 25, DOM0, false), GNTST_eagain);
	assert_int_equal(gnttab_swap(shm(f), 25, 26), GNTST_eagain);
	assert_int_equal(gnttab_swap(shm(f), 26, 25), GNTST_eagain);
	assert_int_equal(gf_flags(f, 25), GTF_permit_access);
	*w &= ~(1ull << 63);
	assert_int_equal(gnttab_pin(shm(f), 25, DOM0, 0, &frame), GNTST_okay);
	assert_int_equal(gnttab_unpin(shm(f), 25, DOM0, false), GNTST_okay);
}

struct flipper {
	struct gnt_fix *f;
	bool stop;
};

static void *flip_entry(void *arg)
{
	struct flipper *fl = arg;
	struct grant_entry_v1 *e = gf_entry(fl->f, 27);
	uint32_t *w0 = (uint32_t *)e;

	/* A hostile vCPU rewriting domid (and the low flags) nonstop. */
	for (uint32_t i = 0; !__atomic_load_n(&fl->stop, __ATOMIC_RELAXED); i++)
		__atomic_store_n(w0, GTF_permit_access | ((i & 1) << 16),
				 __ATOMIC_RELAXED);
	return NULL;
}

static void test_unstable_entry(void **state)
{
	struct gnt_fix *f = *state;
	struct flipper fl = { .f = f };
	unsigned int ok = 0, err = 0, rd, wr;
	pthread_t t;
	uint32_t frame;

	gf_grant(f, 27, DOM0, PG(1), 0);
	assert_int_equal(pthread_create(&t, NULL, flip_entry, &fl), 0);
	for (int i = 0; i < 20000; i++) {
		int16_t rc = gnttab_pin(shm(f), 27, DOM0, 0, &frame);

		if (rc == GNTST_okay) {
			ok++;
			assert_int_equal(frame, PG(1));
			assert_int_equal(gnttab_unpin(shm(f), 27, DOM0, false),
					 GNTST_okay);
		} else {
			assert_int_equal(rc, GNTST_general_error);
			err++;
		}
	}
	__atomic_store_n(&fl.stop, true, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	gnttab_pins(shm(f), 27, &rd, &wr);
	assert_int_equal(rd + wr, 0);
	assert_int_equal(ok + err, 20000);
}

static void test_swap(void **state)
{
	struct gnt_fix *f = *state;
	uint32_t frame;

	gf_grant(f, 30, 7, PG(1), 0);
	gf_grant(f, 31, 8, PG(2), GTF_readonly);
	assert_int_equal(gnttab_swap(shm(f), 30, 512), GNTST_bad_gntref);
	assert_int_equal(gnttab_swap(shm(f), 0xffffffffu, 30), GNTST_bad_gntref);
	assert_int_equal(gnttab_swap(shm(f), 30, 30), GNTST_okay);
	assert_int_equal(gnttab_swap(shm(f), 31, 30), GNTST_okay);
	assert_int_equal(gf_entry(f, 30)->domid, 8);
	assert_int_equal(gf_entry(f, 30)->frame, PG(2));
	assert_int_equal(gf_flags(f, 30), GTF_permit_access | GTF_readonly);
	assert_int_equal(gf_entry(f, 31)->domid, 7);
	assert_int_equal(gnttab_pin(shm(f), 31, 7, GNTPIN_READONLY, &frame),
			 GNTST_okay);
	assert_int_equal(gnttab_swap(shm(f), 30, 31), GNTST_eagain);
	assert_int_equal(gnttab_unpin(shm(f), 31, 7, true), GNTST_okay);
}

/* ---- grant_table_op ---------------------------------------------------- */

#define OPS	GF_OPS_VA

static void test_hc_dispatch(void **state)
{
	struct gnt_fix *f = *state;

	assert_int_equal(gf_op(f, GNTTABOP_query_size, OPS, 0x80000000u),
			 -EINVAL);
	assert_int_equal(gf_op(f, GNTTABOP_query_size | (1u << 12), OPS, 1),
			 -EINVAL);
	assert_int_equal(gf_op(f, GNTTABOP_dump_table, OPS, 1), -ENOSYS);
	assert_int_equal(gf_op(f, GNTTABOP_transfer, OPS, 1), -ENOSYS);
	assert_int_equal(gf_op(f, GNTTABOP_cache_flush, OPS, 1), -ENOSYS);
	assert_int_equal(gf_op(f, GNTTABOP_cache_flush | (1u << 12), OPS, 1),
			 -ENOSYS);
	assert_int_equal(gf_op(f, 4095, OPS, 1), -ENOSYS);
	/* Only the low 32 bits name the op, as in Xen's prototype. */
	{
		struct gnttab_query_size *q = gf_ops(f);

		q->dom = DOMID_SELF;
		assert_int_equal(gf_op(f, (1ull << 32) | GNTTABOP_query_size,
				       OPS, 1), 0);
		assert_int_equal(q->status, GNTST_okay);
	}
}

static void test_hc_query_version(void **state)
{
	struct gnt_fix *f = *state;
	struct gnttab_query_size *q = gf_ops(f);
	struct gnttab_get_version *gv = gf_ops(f);
	struct gnttab_set_version *sv = gf_ops(f);

	*q = (struct gnttab_query_size){ .dom = DOMID_SELF, .status = 99 };
	assert_int_equal(gf_op(f, GNTTABOP_query_size, OPS, 1), 0);
	assert_int_equal(q->status, GNTST_okay);
	assert_int_equal(q->nr_frames, 1);
	assert_int_equal(q->max_nr_frames, CONFIG_GNTTAB_MAX_FRAMES);
	q->dom = GF_DOMID;
	assert_int_equal(gf_op(f, GNTTABOP_query_size, OPS, 1), 0);
	assert_int_equal(q->status, GNTST_okay);
	q->dom = 0;
	assert_int_equal(gf_op(f, GNTTABOP_query_size, OPS, 1), 0);
	assert_int_equal(q->status, GNTST_bad_domain);
	assert_int_equal(gf_op(f, GNTTABOP_query_size, OPS, 2), -EINVAL);
	assert_int_equal(gf_op(f, GNTTABOP_query_size, 0x1000, 1), -EFAULT);
	assert_int_equal(gf_op(f, GNTTABOP_query_size, GF_RO_VA, 1), -EFAULT);

	*gv = (struct gnttab_get_version){ .dom = DOMID_SELF };
	assert_int_equal(gf_op(f, GNTTABOP_get_version, OPS, 1), 0);
	assert_int_equal(gv->version, 1);
	gv->dom = 0x7ff1;
	assert_int_equal(gf_op(f, GNTTABOP_get_version, OPS, 1), -ESRCH);
	assert_int_equal(gf_op(f, GNTTABOP_get_version, 0x1000, 1), -EFAULT);

	sv->version = 1;
	assert_int_equal(gf_op(f, GNTTABOP_set_version, OPS, 1), 0);
	assert_int_equal(sv->version, 1);
	sv->version = 0xffffffffu;
	assert_int_equal(gf_op(f, GNTTABOP_set_version, OPS, 1), -EINVAL);
	assert_int_equal(sv->version, 1);
	/* The answer cannot be written back: -EFAULT wins. */
	*(uint32_t *)gf_ram(f, GF_RO_PA) = 1;
	assert_int_equal(gf_op(f, GNTTABOP_set_version, GF_RO_VA, 1), -EFAULT);
}

static struct gnttab_setup_table *setup_op(struct gnt_fix *f, domid_t dom,
					   uint32_t nr, uint64_t list)
{
	struct gnttab_setup_table *st = gf_ops(f);

	*st = (struct gnttab_setup_table){
		.dom = dom, .nr_frames = nr, .status = 99, .frame_list = list,
	};
	return st;
}

static void test_hc_setup_table(void **state)
{
	struct gnt_fix *f = *state;
	const uint64_t list = OPS + 2048;
	xen_pfn_t *frames = (xen_pfn_t *)((uint8_t *)gf_ops(f) + 2048);
	struct gnttab_setup_table *st;
	xen_pfn_t first[8];

	st = setup_op(f, DOMID_SELF, 8, list);
	assert_int_equal(gf_op(f, GNTTABOP_setup_table, OPS, 1), 0);
	assert_int_equal(st->status, GNTST_okay);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(frames[i], gnttab_frame_mfn(&f->d, i));
		assert_non_null(gmem_frame(&f->d.mem, frames[i], true));
		first[i] = frames[i];
	}
	assert_int_equal(gnttab_shm_nr_entries(shm(f)), 8 * 512);
	/* Growing keeps every frame where it was. */
	st = setup_op(f, GF_DOMID, 16, list);
	assert_int_equal(gf_op(f, GNTTABOP_setup_table, OPS, 1), 0);
	assert_int_equal(st->status, GNTST_okay);
	assert_memory_equal(frames, first, sizeof(first));

	st = setup_op(f, DOMID_SELF, CONFIG_GNTTAB_MAX_FRAMES + 1, list);
	assert_int_equal(gf_op(f, GNTTABOP_setup_table, OPS, 1), 0);
	assert_int_equal(st->status, GNTST_general_error);
	assert_int_equal(gnttab_shm_nr_entries(shm(f)), 16 * 512);
	st = setup_op(f, 1, 1, list);
	assert_int_equal(gf_op(f, GNTTABOP_setup_table, OPS, 1), 0);
	assert_int_equal(st->status, GNTST_bad_domain);
	/* frame_list: unmapped, read-only, in the hypervisor's slots, wrapping. */
	st = setup_op(f, DOMID_SELF, 2, 0x1000);
	assert_int_equal(gf_op(f, GNTTABOP_setup_table, OPS, 1), 0);
	assert_int_equal(st->status, GNTST_bad_virt_addr);
	st = setup_op(f, DOMID_SELF, 2, GF_RO_VA);
	assert_int_equal(gf_op(f, GNTTABOP_setup_table, OPS, 1), 0);
	assert_int_equal(st->status, GNTST_bad_virt_addr);
	st = setup_op(f, DOMID_SELF, 2, OPS + 4 * 4096 - 8);	/* 2nd unmapped */
	assert_int_equal(gf_op(f, GNTTABOP_setup_table, OPS, 1), 0);
	assert_int_equal(st->status, GNTST_bad_virt_addr);
	st = setup_op(f, DOMID_SELF, 1, FM_RESERVED_START + 8);
	assert_int_equal(gf_op(f, GNTTABOP_setup_table, OPS, 1), -EFAULT);
	st = setup_op(f, DOMID_SELF, 1, FM_RESERVED_START - 4);
	assert_int_equal(gf_op(f, GNTTABOP_setup_table, OPS, 1), -EFAULT);
	st = setup_op(f, DOMID_SELF, 0xffffffffu, 0xfffffffffffff000ull);
	assert_int_equal(gf_op(f, GNTTABOP_setup_table, OPS, 1), -EFAULT);
	st = setup_op(f, DOMID_SELF, 2, 0x00007ffffffffff8ull);	/* into the hole */
	assert_int_equal(gf_op(f, GNTTABOP_setup_table, OPS, 1), -EFAULT);
	st = setup_op(f, DOMID_SELF, 1, 0x8000000000000000ull);
	assert_int_equal(gf_op(f, GNTTABOP_setup_table, OPS, 1), -EFAULT);
	st = setup_op(f, DOMID_SELF, 0, 0);
	assert_int_equal(gf_op(f, GNTTABOP_setup_table, OPS, 1), 0);
	assert_int_equal(st->status, GNTST_okay);
	assert_int_equal(gf_op(f, GNTTABOP_setup_table, OPS, 0), -EINVAL);
	assert_int_equal(gf_op(f, GNTTABOP_setup_table, OPS, 2), -EINVAL);
	assert_int_equal(gf_op(f, GNTTABOP_setup_table, 0x1000, 1), -EFAULT);
	/* Status cannot be written back. */
	memcpy(gf_ram(f, GF_RO_PA), st, sizeof(*st));
	assert_int_equal(gf_op(f, GNTTABOP_setup_table, GF_RO_VA, 1), -EFAULT);
}

static void test_hc_status_frames(void **state)
{
	struct gnt_fix *f = *state;
	struct gnttab_get_status_frames *gs = gf_ops(f);

	*gs = (struct gnttab_get_status_frames){
		.nr_frames = 0, .dom = DOMID_SELF, .frame_list = OPS + 1024,
	};
	assert_int_equal(gf_op(f, GNTTABOP_get_status_frames, OPS, 1), 0);
	assert_int_equal(gs->status, GNTST_okay);
	gs->nr_frames = 1;
	assert_int_equal(gf_op(f, GNTTABOP_get_status_frames, OPS, 1), 0);
	assert_int_equal(gs->status, GNTST_general_error);
	gs->dom = 0;
	assert_int_equal(gf_op(f, GNTTABOP_get_status_frames, OPS, 1), 0);
	assert_int_equal(gs->status, GNTST_bad_domain);
	gs->frame_list = FM_RESERVED_START;
	assert_int_equal(gf_op(f, GNTTABOP_get_status_frames, OPS, 1), -EFAULT);
	assert_int_equal(gf_op(f, GNTTABOP_get_status_frames, OPS, 2), -EINVAL);
}

static struct gnttab_copy mkcopy(uint16_t flags, uint64_t src, domid_t sdom,
				 uint16_t soff, uint64_t dst, domid_t ddom,
				 uint16_t doff, uint16_t len)
{
	struct gnttab_copy c = { .len = len, .flags = flags, .status = 99 };

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

static int16_t copy1(struct gnt_fix *f, struct gnttab_copy c)
{
	struct gnttab_copy *op = gf_ops(f);

	*op = c;
	assert_int_equal(gf_op(f, GNTTABOP_copy, OPS, 1), 0);
	return op->status;
}

static void test_hc_copy(void **state)
{
	struct gnt_fix *f = *state;
	const domid_t S = DOMID_SELF;
	uint8_t *a = gf_ram(f, PG(0) << 12), *b = gf_ram(f, PG(1) << 12);
	uint64_t hv_ro;

	for (int i = 0; i < 4096; i++)
		a[i] = (uint8_t)(i * 13);
	assert_int_equal(copy1(f, mkcopy(0, PG(0), S, 5, PG(1), S, 7, 100)),
			 GNTST_okay);
	assert_memory_equal(b + 7, a + 5, 100);
	assert_int_equal(b[6], 0);
	assert_int_equal(b[107], 0);
	/* Overlapping source and destination in one page. */
	assert_int_equal(copy1(f, mkcopy(0, PG(0), S, 0, PG(0), S, 1, 64)),
			 GNTST_okay);
	/* len 0 succeeds whatever the rest says. */
	assert_int_equal(copy1(f, mkcopy(3, 0xffffffffu, 0x7ff5, 0xffff,
					 0xffffffffu, 0x7ff5, 0xffff, 0)),
			 GNTST_okay);
	/* Domains: frames only from DOMID_SELF, grants only from known domains. */
	assert_int_equal(copy1(f, mkcopy(0, PG(0), GF_DOMID, 0, PG(1), S, 0, 8)),
			 GNTST_permission_denied);
	assert_int_equal(copy1(f, mkcopy(0, PG(0), S, 0, PG(1), 0, 0, 8)),
			 GNTST_permission_denied);
	assert_int_equal(copy1(f, mkcopy(GNTCOPY_source_gref, 40, 0, 0, PG(1),
					 S, 0, 8)), GNTST_bad_domain);
	assert_int_equal(copy1(f, mkcopy(GNTCOPY_dest_gref, PG(0), S, 0, 40,
					 0x7ff2, 0, 8)), GNTST_bad_domain);
	/* Frames: beyond RAM, hypervisor frames the guest may not touch. */
	assert_int_equal(copy1(f, mkcopy(0, GF_RAM_PAGES, S, 0, PG(1), S, 0, 8)),
			 GNTST_bad_page);
	assert_int_equal(copy1(f, mkcopy(0, ~0ull, S, 0, PG(1), S, 0, 8)),
			 GNTST_bad_page);
	hv_ro = gnttab_frame_mfn(&f->d, CONFIG_GNTTAB_MAX_FRAMES - 1);
	assert_int_equal(copy1(f, mkcopy(0, hv_ro, S, 0, PG(1), S, 0, 8)),
			 GNTST_bad_page);
	assert_int_equal(copy1(f, mkcopy(0, PG(0), S, 0,
					 (HV_GPA_BASE >> 12) +
					 CONFIG_GNTTAB_MAX_FRAMES, S, 0, 8)),
			 GNTST_bad_page);
	/* The grant table's own frame is fair game (Xen: shared with us). */
	assert_int_equal(copy1(f, mkcopy(0, PG(0), S, 0,
					 gnttab_frame_mfn(&f->d, 0), S, 4088, 8)),
			 GNTST_okay);
	/* Page bounds, checked after the buffers (Xen's order). */
	assert_int_equal(copy1(f, mkcopy(0, PG(0), S, 4095, PG(1), S, 0, 2)),
			 GNTST_bad_copy_arg);
	assert_int_equal(copy1(f, mkcopy(0, PG(0), S, 0, PG(1), S, 0xffff,
					 0xffff)), GNTST_bad_copy_arg);
	assert_int_equal(copy1(f, mkcopy(0, PG(0), S, 0, PG(1), S, 0, 4097)),
			 GNTST_bad_copy_arg);
	assert_int_equal(copy1(f, mkcopy(0, ~0ull, S, 0xffff, PG(1), S, 0, 8)),
			 GNTST_bad_page);
}

static void test_hc_copy_grants(void **state)
{
	struct gnt_fix *f = *state;
	const domid_t S = DOMID_SELF;
	uint8_t *a = gf_ram(f, PG(2) << 12), *b = gf_ram(f, PG(3) << 12);
	uint32_t frame;

	memset(a, 0x5c, 4096);
	gf_grant(f, 40, GF_DOMID, PG(2), GTF_readonly);
	gf_grant(f, 41, GF_DOMID, PG(3), 0);
	assert_int_equal(copy1(f, mkcopy(3, 40, S, 0, 41, GF_DOMID, 0, 4096)),
			 GNTST_okay);
	assert_memory_equal(a, b, 4096);
	assert_int_equal(gf_flags(f, 40), GTF_permit_access | GTF_readonly);
	assert_int_equal(gf_flags(f, 41), GTF_permit_access);
	/* Read-only grant as a destination. */
	assert_int_equal(copy1(f, mkcopy(GNTCOPY_dest_gref, PG(3), S, 0, 40, S,
					 0, 8)), GNTST_general_error);
	/* Grants to another domain, past the table, bad frames. */
	gf_grant(f, 42, 0, PG(2), 0);
	assert_int_equal(copy1(f, mkcopy(GNTCOPY_source_gref, 42, S, 0, PG(3),
					 S, 0, 8)), GNTST_general_error);
	assert_int_equal(copy1(f, mkcopy(GNTCOPY_source_gref, 512, S, 0, PG(3),
					 S, 0, 8)), GNTST_bad_gntref);
	assert_int_equal(copy1(f, mkcopy(GNTCOPY_source_gref, 0xffffffffu, S, 0,
					 PG(3), S, 0, 8)), GNTST_bad_gntref);
	gf_grant(f, 43, GF_DOMID, GF_RAM_PAGES + 5, 0);
	assert_int_equal(copy1(f, mkcopy(GNTCOPY_source_gref, 43, S, 0, PG(3),
					 S, 0, 8)), GNTST_bad_page);
	assert_int_equal(gf_flags(f, 43), GTF_permit_access);
	/* A failing dest releases the source pin. */
	assert_int_equal(copy1(f, mkcopy(GNTCOPY_source_gref, 40, S, 0,
					 GF_RAM_PAGES, S, 0, 8)), GNTST_bad_page);
	assert_int_equal(gf_flags(f, 40), GTF_permit_access | GTF_readonly);
	/* Bounds failure releases both. */
	assert_int_equal(copy1(f, mkcopy(3, 40, S, 4000, 41, S, 0, 200)),
			 GNTST_bad_copy_arg);
	assert_int_equal(gf_flags(f, 40), GTF_permit_access | GTF_readonly);
	assert_int_equal(gf_flags(f, 41), GTF_permit_access);
	/* A dom0 pin on the entry makes it dom0's: our copy is refused. */
	assert_int_equal(gnttab_pin(shm(f), 42, 0, GNTPIN_READONLY, &frame),
			 GNTST_okay);
	gf_entry(f, 42)->domid = GF_DOMID;
	assert_int_equal(copy1(f, mkcopy(GNTCOPY_source_gref, 42, S, 0, PG(3),
					 S, 0, 8)), GNTST_general_error);
	assert_int_equal(gnttab_unpin(shm(f), 42, 0, true), GNTST_okay);
	assert_int_equal(copy1(f, mkcopy(GNTCOPY_source_gref, 42, S, 0, PG(3),
					 S, 0, 8)), GNTST_okay);
}

static void test_hc_copy_batch(void **state)
{
	struct gnt_fix *f = *state;
	const domid_t S = DOMID_SELF;
	struct gnttab_copy *ops = gf_ops(f);
	const unsigned int fit = 4 * 4096 / sizeof(*ops);	/* whole ops */

	ops[0] = mkcopy(0, PG(0), S, 0, PG(1), S, 0, 8);
	ops[1] = mkcopy(0, PG(0), S, 4090, PG(1), S, 0, 8);
	ops[2] = mkcopy(0, GF_RAM_PAGES, S, 0, PG(1), S, 0, 8);
	ops[3] = mkcopy(0, PG(0), S, 0, PG(1), S, 0, 8);
	assert_int_equal(gf_op(f, GNTTABOP_copy, OPS, 4), 0);
	assert_int_equal(ops[0].status, GNTST_okay);
	assert_int_equal(ops[1].status, GNTST_bad_copy_arg);
	assert_int_equal(ops[2].status, GNTST_bad_page);
	assert_int_equal(ops[3].status, GNTST_okay);
	/* The array runs off the mapped area: the ops before it are done. */
	for (unsigned int i = 0; i < fit; i++)
		ops[i] = mkcopy(0, PG(0), S, 0, PG(1), S, 0, 8);
	assert_int_equal(gf_op(f, GNTTABOP_copy, OPS, fit + 1), -EFAULT);
	assert_int_equal(ops[fit - 1].status, GNTST_okay);
	/* Not even in guest space. */
	assert_int_equal(gf_op(f, GNTTABOP_copy, FM_RESERVED_START, 1), -EFAULT);
	assert_int_equal(gf_op(f, GNTTABOP_copy, 0xffffffffffffff00ull,
			       0x7fffffff), -EFAULT);
	assert_int_equal(gf_op(f, GNTTABOP_copy, OPS, 0), 0);
	/* Status not writable. */
	memcpy(gf_ram(f, GF_RO_PA), &ops[0], sizeof(ops[0]));
	assert_int_equal(gf_op(f, GNTTABOP_copy, GF_RO_VA, 1), -EFAULT);
}

static void test_hc_map_unmap_swap(void **state)
{
	struct gnt_fix *f = *state;
	struct gnttab_map_grant_ref *m = gf_ops(f);
	struct gnttab_unmap_grant_ref *u = gf_ops(f);
	struct gnttab_unmap_and_replace *ur = gf_ops(f);
	struct gnttab_swap_grant_ref *sw = gf_ops(f);

	*m = (struct gnttab_map_grant_ref){ .flags = GNTMAP_readonly,
					    .ref = 50, .dom = GF_DOMID };
	assert_int_equal(gf_op(f, GNTTABOP_map_grant_ref, OPS, 1), 0);
	assert_int_equal(m->status, GNTST_bad_gntref);
	m->flags = GNTMAP_host_map;
	m->dom = DOMID_SELF;
	assert_int_equal(gf_op(f, GNTTABOP_map_grant_ref, OPS, 1), 0);
	assert_int_equal(m->status, GNTST_bad_domain);
	m->dom = 0;
	assert_int_equal(gf_op(f, GNTTABOP_map_grant_ref, OPS, 1), 0);
	assert_int_equal(m->status, GNTST_bad_domain);
	m->dom = GF_DOMID;
	m->ref = 512;
	assert_int_equal(gf_op(f, GNTTABOP_map_grant_ref, OPS, 1), 0);
	assert_int_equal(m->status, GNTST_bad_gntref);
	m->ref = 50;
	gf_grant(f, 50, GF_DOMID, PG(0), 0);
	/* No L1 for host_addr 0 (no page tables here): all undone. */
	assert_int_equal(gf_op(f, GNTTABOP_map_grant_ref, OPS, 1), 0);
	assert_int_equal(m->status, GNTST_general_error);
	assert_int_equal(gf_flags(f, 50), GTF_permit_access);
	assert_int_equal(gf_op(f, GNTTABOP_map_grant_ref, FM_RESERVED_START, 1),
			 -EFAULT);

	*u = (struct gnttab_unmap_grant_ref){ .handle = 0 };
	assert_int_equal(gf_op(f, GNTTABOP_unmap_grant_ref, OPS, 1), 0);
	assert_int_equal(u->status, GNTST_bad_handle);
	*ur = (struct gnttab_unmap_and_replace){ .handle = 7 };
	assert_int_equal(gf_op(f, GNTTABOP_unmap_and_replace, OPS, 1), 0);
	assert_int_equal(ur->status, GNTST_bad_handle);
	assert_int_equal(gf_op(f, GNTTABOP_unmap_grant_ref, 0x1000, 1), -EFAULT);

	gf_grant(f, 51, 1, PG(0), 0);
	gf_grant(f, 52, 2, PG(1), 0);
	*sw = (struct gnttab_swap_grant_ref){ .ref_a = 51, .ref_b = 52 };
	assert_int_equal(gf_op(f, GNTTABOP_swap_grant_ref, OPS, 1), 0);
	assert_int_equal(sw->status, GNTST_okay);
	assert_int_equal(gf_entry(f, 51)->domid, 2);
	sw->ref_b = 512;
	assert_int_equal(gf_op(f, GNTTABOP_swap_grant_ref, OPS, 1), 0);
	assert_int_equal(sw->status, GNTST_bad_gntref);
	assert_int_equal(gf_op(f, GNTTABOP_swap_grant_ref, 0x1000, 1), -EFAULT);
}

static void test_hc_no_table(void **state)
{
	struct gnt_fix *f = *state;
	struct gnttab *g = f->d.gnttab;

	/* A domain without a table (never the case after domain_create). */
	f->d.gnttab = NULL;
	assert_int_equal(gf_op(f, GNTTABOP_query_size, OPS, 1), -ENOSYS);
	assert_int_equal(gnttab_domain_fd(&f->d), -1);
	assert_int_equal(gnttab_seed(&f->d, 0, 0, PG(0)), -EINVAL);
	f->d.gnttab = g;
}

/*
 * Security issue, hole 1: a copy into a frame typed as a page table (or
 * descriptor page) would write it unvalidated, and a frame ballooned out
 * is not the guest's any more. Both are refused, by frame and by grant,
 * and a read of a table is allowed as on Xen.
 */
static void test_hc_copy_frame_rules(void **state)
{
	struct gnt_fix *f = *state;
	const struct frame_state *fs = &f->d.gnttab->shm.frames;
	const domid_t S = DOMID_SELF;
	uint8_t *t = gf_ram(f, PG(5) << 12);

	memset(t, 0xaa, 4096);
	assert_true(frame_protect(fs, PG(5)));	/* the engine typed it */
	assert_int_equal(copy1(f, mkcopy(0, PG(4), S, 0, PG(5), S, 0, 8)),
			 GNTST_general_error);
	gf_grant(f, 50, GF_DOMID, PG(5), 0);
	assert_int_equal(copy1(f, mkcopy(GNTCOPY_dest_gref, PG(4), S, 0, 50, S,
					 0, 8)), GNTST_general_error);
	assert_int_equal(gf_flags(f, 50), GTF_permit_access);
	assert_int_equal(t[0], 0xaa);
	/* Reading a table is fine. */
	assert_int_equal(copy1(f, mkcopy(0, PG(5), S, 0, PG(4), S, 0, 8)),
			 GNTST_okay);
	frame_unprotect(fs, PG(5));
	assert_int_equal(copy1(f, mkcopy(0, PG(4), S, 0, PG(5), S, 0, 8)),
			 GNTST_okay);
	assert_int_equal(frame_writers(fs, PG(5)), 0);	/* released */

	/* Ballooned out: neither side of a copy. */
	frame_set_owned(fs, PG(6), false);
	assert_int_equal(copy1(f, mkcopy(0, PG(4), S, 0, PG(6), S, 0, 8)),
			 GNTST_bad_page);
	assert_int_equal(copy1(f, mkcopy(0, PG(6), S, 0, PG(4), S, 0, 8)),
			 GNTST_bad_page);
	gf_grant(f, 51, GF_DOMID, PG(6), 0);
	assert_int_equal(copy1(f, mkcopy(GNTCOPY_source_gref, 51, S, 0, PG(4),
					 S, 0, 8)), GNTST_bad_page);
	assert_int_equal(gf_flags(f, 51), GTF_permit_access);
	frame_set_owned(fs, PG(6), true);

	/* While a writer holds a frame, the engine cannot make it a table. */
	assert_int_equal(frame_claim(fs, PG(7), true), GNTST_okay);
	assert_false(frame_protect(fs, PG(7)));
	frame_release(fs, PG(7), true);
	assert_true(frame_protect(fs, PG(7)));
	assert_int_equal(frame_claim(fs, PG(7), true), GNTST_general_error);
	assert_int_equal(frame_claim(fs, PG(7), false), GNTST_okay);
	assert_int_equal(frame_claim(fs, GF_RAM_PAGES, false), GNTST_bad_page);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_attach_rejects),
		T(test_grow_and_seed),
		T(test_pin_errors),
		T(test_pin_counts_and_bits),
		T(test_pin_overflow),
		T(test_revoke_protocol),
		T(test_wedged_entry),
		T(test_unstable_entry),
		T(test_swap),
		T(test_hc_dispatch),
		T(test_hc_query_version),
		T(test_hc_setup_table),
		T(test_hc_status_frames),
		T(test_hc_copy),
		T(test_hc_copy_grants),
		T(test_hc_copy_frame_rules),
		T(test_hc_copy_batch),
		T(test_hc_map_unmap_swap),
		T(test_hc_no_table),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
