// SPDX-License-Identifier: MIT
/* xenstored: message framing, argument parsing, dispatch checks, paths. */
#include "xs_test.h"

static void rx_in_pieces(void **state)
{
	struct { struct xsd_sockmsg h; char p[6]; } msg = {
		{ XS_READ, 7, 0, 6 }, "/a/bc",
	};
	static struct xs_rx rx;
	const char *src = (const char *)&msg;
	const size_t total = sizeof(msg.h) + sizeof(msg.p);
	size_t off = 0, want;
	int r = 0;

	xs_rx_reset(&rx);
	/* One byte at a time: the worst a ring or socket can do. */
	while (off < total) {
		void *dst = xs_rx_ptr(&rx, &want);

		assert_true(want > 0);
		memcpy(dst, src + off, 1);
		off++;
		r = xs_rx_advance(&rx, 1);
		if (off < total)
			assert_int_equal(r, 0);
	}
	assert_int_equal(r, 1);
	assert_int_equal(rx.hdr.req_id, 7);
	assert_string_equal(rx.payload, "/a/bc");
}

static void rx_oversized(void **state)
{
	struct xsd_sockmsg h = { XS_WRITE, 1, 0, XENSTORE_PAYLOAD_MAX + 1 };
	static struct xs_rx rx;
	size_t want;

	xs_rx_reset(&rx);
	memcpy(xs_rx_ptr(&rx, &want), &h, sizeof(h));
	assert_int_equal(xs_rx_advance(&rx, sizeof(h)), -EINVAL);

	/* Exactly the maximum is fine. */
	h.len = XENSTORE_PAYLOAD_MAX;
	xs_rx_reset(&rx);
	memcpy(xs_rx_ptr(&rx, &want), &h, sizeof(h));
	assert_int_equal(xs_rx_advance(&rx, sizeof(h)), 0);
	xs_rx_ptr(&rx, &want);
	assert_int_equal(want, XENSTORE_PAYLOAD_MAX);
}

static void strings_and_args(void **state)
{
	const char *vec[4];

	assert_int_equal(xs_wire_strings("a\0bb\0", 5, vec, 4), 2);
	assert_string_equal(vec[1], "bb");
	/* An unterminated tail is not counted. */
	assert_int_equal(xs_wire_strings("a\0bb", 4, vec, 4), 1);
	assert_int_equal(xs_wire_strings("", 0, vec, 4), 0);
	assert_non_null(xs_wire_onearg("abc", 4));
	assert_null(xs_wire_onearg("abc", 3));		/* no NUL */
	assert_null(xs_wire_onearg("a\0b", 4));		/* two strings */
	assert_null(xs_wire_onearg("", 0));
}

static void domids(void **state)
{
	unsigned int d;

	assert_int_equal(xs_wire_domid("0", &d), 0);
	assert_int_equal(xs_wire_domid("65535", &d), 0);
	assert_int_equal(d, 65535);
	assert_int_equal(xs_wire_domid("65536", &d), -EINVAL);
	assert_int_equal(xs_wire_domid("", &d), -EINVAL);
	assert_int_equal(xs_wire_domid("-1", &d), -EINVAL);
	assert_int_equal(xs_wire_domid("12x", &d), -EINVAL);
	assert_int_equal(xs_wire_domid("99999999999999999999", &d), -EINVAL);
}

static void errno_names(void **state)
{
	assert_string_equal(xs_errno_name(-EAGAIN), "EAGAIN");
	assert_string_equal(xs_errno_name(ENOSPC), "ENOSPC");
	assert_string_equal(xs_errno_name(-ERANGE), "EINVAL");	/* fallback */
}

static void dispatch_checks(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *g = t_conn(st, 5, false), *d0 = t_conn(st, 0, true);
	struct t_reply r;

	/* Unknown, reply-only and retired types: ENOSYS, req_id echoed. */
	assert_int_equal(t_call(g, 20, "", 0, 0, &r), -ENOSYS);
	assert_int_equal(t_call(g, XS_WATCH_EVENT, "", 0, 0, &r), -ENOSYS);
	assert_int_equal(t_call(g, XS_ERROR, "", 0, 0, &r), -ENOSYS);
	assert_int_equal(t_call(g, 0xffff, "", 0, 0, &r), -ENOSYS);
	/* dom0-only operations from a guest. */
	assert_int_equal(t_str(g, XS_INTRODUCE, "6", 0, &r), -EACCES);
	assert_int_equal(t_str(g, XS_RELEASE, "6", 0, &r), -EACCES);
	assert_int_equal(t_str(g, XS_IS_DOMAIN_INTRODUCED, "6", 0, &r),
			 -EACCES);
	/* A transaction that does not exist. */
	assert_int_equal(t_str(d0, XS_READ, "/tool", 77, &r), -ENOENT);
	/* Everyone may ask for a domain path. */
	assert_int_equal(t_str(g, XS_GET_DOMAIN_PATH, "3", 0, &r), 0);
	assert_string_equal(r.body, "/local/domain/3");
	assert_int_equal(t_str(g, XS_GET_DOMAIN_PATH, "x", 0, &r), -EINVAL);
	/* Malformed arguments. */
	assert_int_equal(t_call(d0, XS_READ, "/tool", 5, 0, &r), -EINVAL);
	assert_int_equal(t_call(d0, XS_WATCH, "/a\0", 3, 0, &r), -EINVAL);
	assert_int_equal(t_call(d0, XS_WRITE, "/a", 2, 0, &r), -EINVAL);
	assert_int_equal(t_str(d0, XS_TRANSACTION_END, "X", 0, &r), -EINVAL);
}

static void paths(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *g = t_conn(st, 5, false);
	char out[XS_PATH_BUF], lng[XENSTORE_ABS_PATH_MAX + 2];

	assert_int_equal(xs_path_canon(g, "/a/b-c_d@e", false, out), 0);
	assert_int_equal(xs_path_canon(g, "dev/x", false, out), 0);
	assert_string_equal(out, "/local/domain/5/dev/x");
	assert_int_equal(xs_path_canon(g, "/", false, out), 0);
	assert_int_equal(xs_path_canon(g, "", false, out), -EINVAL);
	assert_int_equal(xs_path_canon(g, "/a//b", false, out), -EINVAL);
	assert_int_equal(xs_path_canon(g, "/a/", false, out), -EINVAL);
	assert_int_equal(xs_path_canon(g, "/a b", false, out), -EINVAL);
	assert_int_equal(xs_path_canon(g, "/a\n", false, out), -EINVAL);
	assert_int_equal(xs_path_canon(g, "/a.b", false, out), -EINVAL);
	assert_int_equal(xs_path_canon(g, "@releaseDomain", false, out),
			 -EINVAL);
	assert_int_equal(xs_path_canon(g, "@releaseDomain", true, out), 0);
	/* Length limits: absolute, and relative for guests. */
	memset(lng, 'a', sizeof(lng) - 1);
	lng[0] = '/';
	lng[sizeof(lng) - 1] = '\0';
	assert_int_equal(xs_path_canon(g, lng, false, out), -EINVAL);
	lng[XENSTORE_REL_PATH_MAX + 1] = '\0';
	assert_int_equal(xs_path_canon(g, lng + 1, false, out), -EINVAL);
	lng[XENSTORE_REL_PATH_MAX - 1] = '\0';
	assert_int_equal(xs_path_canon(g, lng + 1, false, out), 0);
	/* Child relation. */
	assert_true(xs_path_is_child("/a/b", "/a"));
	assert_true(xs_path_is_child("/a", "/a"));
	assert_false(xs_path_is_child("/ab", "/a"));
	assert_true(xs_path_is_child("/x", "/"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rx_in_pieces),
		cmocka_unit_test(rx_oversized),
		cmocka_unit_test(strings_and_args),
		cmocka_unit_test(domids),
		cmocka_unit_test(errno_names),
		cmocka_unit_test_setup_teardown(dispatch_checks, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(paths, t_setup, t_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
