/* SPDX-License-Identifier: MIT */
/*
 * The dom0 side of grants (core/gnttab_dom0.c): a service that has only
 * the guest's two memfds maps, unmaps and copies grants, in this process
 * and in a forked one; the guest's revocation is refused while mapped.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "gnt_fixture.h"
#include "pvisor/gnttab_dom0.h"

#define DOM0	0
#define PG(n)	(0x20 + (n))

struct dfix {
	struct gnt_fix f;
	struct gnttab_dom0 *g;
};

static int open_dom0(struct gnt_fix *f, unsigned int max_maps,
		     struct gnttab_dom0 **g)
{
	const struct gnttab_dom0_config cfg = {
		.ram_fd = f->d.ram_fd,
		.gnttab_fd = gnttab_domain_fd(&f->d),
		.self = DOM0,
		.max_maps = max_maps,
	};

	return gnttab_dom0_open(&cfg, g);
}

static int setup(void **state)
{
	struct dfix *x = calloc(1, sizeof(*x));

	if (!x || gnt_fix_init(&x->f) || open_dom0(&x->f, 4, &x->g))
		return -1;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct dfix *x = *state;

	gnttab_dom0_close(x->g);
	gnt_fix_fini(&x->f);
	free(x);
	return 0;
}

static void test_open_rejects(void **state)
{
	struct dfix *x = *state;
	struct gnttab_dom0_config cfg = {
		.ram_fd = x->f.d.ram_fd, .gnttab_fd = -1,
	};
	struct gnttab_dom0 *g = NULL;
	int fd = memfd_create("not-a-table", MFD_CLOEXEC);

	assert_int_equal(gnttab_dom0_open(&cfg, &g), -EBADF);
	/* The right size, but not a grant table. */
	assert_int_equal(ftruncate(fd, gnttab_shm_size(64, 1024)), 0);
	cfg.gnttab_fd = fd;
	assert_int_equal(gnttab_dom0_open(&cfg, &g), -EINVAL);
	/* Not a page multiple. */
	assert_int_equal(ftruncate(fd, 4097), 0);
	assert_int_equal(gnttab_dom0_open(&cfg, &g), -EINVAL);
	/* RAM fd swapped with the table fd. */
	cfg.gnttab_fd = x->f.d.ram_fd;
	assert_int_equal(gnttab_dom0_open(&cfg, &g), -EINVAL);
	close(fd);
	assert_int_equal(gnttab_dom0_guest(x->g), GF_DOMID);
	assert_int_equal(gnttab_dom0_nr_entries(x->g), 512);
	/* The service's copy of the fds is its own. */
	assert_int_equal(open_dom0(&x->f, 0, &g), 0);
	gnttab_dom0_close(g);
	gnttab_dom0_close(NULL);
}

static void test_errno_map(void **state)
{
	(void)state;
	assert_int_equal(gnttab_dom0_errno(GNTST_okay), 0);
	assert_int_equal(gnttab_dom0_errno(GNTST_general_error), -EPERM);
	assert_int_equal(gnttab_dom0_errno(GNTST_bad_gntref), -EINVAL);
	assert_int_equal(gnttab_dom0_errno(GNTST_bad_page), -EFAULT);
	assert_int_equal(gnttab_dom0_errno(GNTST_eagain), -EAGAIN);
	assert_int_equal(gnttab_dom0_errno(GNTST_bad_handle), -EBADF);
	assert_int_equal(gnttab_dom0_errno(GNTST_no_space), -ENOSPC);
	assert_int_equal(gnttab_dom0_errno(GNTST_address_too_big), -EIO);
}

static void test_map_errors(void **state)
{
	struct dfix *x = *state;
	struct gnt_fix *f = &x->f;
	uint32_t h;
	void *p;

	assert_int_equal(gnttab_dom0_map(x->g, 512, false, &p, &h), -EINVAL);
	assert_int_equal(gnttab_dom0_map(x->g, 0xffffffffu, false, &p, &h),
			 -EINVAL);
	assert_int_equal(gnttab_dom0_map(x->g, 10, false, &p, &h), -EPERM);
	gf_grant(f, 11, 5, PG(0), 0);			/* wrong domid */
	assert_int_equal(gnttab_dom0_map(x->g, 11, false, &p, &h), -EPERM);
	gf_grant(f, 12, DOM0, PG(0), GTF_readonly);	/* read-only */
	assert_int_equal(gnttab_dom0_map(x->g, 12, true, &p, &h), -EPERM);
	assert_int_equal(gf_flags(f, 12), GTF_permit_access | GTF_readonly);
	gf_grant(f, 13, DOM0, PG(0), GTF_sub_page);	/* sub-page */
	assert_int_equal(gnttab_dom0_map(x->g, 13, false, &p, &h), -EPERM);
	gf_grant(f, 14, DOM0, GF_RAM_PAGES, 0);		/* not RAM */
	assert_int_equal(gnttab_dom0_map(x->g, 14, false, &p, &h), -EFAULT);
	assert_int_equal(gf_flags(f, 14), GTF_permit_access);
	gf_grant(f, 15, DOM0, PG(0), 0);
	assert_true(gf_revoke(f, 15));			/* revoked */
	assert_int_equal(gnttab_dom0_map(x->g, 15, false, &p, &h), -EPERM);
	/* Handles. */
	assert_int_equal(gnttab_dom0_unmap(x->g, 0), -EBADF);
	assert_int_equal(gnttab_dom0_unmap(x->g, 4), -EBADF);
	assert_int_equal(gnttab_dom0_unmap(x->g, 0xffffffffu), -EBADF);
}

static void test_map_unmap(void **state)
{
	struct dfix *x = *state;
	struct gnt_fix *f = &x->f;
	uint8_t *page = gf_ram(f, PG(1) << 12);
	uint32_t h[5];
	void *p, *q;

	memset(page, 0x11, 4096);
	gf_grant(f, 20, DOM0, PG(1), 0);
	assert_int_equal(gnttab_dom0_map(x->g, 20, true, &p, &h[0]), 0);
	assert_int_equal(gf_flags(f, 20),
			 GTF_permit_access | GTF_reading | GTF_writing);
	assert_int_equal(((uint8_t *)p)[100], 0x11);
	((uint8_t *)p)[100] = 0x22;		/* the guest sees it */
	assert_int_equal(page[100], 0x22);
	page[101] = 0x33;			/* and we see the guest */
	assert_int_equal(((uint8_t *)p)[101], 0x33);
	assert_false(gf_revoke(f, 20));
	assert_int_equal(gnttab_dom0_map(x->g, 20, false, &q, &h[1]), 0);
	assert_int_equal(gnttab_dom0_unmap(x->g, h[0]), 0);
	assert_int_equal(gf_flags(f, 20), GTF_permit_access | GTF_reading);
	assert_false(gf_revoke(f, 20));
	assert_int_equal(gnttab_dom0_unmap(x->g, h[0]), -EBADF);
	assert_int_equal(gnttab_dom0_unmap(x->g, h[1]), 0);
	assert_int_equal(gf_flags(f, 20), GTF_permit_access);
	assert_true(gf_revoke(f, 20));

	/* The handle table is bounded (4 here), and slots are reused. */
	gf_grant(f, 21, DOM0, PG(1), GTF_readonly);
	for (int i = 0; i < 4; i++)
		assert_int_equal(gnttab_dom0_map(x->g, 21, false, &p, &h[i]), 0);
	assert_int_equal(gnttab_dom0_map(x->g, 21, false, &p, &h[4]), -ENOSPC);
	assert_int_equal(gnttab_dom0_unmap(x->g, h[2]), 0);
	assert_int_equal(gnttab_dom0_map(x->g, 21, false, &p, &h[4]), 0);
	assert_int_equal(h[4], h[2]);
	/* Closing releases every pin: the guest may revoke again. */
	gnttab_dom0_close(x->g);
	x->g = NULL;
	assert_int_equal(gf_flags(f, 21), GTF_permit_access | GTF_readonly);
	assert_true(gf_revoke(f, 21));
	assert_int_equal(open_dom0(f, 4, &x->g), 0);
}

static void test_copy(void **state)
{
	struct dfix *x = *state;
	struct gnt_fix *f = &x->f;
	uint8_t *page = gf_ram(f, PG(2) << 12), buf[4096];

	for (int i = 0; i < 4096; i++)
		page[i] = (uint8_t)i;
	gf_grant(f, 30, DOM0, PG(2), GTF_readonly);
	gf_grant(f, 31, DOM0, PG(3), 0);
	assert_int_equal(gnttab_dom0_copy_from(x->g, 30, 10, buf, 100), 0);
	assert_memory_equal(buf, page + 10, 100);
	assert_int_equal(gnttab_dom0_copy_to(x->g, 30, 0, buf, 8), -EPERM);
	assert_int_equal(gnttab_dom0_copy_to(x->g, 31, 4000, buf, 96), 0);
	assert_memory_equal(gf_ram(f, (PG(3) << 12) + 4000), buf, 96);
	assert_int_equal(gf_flags(f, 30), GTF_permit_access | GTF_readonly);
	assert_int_equal(gf_flags(f, 31), GTF_permit_access);
	/* Bounds: within one page. */
	assert_int_equal(gnttab_dom0_copy_from(x->g, 30, 4096, buf, 1), -EINVAL);
	assert_int_equal(gnttab_dom0_copy_from(x->g, 30, 4000, buf, 97),
			 -EINVAL);
	assert_int_equal(gnttab_dom0_copy_from(x->g, 30, 0, buf, 4097),
			 -EINVAL);
	assert_int_equal(gnttab_dom0_copy_from(x->g, 30, 1, buf, SIZE_MAX),
			 -EINVAL);
	assert_int_equal(gnttab_dom0_copy_from(x->g, 30, 0, buf, 4096), 0);
	/* Zero bytes: nothing is checked (Xen's rule). */
	assert_int_equal(gnttab_dom0_copy_from(x->g, 0xffffffffu, 9999, buf, 0),
			 0);
	assert_int_equal(gnttab_dom0_copy_from(x->g, 512, 0, buf, 1), -EINVAL);
	assert_int_equal(gnttab_dom0_copy_from(x->g, 32, 0, buf, 1), -EPERM);
	gf_grant(f, 33, DOM0, 0x7fffffffu, 0);
	assert_int_equal(gnttab_dom0_copy_from(x->g, 33, 0, buf, 1), -EFAULT);
	/* A copy while mapped shares the pins. */
	{
		uint32_t h;
		void *p;

		assert_int_equal(gnttab_dom0_map(x->g, 31, false, &p, &h), 0);
		assert_int_equal(gnttab_dom0_copy_to(x->g, 31, 0, buf, 4), 0);
		assert_int_equal(gf_flags(f, 31),
				 GTF_permit_access | GTF_reading);
		assert_int_equal(gnttab_dom0_unmap(x->g, h), 0);
		assert_int_equal(gf_flags(f, 31), GTF_permit_access);
	}
}

/* Run fn in a child; returns the signal that ended it, or 0. */
static int in_child(void (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);	/* die of it, not ASan's report */
		fn(arg);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

static void poke(void *p)
{
	*(volatile uint8_t *)p = 1;
}

static void peek(void *p)
{
	(void)*(volatile uint8_t *)p;
}

static void test_mapping_protection(void **state)
{
	struct dfix *x = *state;
	struct gnt_fix *f = &x->f;
	uint32_t h;
	void *p;

	gf_grant(f, 40, DOM0, PG(4), GTF_readonly);
	assert_int_equal(gnttab_dom0_map(x->g, 40, false, &p, &h), 0);
	assert_int_equal(in_child(peek, p), 0);
	/* A read-only grant is a read-only mapping. */
	assert_int_equal(in_child(poke, p), SIGSEGV);
	assert_int_equal(gnttab_dom0_unmap(x->g, h), 0);
	/* Gone after unmap, before the guest may reuse the page. */
	assert_int_equal(in_child(peek, p), SIGSEGV);
	assert_true(gf_revoke(f, 40));
}

/* A service in its own process, with only the fds (inherited here). */
static void test_other_process(void **state)
{
	struct dfix *x = *state;
	struct gnt_fix *f = &x->f;
	uint8_t *page = gf_ram(f, PG(5) << 12);
	int to_child[2], to_parent[2], status;
	uint32_t frame;
	char c;
	pid_t pid;

	memset(page, 0, 4096);
	gf_grant(f, 50, DOM0, PG(5), 0);
	assert_int_equal(pipe(to_child), 0);
	assert_int_equal(pipe(to_parent), 0);
	pid = fork();
	if (pid == 0) {
		struct gnttab_dom0 *g;
		uint32_t h;
		void *p;

		/* Only the fds: a fresh view, as another binary would have. */
		if (open_dom0(f, 0, &g) || gnttab_dom0_map(g, 50, true, &p, &h))
			_exit(1);
		((volatile uint8_t *)p)[7] = 0x77;
		if (write(to_parent[1], "m", 1) != 1 ||
		    read(to_child[0], &c, 1) != 1)
			_exit(2);
		if (gnttab_dom0_unmap(g, h))
			_exit(3);
		gnttab_dom0_close(g);
		_exit(write(to_parent[1], "u", 1) == 1 ? 0 : 4);
	}
	assert_true(pid > 0);
	assert_int_equal(read(to_parent[0], &c, 1), 1);
	assert_int_equal(c, 'm');
	/* The other process's pin is visible here and to pvisord. */
	assert_int_equal(page[7], 0x77);
	assert_int_equal(gf_flags(f, 50),
			 GTF_permit_access | GTF_reading | GTF_writing);
	assert_false(gf_revoke(f, 50));
	gf_entry(f, 50)->domid = GF_DOMID;	/* pvisord's own pin: refused */
	assert_int_equal(gnttab_pin(&f->d.gnttab->shm, 50, GF_DOMID,
				    GNTPIN_READONLY, &frame),
			 GNTST_general_error);
	gf_entry(f, 50)->domid = DOM0;
	assert_int_equal(write(to_child[1], "u", 1), 1);
	assert_int_equal(read(to_parent[0], &c, 1), 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(gf_flags(f, 50), GTF_permit_access);
	assert_true(gf_revoke(f, 50));
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
}

/* A RAM fd smaller than pvisord claims: frames past it are refused. */
static void test_short_ram(void **state)
{
	struct dfix *x = *state;
	struct gnt_fix *f = &x->f;
	int small = memfd_create("small-ram", MFD_CLOEXEC);
	struct gnttab_dom0_config cfg = {
		.ram_fd = small, .gnttab_fd = gnttab_domain_fd(&f->d),
	};
	struct gnttab_dom0 *g;
	uint8_t b;

	assert_int_equal(ftruncate(small, 16 * 4096), 0);
	assert_int_equal(gnttab_dom0_open(&cfg, &g), 0);
	gf_grant(f, 60, DOM0, 20, 0);
	assert_int_equal(gnttab_dom0_copy_from(g, 60, 0, &b, 1), -EFAULT);
	gf_grant(f, 60, DOM0, 15, 0);
	assert_int_equal(gnttab_dom0_copy_from(g, 60, 0, &b, 1), 0);
	gnttab_dom0_close(g);
	close(small);
}

/*
 * Security issue, hole 1, the dom0 side: a writable map or a copy into
 * a frame the guest made a page table is refused (-EPERM, the grant
 * stays unpinned), a read-only map is not; and while a writable map is
 * held the guest cannot make the frame a table.
 */
static void test_frame_rules(void **state)
{
	struct dfix *x = *state;
	struct gnt_fix *f = &x->f;
	const struct frame_state *fs = &f->d.gnttab->shm.frames;
	uint32_t h;
	void *p;

	gf_grant(f, 30, DOM0, PG(3), 0);
	assert_true(frame_protect(fs, PG(3)));
	assert_int_equal(gnttab_dom0_map(x->g, 30, true, &p, &h), -EPERM);
	assert_int_equal(gnttab_dom0_copy_to(x->g, 30, 0, "x", 1), -EPERM);
	assert_int_equal(gf_flags(f, 30), GTF_permit_access);
	assert_int_equal(gnttab_dom0_map(x->g, 30, false, &p, &h), 0);
	assert_int_equal(gnttab_dom0_unmap(x->g, h), 0);
	frame_unprotect(fs, PG(3));

	assert_int_equal(gnttab_dom0_map(x->g, 30, true, &p, &h), 0);
	assert_int_equal(frame_writers(fs, PG(3)), 1);
	assert_false(frame_protect(fs, PG(3)));
	assert_int_equal(gnttab_dom0_unmap(x->g, h), 0);
	assert_int_equal(frame_writers(fs, PG(3)), 0);
	assert_true(frame_protect(fs, PG(3)));
	frame_unprotect(fs, PG(3));

	frame_set_owned(fs, PG(3), false);
	assert_int_equal(gnttab_dom0_copy_from(x->g, 30, 0, &h, 1), -EFAULT);
	frame_set_owned(fs, PG(3), true);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_open_rejects),
		T(test_errno_map),
		T(test_map_errors),
		T(test_map_unmap),
		T(test_copy),
		T(test_mapping_protection),
		T(test_other_process),
		T(test_short_ram),
		T(test_frame_rules),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
