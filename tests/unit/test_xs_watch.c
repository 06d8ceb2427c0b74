// SPDX-License-Identifier: MIT
/* xenstored: watches and the special @introduceDomain/@releaseDomain. */
#include "xs_test.h"

static void fires(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *w = t_conn(st, 0, true), *c = t_conn(st, 0, true);

	assert_int_equal(t_two(w, XS_WATCH, "/w", "tok", 0, NULL), 0);
	/* Immediately, with the watched path. */
	assert_string_equal(t_event(w), "/w|tok");
	assert_string_equal(t_event(w), "");
	/* The node, a child, a grandchild; not a sibling or a prefix. */
	assert_int_equal(t_write(c, "/w", "1"), 0);
	assert_string_equal(t_event(w), "/w|tok");
	assert_int_equal(t_write(c, "/w/a/b", "2"), 0);
	assert_string_equal(t_event(w), "/w/a/b|tok");
	assert_int_equal(t_write(c, "/wx", "3"), 0);
	assert_int_equal(t_write(c, "/other", "3"), 0);
	assert_string_equal(t_event(w), "");
	/* mkdir of an existing node changes nothing: no event. */
	assert_int_equal(t_str(c, XS_MKDIR, "/w/a", 0, NULL), 0);
	assert_string_equal(t_event(w), "");
	/* Perms changes fire. */
	assert_int_equal(t_call(c, XS_SET_PERMS, "/w\0b0\0", 6, 0, NULL), 0);
	assert_string_equal(t_event(w), "/w|tok");
	/* Duplicates are refused; unwatch stops events. */
	assert_int_equal(t_two(w, XS_WATCH, "/w", "tok", 0, NULL), -EEXIST);
	assert_int_equal(t_two(w, XS_WATCH, "/w", "tok2", 0, NULL), 0);
	assert_string_equal(t_event(w), "/w|tok2");
	assert_int_equal(t_two(w, XS_UNWATCH, "/w", "tok", 0, NULL), 0);
	assert_int_equal(t_two(w, XS_UNWATCH, "/w", "tok", 0, NULL), -ENOENT);
	assert_int_equal(t_write(c, "/w", "4"), 0);
	assert_string_equal(t_event(w), "/w|tok2");
	assert_string_equal(t_event(w), "");
}

static void removal(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *w = t_conn(st, 0, true), *c = t_conn(st, 0, true);

	assert_int_equal(t_write(c, "/r/a/b", "1"), 0);
	assert_int_equal(t_two(w, XS_WATCH, "/r/a/b", "deep", 0, NULL), 0);
	assert_int_equal(t_two(w, XS_WATCH, "/r", "top", 0, NULL), 0);
	t_drain(w);
	t_nsaved = 0;
	/* Removing /r/a: the watch inside sees its own path, the one above
	 * sees the removed top, once. */
	assert_int_equal(t_str(c, XS_RM, "/r/a", 0, NULL), 0);
	assert_string_equal(t_event(w), "/r/a/b|deep");
	assert_string_equal(t_event(w), "/r/a|top");
	assert_string_equal(t_event(w), "");
}

static void relative_and_guest(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *d0 = t_conn(st, 0, true), *g = t_conn(st, 5, false);

	t_home(d0, 5);
	assert_int_equal(t_two(g, XS_WATCH, "control/shutdown", "s", 0, NULL),
			 0);
	/* Fires at once even though the node does not exist yet. */
	assert_string_equal(t_event(g), "control/shutdown|s");
	/* Nodes dom0 makes in the guest's home are the guest's... */
	assert_int_equal(t_write(d0, "/local/domain/5/control/x", "1"), 0);
	assert_string_equal(t_event(g), "");	/* (not below the watch) */
	assert_int_equal(t_write(d0, "/local/domain/5/control/shutdown",
				 ""), 0);
	assert_string_equal(t_event(g), "control/shutdown|s");
	/* ... unless dom0 closes them (events need the node or its parent
	 * readable, so close both). */
	assert_int_equal(t_call(d0, XS_SET_PERMS,
				"/local/domain/5/control/shutdown\0n0\0",
				sizeof("/local/domain/5/control/shutdown\0n0"),
				0, NULL), 0);
	assert_string_equal(t_event(g), "control/shutdown|s");	/* lost access */
	assert_int_equal(t_call(d0, XS_SET_PERMS,
				"/local/domain/5/control\0n0\0",
				sizeof("/local/domain/5/control\0n0"),
				0, NULL), 0);
	assert_string_equal(t_event(g), "");
	assert_int_equal(t_write(d0, "/local/domain/5/control/shutdown",
				 "poweroff"), 0);
	/* The guest cannot read dom0-owned control/shutdown: no event... */
	assert_string_equal(t_event(g), "");
	/* ... until the toolstack grants it, as xl does. */
	assert_int_equal(t_call(d0, XS_SET_PERMS,
				"/local/domain/5/control/shutdown\0n0\0b5\0",
				sizeof("/local/domain/5/control/shutdown\0n0\0b5"),
				0, NULL), 0);
	assert_string_equal(t_event(g), "control/shutdown|s");
	assert_int_equal(t_write(d0, "/local/domain/5/control/shutdown",
				 "reboot"), 0);
	assert_string_equal(t_event(g), "control/shutdown|s");
	/* An absolute watch gets absolute paths. */
	assert_int_equal(t_two(g, XS_WATCH, "/local/domain/5/device", "d", 0,
			       NULL), 0);
	assert_string_equal(t_event(g), "/local/domain/5/device|d");
	assert_int_equal(t_write(g, "device/vbd", "x"), 0);
	assert_string_equal(t_event(g), "/local/domain/5/device/vbd|d");
	/* A guest watch on "/" does not see dom0's private nodes. */
	assert_int_equal(t_two(g, XS_WATCH, "/", "root", 0, NULL), 0);
	assert_string_equal(t_event(g), "/|root");
	assert_int_equal(t_write(d0, "/private/x", "1"), 0);
	assert_string_equal(t_event(g), "");
	/* Bad watch paths. */
	assert_int_equal(t_two(g, XS_WATCH, "a//b", "t", 0, NULL), -EINVAL);
	/* RESET_WATCHES drops them all. */
	assert_int_equal(t_call(g, XS_RESET_WATCHES, "", 0, 0, NULL), 0);
	assert_int_equal(g->nwatches, 0);
}

static void tx_events_on_commit(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *w = t_conn(st, 0, true), *c = t_conn(st, 0, true);
	struct t_reply r;
	uint32_t tx;

	assert_int_equal(t_two(w, XS_WATCH, "/tx", "t", 0, NULL), 0);
	t_drain(w);
	assert_int_equal(t_call(c, XS_TRANSACTION_START, "", 1, 0, &r), 0);
	tx = (uint32_t)strtoul(r.body, NULL, 10);
	assert_int_equal(t_write_tx(c, "/tx/a", "1", tx), 0);
	assert_string_equal(t_event(w), "");
	assert_int_equal(t_str(c, XS_TRANSACTION_END, "T", tx, NULL), 0);
	assert_string_equal(t_event(w), "/tx/a|t");
	/* Aborted: nothing. */
	assert_int_equal(t_call(c, XS_TRANSACTION_START, "", 1, 0, &r), 0);
	tx = (uint32_t)strtoul(r.body, NULL, 10);
	assert_int_equal(t_write_tx(c, "/tx/b", "1", tx), 0);
	assert_int_equal(t_str(c, XS_TRANSACTION_END, "F", tx, NULL), 0);
	assert_string_equal(t_event(w), "");
}

static int notified;

static void notify(void *opaque)
{
	notified++;
}

static void special_watches(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *d0 = t_conn(st, 0, true);
	static struct xenstore_domain_interface page;
	struct xs_ring *ring;
	struct t_reply r;

	assert_int_equal(t_two(d0, XS_WATCH, "@introduceDomain", "i", 0, NULL),
			 0);
	assert_int_equal(t_two(d0, XS_WATCH, "@releaseDomain", "r", 0, NULL),
			 0);
	assert_string_equal(t_event(d0), "@introduceDomain|i");
	assert_string_equal(t_event(d0), "@releaseDomain|r");
	/* The ring transport's attach is an introduction. */
	ring = xs_ring_attach(st, 7, &page, notify, NULL);
	assert_non_null(ring);
	assert_string_equal(t_event(d0), "@introduceDomain|i");
	assert_int_equal(t_str(d0, XS_IS_DOMAIN_INTRODUCED, "7", 0, &r), 0);
	assert_string_equal(r.body, "T");
	assert_int_equal(t_str(d0, XS_IS_DOMAIN_INTRODUCED, "8", 0, &r), 0);
	assert_string_equal(r.body, "F");
	/* Shutdown fires @releaseDomain once until RESUME. */
	xs_domain_shutdown(st, 7);
	xs_domain_shutdown(st, 7);
	assert_string_equal(t_event(d0), "@releaseDomain|r");
	assert_string_equal(t_event(d0), "");
	assert_int_equal(t_str(d0, XS_RESUME, "7", 0, NULL), 0);
	xs_domain_shutdown(st, 7);
	assert_string_equal(t_event(d0), "@releaseDomain|r");
	/* Its nodes go on release. */
	t_home(d0, 7);
	assert_int_equal(t_call(d0, XS_SET_PERMS, "/local/domain/7\0n7\0",
				sizeof("/local/domain/7\0n7"), 0, NULL), 0);
	assert_int_equal(t_write(d0, "/local/domain/7/data", "x"), 0);
	t_drain(d0);
	t_nsaved = 0;
	/* Attached by the embedder: only it may release (not the wire). */
	assert_int_equal(t_str(d0, XS_RELEASE, "7", 0, NULL), -EPERM);
	assert_int_equal(xs_domain_release(st, 7), 0);
	assert_string_equal(t_event(d0), "@releaseDomain|r");
	assert_null(t_read(d0, "/local/domain/7"));
	assert_string_equal(t_read(d0, "/local/domain"), "");
	assert_int_equal(t_str(d0, XS_IS_DOMAIN_INTRODUCED, "7", 0, &r), 0);
	assert_string_equal(r.body, "F");
	assert_int_equal(t_str(d0, XS_RELEASE, "7", 0, NULL), -ENOENT);
	assert_int_equal(t_str(d0, XS_RELEASE, "0", 0, NULL), -EINVAL);
	/* INTRODUCE over the wire (no hook: just recorded). */
	assert_int_equal(t_str(d0, XS_INTRODUCE, "9", 0, NULL), -EINVAL);
	assert_int_equal(t_call(d0, XS_INTRODUCE, "9\0" "123\0" "4\0", 8, 0,
				NULL), 0);
	assert_string_equal(t_event(d0), "@introduceDomain|i");
	assert_int_equal(t_call(d0, XS_INTRODUCE, "9\0" "123\0" "0\0", 8, 0,
				NULL), -EINVAL);
	assert_int_equal(t_call(d0, XS_INTRODUCE, "0\0" "123\0" "4\0", 8, 0,
				NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(fires, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(removal, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(relative_and_guest, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(tx_events_on_commit, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(special_watches, t_setup,
						t_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
