// SPDX-License-Identifier: MIT
/* xenstored: read, write, mkdir, rm, directory, and the lock-free reader. */
#include "xs_test.h"

static void write_read(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *c = t_conn(st, 0, true);
	char buf[16];

	assert_int_equal(t_write(c, "/a/b/c", "v1"), 0);
	assert_string_equal(t_read(c, "/a/b/c"), "v1");
	/* Parents were created empty. */
	assert_string_equal(t_read(c, "/a/b"), "");
	assert_int_equal(t_write(c, "/a/b/c", "v2"), 0);
	assert_string_equal(t_read(c, "/a/b/c"), "v2");
	assert_null(t_read(c, "/a/x"));
	assert_int_equal(errno, ENOENT);
	/* Values are bytes: NULs inside survive. */
	assert_int_equal(t_call(c, XS_WRITE, "/bin\0a\0b", 8, 0, NULL), 0);
	{
		struct t_reply r;

		assert_int_equal(t_str(c, XS_READ, "/bin", 0, &r), 0);
		assert_int_equal(r.len, 3);
		assert_memory_equal(r.body, "a\0b", 3);
	}
	/* The lock-free reader sees the same. */
	assert_int_equal(xs_store_read(st, "/a/b/c", buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "v2", 2);
	assert_int_equal(xs_store_read(st, "/nope", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(xs_store_read(st, "rel", buf, sizeof(buf)), -EINVAL);
	/* Empty value. */
	assert_int_equal(t_write(c, "/e", ""), 0);
	assert_string_equal(t_read(c, "/e"), "");
}

static void mkdir_keeps_value(void **state)
{
	struct xs_conn *c = t_conn(*state, 0, true);

	assert_int_equal(t_write(c, "/m", "keep"), 0);
	assert_int_equal(t_str(c, XS_MKDIR, "/m", 0, NULL), 0);
	assert_string_equal(t_read(c, "/m"), "keep");
	assert_int_equal(t_str(c, XS_MKDIR, "/m/n/o", 0, NULL), 0);
	assert_string_equal(t_read(c, "/m/n/o"), "");
}

static void directory(void **state)
{
	struct xs_conn *c = t_conn(*state, 0, true);
	struct t_reply r;

	assert_int_equal(t_write(c, "/d/one", "1"), 0);
	assert_int_equal(t_write(c, "/d/two", "2"), 0);
	assert_int_equal(t_write(c, "/d/three/x", "3"), 0);
	assert_int_equal(t_str(c, XS_DIRECTORY, "/d", 0, &r), 0);
	assert_int_equal(r.len, sizeof("one\0two\0three"));
	assert_memory_equal(r.body, "one\0two\0three", r.len);
	assert_int_equal(t_str(c, XS_DIRECTORY, "/d/one", 0, &r), 0);
	assert_int_equal(r.len, 0);
	assert_int_equal(t_str(c, XS_DIRECTORY, "/nope", 0, &r), -ENOENT);
	/* DIRECTORY_PART: generation, names from the offset, final "". */
	assert_int_equal(t_two(c, XS_DIRECTORY_PART, "/d", "4", 0, &r), 0);
	{
		const char *names = r.body + strlen(r.body) + 1;

		assert_string_equal(names, "two");
		assert_string_equal(names + 4, "three");
		assert_int_equal(names[10], '\0');
	}
	assert_int_equal(t_two(c, XS_DIRECTORY_PART, "/d", "x", 0, &r),
			 -EINVAL);
}

static void big_directory(void **state)
{
	struct xs_conn *c = t_conn(*state, 0, true);
	struct t_reply r;
	char path[64];
	unsigned int off = 0, seen = 0;

	/* 400 names of 13 bytes: more than one payload. */
	for (int i = 0; i < 400; i++) {
		snprintf(path, sizeof(path), "/big/name-%07d", i);
		assert_int_equal(t_write(c, path, ""), 0);
	}
	assert_int_equal(t_str(c, XS_DIRECTORY, "/big", 0, &r), -E2BIG);
	for (;;) {
		char offs[16];
		const char *p;

		snprintf(offs, sizeof(offs), "%u", off);
		assert_int_equal(t_two(c, XS_DIRECTORY_PART, "/big", offs, 0,
				       &r), 0);
		assert_true(r.len <= XENSTORE_PAYLOAD_MAX);
		p = r.body + strlen(r.body) + 1;
		if (!*p)
			break;
		while (p < r.body + r.len && *p) {
			seen++;
			off += (unsigned int)strlen(p) + 1;
			p += strlen(p) + 1;
		}
		if (p < r.body + r.len)
			break;	/* the terminating "" came with this part */
	}
	assert_int_equal(seen, 400);
}

static void rm(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *c = t_conn(st, 0, true);
	struct xs_dom *d0;
	long before;

	d0 = xs_dom_get(st, 0, false);
	before = d0->nodes;
	assert_int_equal(t_write(c, "/r/a/b", "x"), 0);
	assert_int_equal(d0->nodes, before + 3);
	assert_int_equal(t_str(c, XS_RM, "/r/a", 0, NULL), 0);
	assert_null(t_read(c, "/r/a/b"));
	assert_string_equal(t_read(c, "/r"), "");
	assert_int_equal(d0->nodes, before + 1);
	/* Missing node under an existing parent: fine.  No parent: ENOENT. */
	assert_int_equal(t_str(c, XS_RM, "/r/zz", 0, NULL), 0);
	assert_int_equal(t_str(c, XS_RM, "/q/zz", 0, NULL), -ENOENT);
	assert_int_equal(t_str(c, XS_RM, "/", 0, NULL), -EINVAL);
	/* Re-create after removal. */
	assert_int_equal(t_write(c, "/r/a", "again"), 0);
	assert_string_equal(t_read(c, "/r/a"), "again");
}

static void tree_remove_frees(void **state)
{
	struct xs_store *st = *state;
	struct xs_conn *c = t_conn(st, 0, true);
	char path[64];

	/* ASan reports leaks or use-after-free if RCU frees go wrong. */
	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < 20; i++) {
			snprintf(path, sizeof(path), "/t/%d/%d", i, round);
			assert_int_equal(t_write(c, path, "v"), 0);
		}
		assert_int_equal(t_str(c, XS_RM, "/t", 0, NULL), 0);
	}
	rcu_read_lock();
	assert_int_equal(xs_tree_count(st->tree.root), 2);	/* / and /tool */
	rcu_read_unlock();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(write_read, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(mkdir_keeps_value, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(directory, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(big_directory, t_setup,
						t_teardown),
		cmocka_unit_test_setup_teardown(rm, t_setup, t_teardown),
		cmocka_unit_test_setup_teardown(tree_remove_frees, t_setup,
						t_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
