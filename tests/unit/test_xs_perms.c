// SPDX-License-Identifier: MIT
/* xenstored: owner and ACL semantics, as Xen's. */
#include "xs_test.h"

static int set_perms(struct xs_conn *c, const char *path, const char *perms,
		     size_t plen)
{
	char buf[256];
	size_t l = strlen(path) + 1;

	memcpy(buf, path, l);
	memcpy(buf + l, perms, plen);
	return t_call(c, XS_SET_PERMS, buf, (uint32_t)(l + plen), 0, NULL);
}

static void perm_for(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *g = t_conn(st, 5, false), *d0 = t_conn(st, 0, true);
	const struct xs_perm owner5[] = { { 5, XS_PERM_NONE } };
	const struct xs_perm acl[] = { { 0, XS_PERM_READ },
				       { 5, XS_PERM_WRITE },
				       { 7, XS_PERM_NONE } };
	const struct xs_perm any[] = { { 0, XS_PERM_NONE },
				       { XS_DOMID_ANY, XS_PERM_READ } };

	assert_int_equal(xs_perm_for(g, owner5, 1),
			 XS_PERM_READ | XS_PERM_WRITE | XS_PERM_OWNER);
	assert_int_equal(xs_perm_for(g, acl, 3), XS_PERM_WRITE);
	assert_int_equal(xs_perm_for(d0, acl, 3),
			 XS_PERM_READ | XS_PERM_WRITE | XS_PERM_OWNER);
	g->domid = 9;	/* not listed: the first entry's access */
	assert_int_equal(xs_perm_for(g, acl, 3), XS_PERM_READ);
	g->domid = 7;
	assert_int_equal(xs_perm_for(g, acl, 3), XS_PERM_NONE);
	assert_int_equal(xs_perm_for(g, any, 2), XS_PERM_READ);
	/* SET_TARGET: a device model acts for its target. */
	g->domid = 8;
	g->target = 5;
	assert_int_equal(xs_perm_for(g, owner5, 1),
			 XS_PERM_READ | XS_PERM_WRITE | XS_PERM_OWNER);
}

static void parse_format(void **state)
{
	struct xs_perm p[8];
	uint32_t n;
	char buf[64];

	assert_int_equal(xs_perms_parse("n0\0r5\0w6\0b7\0", 12, p, 8, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(p[3].id, 7);
	assert_int_equal(p[3].perms, XS_PERM_READ | XS_PERM_WRITE);
	assert_int_equal(xs_perms_format(p, n, buf, sizeof(buf)), 12);
	assert_memory_equal(buf, "n0\0r5\0w6\0b7\0", 12);
	assert_int_equal(xs_perms_parse("x0\0", 3, p, 8, &n), -EINVAL);
	assert_int_equal(xs_perms_parse("r\0", 2, p, 8, &n), -EINVAL);
	assert_int_equal(xs_perms_parse("r5x\0", 4, p, 8, &n), -EINVAL);
	assert_int_equal(xs_perms_parse("r70000\0", 7, p, 8, &n), -EINVAL);
	assert_int_equal(xs_perms_parse("r5", 2, p, 8, &n), -EINVAL);
	assert_int_equal(xs_perms_parse("", 0, p, 8, &n), -EINVAL);
	assert_int_equal(xs_perms_parse("r1\0r2\0r3\0", 9, p, 2, &n), -EINVAL);
}

static void guest_access(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *d0 = t_conn(st, 0, true), *g = t_conn(st, 5, false);
	struct t_reply r;

	t_home(d0, 5);
	assert_int_equal(t_write(d0, "/secret/x", "s"), 0);
	/* dom0's nodes are closed ("n0"); missing ones under them too. */
	assert_null(t_read(g, "/secret/x"));
	assert_int_equal(errno, EACCES);
	assert_null(t_read(g, "/secret/none"));
	assert_int_equal(errno, EACCES);
	assert_int_equal(t_write(g, "/secret/y", "no"), -EACCES);
	assert_int_equal(t_str(g, XS_RM, "/secret/x", 0, NULL), -EACCES);
	assert_int_equal(t_str(g, XS_DIRECTORY, "/secret", 0, NULL), -EACCES);
	/* In its home it creates, and owns, what it writes. */
	assert_int_equal(t_write(g, "data/a", "1"), 0);
	assert_string_equal(t_read(g, "data/a"), "1");
	assert_null(t_read(g, "data/none"));
	assert_int_equal(errno, ENOENT);
	assert_int_equal(t_str(d0, XS_GET_PERMS, "/local/domain/5/data/a", 0,
			       &r), 0);
	assert_memory_equal(r.body, "n5\0", 3);
	/* A read ACL opens one node to it. */
	assert_int_equal(set_perms(d0, "/secret/x", "n0\0r5\0", 6), 0);
	assert_string_equal(t_read(g, "/secret/x"), "s");
	assert_int_equal(t_write(g, "/secret/x", "no"), -EACCES);
	assert_int_equal(t_str(g, XS_GET_PERMS, "/secret/x", 0, &r), 0);
	assert_memory_equal(r.body, "n0\0r5\0", 6);
}

static void owner_changes(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *d0 = t_conn(st, 0, true), *g = t_conn(st, 5, false);

	t_home(d0, 5);
	assert_int_equal(t_write(g, "x", "1"), 0);
	/* The owner may change the ACL, but not give the node away. */
	assert_int_equal(set_perms(g, "x", "n5\0r6\0", 6), 0);
	assert_int_equal(set_perms(g, "x", "n6\0", 3), -EPERM);
	/* Only an owner changes perms: dom6 with write access cannot. */
	assert_int_equal(set_perms(d0, "/local/domain/5/x", "n5\0b6\0", 6), 0);
	{
		struct xs_conn *g6 = t_conn(st, 6, false);

		assert_int_equal(t_write(g6, "/local/domain/5/x", "from6"), 0);
		assert_int_equal(set_perms(g6, "/local/domain/5/x", "b6\0", 3),
				 -EACCES);
	}
	/* dom0 can give it away; node accounting follows the owner. */
	{
		long n5 = xs_dom_get(st, 5, false)->nodes;

		assert_int_equal(set_perms(d0, "/local/domain/5/x", "n6\0", 3),
				 0);
		assert_int_equal(xs_dom_get(st, 5, false)->nodes, n5 - 1);
		assert_int_equal(xs_dom_get(st, 6, false)->nodes, 1);
	}
	/* Malformed perms and missing nodes. */
	assert_int_equal(set_perms(d0, "/tool", "q0\0", 3), -EINVAL);
	assert_int_equal(set_perms(d0, "/tool", "", 0), -EINVAL);
	assert_int_equal(set_perms(d0, "/nope", "n0\0", 3), -ENOENT);
}

static void special_nodes(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *d0 = t_conn(st, 0, true), *g = t_conn(st, 5, false);
	struct t_reply r;

	assert_int_equal(t_str(d0, XS_GET_PERMS, "@releaseDomain", 0, &r), 0);
	assert_memory_equal(r.body, "n0\0", 3);
	assert_int_equal(t_str(g, XS_GET_PERMS, "@releaseDomain", 0, &r),
			 -EACCES);
	assert_int_equal(t_str(d0, XS_GET_PERMS, "@other", 0, &r), -ENOENT);
	assert_int_equal(set_perms(d0, "@releaseDomain", "n0\0r5\0", 6), 0);
	assert_int_equal(t_str(g, XS_GET_PERMS, "@releaseDomain", 0, &r), 0);
	/* Ordinary operations do not take '@' paths. */
	assert_int_equal(t_str(d0, XS_READ, "@releaseDomain", 0, &r), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(perm_for, t_setup, t_teardown),
		cmocka_unit_test(parse_format),
		cmocka_unit_test_setup_teardown(guest_access, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(owner_changes, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(special_nodes, t_setup,
						t_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
