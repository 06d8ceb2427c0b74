// SPDX-License-Identifier: MIT
/* xenstored: per-domain quotas, returned as Xen returns them. */
#include "xs_test.h"

static void nodes(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *d0 = t_conn(st, 0, true), *g = t_conn(st, 5, false);
	char p[32];
	int i, r = 0;

	t_home(d0, 5);
	xs_store_set_quota(st, XS_Q_NODES, 10);
	/* The home itself is the guest's: 1 node; 9 more fit. */
	for (i = 0; i < 20 && r == 0; i++) {
		snprintf(p, sizeof(p), "n%d", i);
		r = t_write(g, p, "v");
	}
	assert_int_equal(r, -ENOSPC);
	assert_int_equal(i, 10);
	/* Several missing parents count too, all or nothing. */
	assert_int_equal(t_str(g, XS_RM, "n0", 0, NULL), 0);
	assert_int_equal(t_write(g, "a/b", "v"), -ENOSPC);
	assert_null(t_read(g, "a"));
	assert_int_equal(t_write(g, "a", "v"), 0);
	/* Modifying existing nodes is always fine. */
	assert_int_equal(t_write(g, "a", "w"), 0);
	/* dom0 is not limited. */
	for (i = 0; i < 20; i++) {
		snprintf(p, sizeof(p), "/d0/n%d", i);
		assert_int_equal(t_write(d0, p, "v"), 0);
	}
}

static void node_size(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *d0 = t_conn(st, 0, true), *g = t_conn(st, 5, false);
	char big[3000];

	t_home(d0, 5);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(t_write(g, "big", big), -ENOSPC);
	big[1900] = '\0';
	assert_int_equal(t_write(g, "big", big), 0);
	big[1900] = 'x';
	assert_int_equal(t_write(g, "big", big), -ENOSPC);
	assert_int_equal(strlen(t_read(g, "big")), 1900);
	assert_int_equal(t_write(d0, "/big", big), 0);
}

static void watches(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *d0 = t_conn(st, 0, true), *g = t_conn(st, 5, false);
	char tok[16];
	int i, r = 0;

	t_home(d0, 5);
	xs_store_set_quota(st, XS_Q_WATCHES, 4);
	for (i = 0; i < 10 && r == 0; i++) {
		snprintf(tok, sizeof(tok), "t%d", i);
		r = t_two(g, XS_WATCH, "w", tok, 0, NULL);
	}
	assert_int_equal(r, -ENOSPC);
	assert_int_equal(i, 5);
	assert_int_equal(t_two(g, XS_UNWATCH, "w", "t0", 0, NULL), 0);
	assert_int_equal(t_two(g, XS_WATCH, "w", "again", 0, NULL), 0);
}

static void perms_count(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *d0 = t_conn(st, 0, true), *g = t_conn(st, 5, false);
	static const char six[] = "x\0n5\0r1\0r2\0r3\0r4\0r6\0";
	static const char five[] = "x\0n5\0r1\0r2\0r3\0r4\0";

	t_home(d0, 5);
	assert_int_equal(t_write(g, "x", "1"), 0);
	assert_int_equal(t_call(g, XS_SET_PERMS, six, sizeof(six) - 1, 0,
				NULL), -ENOSPC);
	assert_int_equal(t_call(g, XS_SET_PERMS, five, sizeof(five) - 1, 0,
				NULL), 0);
}

static void path_length(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *d0 = t_conn(st, 0, true), *g = t_conn(st, 5, false);
	char p[XENSTORE_REL_PATH_MAX + 8];

	t_home(d0, 5);
	memset(p, 'a', sizeof(p));
	for (size_t i = 8; i < sizeof(p); i += 9)
		p[i] = '/';
	p[XENSTORE_REL_PATH_MAX + 2] = '\0';
	if (p[XENSTORE_REL_PATH_MAX + 1] == '/')
		p[XENSTORE_REL_PATH_MAX + 1] = 'b';
	xs_store_set_quota(st, XS_Q_NODES, 0);
	assert_int_equal(t_write(g, p, "v"), -EINVAL);
}

static void outstanding(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *d0 = t_conn(st, 0, true), *g = t_conn(st, 5, false);
	struct xsd_sockmsg h = { .type = XS_READ, .len = 5 };

	t_home(d0, 5);
	/* A guest that never takes its replies is no longer listened to. */
	for (int i = 0; i < 20; i++) {
		assert_true(xs_conn_can_accept(g));
		xs_store_lock(st);
		xs_dispatch(g, &h, "/tool");
		xs_store_unlock(st);
	}
	assert_false(xs_conn_can_accept(g));
	assert_true(xs_conn_can_accept(d0));
	t_drain(g);
	assert_true(xs_conn_can_accept(g));
}

static void watch_event_flood(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *d0 = t_conn(st, 0, true), *g = t_conn(st, 5, false);

	t_home(d0, 5);
	assert_int_equal(t_two(g, XS_WATCH, "/local/domain/5", "t", 0, NULL),
			 0);
	/* Events for a guest that does not read are bounded. */
	for (int i = 0; i < 40000; i++)
		assert_int_equal(t_write(d0, "/local/domain/5/x", "v"), 0);
	assert_true(g->out_bytes <= XS_OUT_HARD_MAX + 8192);
	assert_true(g->dropped_events > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(nodes, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(node_size, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(watches, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(perms_count, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(path_length, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(outstanding, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(watch_event_flood, t_setup,
						t_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
