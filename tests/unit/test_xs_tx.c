// SPDX-License-Identifier: MIT
/* xenstored: transactions, isolation, commit, conflicts (EAGAIN). */
#include "xs_test.h"

static uint32_t tx_start(struct xs_conn *c)
{
	struct t_reply r;

	assert_int_equal(t_call(c, XS_TRANSACTION_START, "", 1, 0, &r), 0);
	return (uint32_t)strtoul(r.body, NULL, 10);
}

static int tx_end(struct xs_conn *c, uint32_t tx, bool commit)
{
	return t_str(c, XS_TRANSACTION_END, commit ? "T" : "F", tx, NULL);
}

static void isolation_and_commit(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *a = t_conn(st, 0, true), *b = t_conn(st, 0, true);
	uint32_t tx;

	assert_int_equal(t_write(a, "/t/x", "old"), 0);
	tx = tx_start(a);
	assert_true(tx != 0);
	assert_int_equal(t_write_tx(a, "/t/x", "new", tx), 0);
	assert_int_equal(t_write_tx(a, "/t/n/m", "made", tx), 0);
	/* Inside sees its writes; outside does not. */
	assert_string_equal(t_read_tx(a, "/t/x", tx), "new");
	assert_string_equal(t_read_tx(a, "/t/n/m", tx), "made");
	assert_string_equal(t_read(b, "/t/x"), "old");
	assert_null(t_read(b, "/t/n"));
	{
		struct t_reply r;

		assert_int_equal(t_str(a, XS_DIRECTORY, "/t", tx, &r), 0);
		assert_memory_equal(r.body, "x\0n\0", 4);
	}
	assert_int_equal(tx_end(a, tx, true), 0);
	assert_string_equal(t_read(b, "/t/x"), "new");
	assert_string_equal(t_read(b, "/t/n/m"), "made");
	/* The id is gone. */
	assert_int_equal(tx_end(a, tx, true), -ENOENT);
}

static void abort_discards(void **state)
{
	struct xs_conn *a = t_conn(*state, 0, true);
	uint32_t tx = tx_start(a);

	assert_int_equal(t_write_tx(a, "/ab/x", "1", tx), 0);
	assert_int_equal(tx_end(a, tx, false), 0);
	assert_null(t_read(a, "/ab"));
}

static void conflict_eagain(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *a = t_conn(st, 0, true), *b = t_conn(st, 0, true);
	uint32_t tx;

	assert_int_equal(t_write(a, "/c/x", "1"), 0);
	/* Read in tx, someone else writes, commit: EAGAIN, nothing applied. */
	tx = tx_start(a);
	assert_string_equal(t_read_tx(a, "/c/x", tx), "1");
	assert_int_equal(t_write_tx(a, "/c/y", "from-tx", tx), 0);
	assert_int_equal(t_write(b, "/c/x", "2"), 0);
	assert_int_equal(tx_end(a, tx, true), -EAGAIN);
	assert_null(t_read(b, "/c/y"));
	/* A node that was absent and got created meanwhile conflicts too. */
	tx = tx_start(a);
	assert_null(t_read_tx(a, "/c/new", tx));
	assert_int_equal(t_write(b, "/c/new", "b"), 0);
	assert_int_equal(t_write_tx(a, "/c/other", "a", tx), 0);
	assert_int_equal(tx_end(a, tx, true), -EAGAIN);
	/* Removal under our feet conflicts. */
	tx = tx_start(a);
	assert_string_equal(t_read_tx(a, "/c/x", tx), "2");
	assert_int_equal(t_str(b, XS_RM, "/c/x", 0, NULL), 0);
	assert_int_equal(tx_end(a, tx, true), -EAGAIN);
	/* Unrelated writes elsewhere do not. */
	tx = tx_start(a);
	assert_int_equal(t_write_tx(a, "/c/z", "ok", tx), 0);
	assert_int_equal(t_write(b, "/elsewhere", "x"), 0);
	assert_int_equal(tx_end(a, tx, true), 0);
	assert_string_equal(t_read(b, "/c/z"), "ok");
}

static void rm_in_tx(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *a = t_conn(st, 0, true);
	long nodes = xs_dom_get(st, 0, false)->nodes;
	uint32_t tx;

	assert_int_equal(t_write(a, "/r/a/b", "1"), 0);
	assert_int_equal(t_write(a, "/r/a/c", "2"), 0);
	tx = tx_start(a);
	assert_int_equal(t_str(a, XS_RM, "/r/a", tx, NULL), 0);
	assert_null(t_read_tx(a, "/r/a/b", tx));
	assert_string_equal(t_read(a, "/r/a/b"), "1");
	/* Re-create part of it inside the same transaction. */
	assert_int_equal(t_write_tx(a, "/r/a/d", "3", tx), 0);
	assert_int_equal(tx_end(a, tx, true), 0);
	assert_null(t_read(a, "/r/a/b"));
	assert_null(t_read(a, "/r/a/c"));
	assert_string_equal(t_read(a, "/r/a/d"), "3");
	/* /r, /r/a, /r/a/d remain of the 4 created. */
	assert_int_equal(xs_dom_get(st, 0, false)->nodes, nodes + 3);
}

static void rules(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *a = t_conn(st, 0, true), *g = t_conn(st, 5, false);
	struct t_reply r;
	uint32_t tx = tx_start(a), ids[16];

	/* No nesting. */
	assert_int_equal(t_call(a, XS_TRANSACTION_START, "", 1, tx, &r),
			 -EBUSY);
	assert_int_equal(t_str(a, XS_TRANSACTION_END, "maybe", tx, NULL),
			 -EINVAL);
	/* Another connection cannot use our id. */
	assert_int_equal(t_str(g, XS_READ, "/tool", tx, NULL), -ENOENT);
	assert_int_equal(tx_end(a, tx, false), 0);
	/* Transactions quota (10 for guests). */
	t_home(a, 5);
	for (int i = 0; i < 10; i++)
		ids[i] = tx_start(g);
	assert_int_equal(t_call(g, XS_TRANSACTION_START, "", 1, 0, &r),
			 -ENOSPC);
	for (int i = 0; i < 10; i++)
		assert_int_equal(tx_end(g, ids[i], false), 0);
	/* Ids are distinct and never 0. */
	for (int i = 0; i < 16; i++) {
		ids[i] = tx_start(a);
		assert_true(ids[i] != 0);
		for (int j = 0; j < i; j++)
			assert_true(ids[i] != ids[j]);
	}
	/* Closing the connection with transactions open frees them (ASan). */
}

static void guest_tx_quota(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *d0 = t_conn(st, 0, true), *g = t_conn(st, 5, false);
	uint32_t tx;
	char p[32];
	int i, r = 0;

	t_home(d0, 5);
	xs_store_set_quota(st, XS_Q_NODES, 20);
	xs_store_set_quota(st, XS_Q_TX_NODES, 50);
	/* Node quota inside a transaction. */
	tx = tx_start(g);
	for (i = 0; i < 30 && r == 0; i++) {
		snprintf(p, sizeof(p), "n%d", i);
		r = t_write_tx(g, p, "v", tx);
	}
	assert_int_equal(r, -ENOSPC);
	assert_int_equal(tx_end(g, tx, false), 0);
	/* Touched-nodes quota. */
	xs_store_set_quota(st, XS_Q_NODES, 1000);
	tx = tx_start(g);
	for (i = 0, r = 0; i < 100 && r == 0; i++) {
		snprintf(p, sizeof(p), "m%d", i);
		r = t_write_tx(g, p, "v", tx);
	}
	assert_int_equal(r, -ENOSPC);
	assert_int_equal(tx_end(g, tx, false), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(isolation_and_commit, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(abort_discards, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(conflict_eagain, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(rm_in_tx, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(rules, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(guest_tx_quota, t_setup,
						t_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
