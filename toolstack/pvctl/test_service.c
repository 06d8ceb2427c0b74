// SPDX-License-Identifier: MIT
/*
 * Dom0 test services for self-test kernels (pvctl run --test-service).
 * Each runs in a forked child and touches the domain only through the
 * dom0 interface: the RAM and grant-table memfds, via gnttab_dom0. The
 * guest on the other side is hostile by assumption: a bad request gets
 * an error in the mailbox, never a crash of the service.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pvisor/domain.h"
#include "pvisor/gnttab_dom0.h"
#include "pvisor/grant_table.h"
#include "test_service.h"
/* The protocol the grants test kernel speaks (guest and host share it). */
#include "../../tests/guests/grants/mbox.h"

#define SVC_MAX_MAPS		256
#define SVC_BENCH_MAX_ITERS	10000000u
#define SVC_BENCH_MAX_REFS	64u
#define SVC_SPIN_AFTER_REQ	200000u	/* polls before sleeping again */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct grants_svc {
	struct gnttab_dom0 *g;
	struct gnt_mbox *mb;
	uint32_t mbox_handle;
};

static int32_t svc_map(struct grants_svc *s, uint32_t ref, uint32_t flags,
		       uint32_t offset, uint64_t value)
{
	bool write = flags & GNT_MAP_WRITE;
	uint32_t handle;
	uint8_t *page;
	void *p;
	int rc;

	if (write && (offset > 4096 - sizeof(value) || offset % 8))
		return -EINVAL;
	rc = gnttab_dom0_map(s->g, ref, write, &p, &handle);
	if (rc)
		return rc;
	page = p;
	memcpy(s->mb->data, page, 64);
	if (write)
		__atomic_store_n((uint64_t *)(page + offset), value,
				 __ATOMIC_RELEASE);
	s->mb->handle = handle;
	return 0;
}

static int32_t svc_bench(struct grants_svc *s, uint32_t ref, uint32_t count,
			 uint32_t flags, uint64_t iters)
{
	static uint8_t buf[4096];
	uint64_t t0;

	if (!count || count > SVC_BENCH_MAX_REFS || !iters ||
	    iters > SVC_BENCH_MAX_ITERS || ref > UINT32_MAX - count)
		return -EINVAL;
	t0 = now_ns();
	for (uint64_t i = 0; i < iters; i++) {
		uint32_t r = ref + (uint32_t)(i % count), h;
		void *p;
		int rc;

		if (flags == GNT_BENCH_MAP) {
			rc = gnttab_dom0_map(s->g, r, false, &p, &h);
			if (!rc)
				rc = gnttab_dom0_unmap(s->g, h);
		} else {
			rc = gnttab_dom0_copy_from(s->g, r, 0, buf, sizeof(buf));
		}
		if (rc)
			return rc;
	}
	s->mb->value = now_ns() - t0;
	return 0;
}

/* One request; every field is read once, from guest memory. */
static int32_t svc_request(struct grants_svc *s, uint32_t op)
{
	struct gnt_mbox *mb = s->mb;
	uint32_t ref = __atomic_load_n(&mb->ref, __ATOMIC_RELAXED);
	uint32_t flags = __atomic_load_n(&mb->flags, __ATOMIC_RELAXED);
	uint32_t offset = __atomic_load_n(&mb->offset, __ATOMIC_RELAXED);
	uint32_t len = __atomic_load_n(&mb->len, __ATOMIC_RELAXED);
	uint32_t count = __atomic_load_n(&mb->count, __ATOMIC_RELAXED);
	uint32_t handle = __atomic_load_n(&mb->handle, __ATOMIC_RELAXED);
	uint64_t value = __atomic_load_n(&mb->value, __ATOMIC_RELAXED);
	uint8_t buf[GNT_MBOX_DATA];
	int rc;

	switch (op) {
	case GNT_OP_HELLO:
		mb->domid = gnttab_dom0_guest(s->g);
		mb->nr_entries = gnttab_dom0_nr_entries(s->g);
		return 0;
	case GNT_OP_MAP:
		return svc_map(s, ref, flags, offset, value);
	case GNT_OP_UNMAP:
		/* The mailbox itself is ours to unmap, not the guest's. */
		if (handle == s->mbox_handle)
			return -EBADF;
		return gnttab_dom0_unmap(s->g, handle);
	case GNT_OP_COPY_FROM:
		if (len > sizeof(buf))
			return -EINVAL;
		rc = gnttab_dom0_copy_from(s->g, ref, offset, buf, len);
		if (!rc)
			memcpy(mb->data, buf, len);
		return rc;
	case GNT_OP_COPY_TO:
		if (len > sizeof(buf))
			return -EINVAL;
		memcpy(buf, mb->data, len);
		return gnttab_dom0_copy_to(s->g, ref, offset, buf, len);
	case GNT_OP_BENCH:
		return svc_bench(s, ref, count, flags, value);
	case GNT_OP_QUIT:
		return 0;
	}
	return -ENOSYS;
}

static int svc_grants(int ram_fd, int gnttab_fd)
{
	struct gnttab_dom0_config cfg = {
		.ram_fd = ram_fd,
		.gnttab_fd = gnttab_fd,
		.self = 0,		/* dom0 */
		.max_maps = SVC_MAX_MAPS,
	};
	struct grants_svc s = { 0 };
	uint32_t last = 0, idle = 0;
	void *p;
	int rc;

	rc = gnttab_dom0_open(&cfg, &s.g);
	if (rc) {
		fprintf(stderr, "test-service grants: %s\n", strerror(-rc));
		return 1;
	}
	/* The mailbox appears when the guest grants it. */
	while (gnttab_dom0_map(s.g, GNT_MBOX_REF, true, &p, &s.mbox_handle))
		usleep(200);
	s.mb = p;
	for (;;) {
		uint32_t seq = __atomic_load_n(&s.mb->req_seq, __ATOMIC_ACQUIRE);
		uint32_t op;

		if (seq == last) {
			if (++idle > SVC_SPIN_AFTER_REQ)
				usleep(50);
			else
				__builtin_ia32_pause();
			continue;
		}
		idle = 0;
		last = seq;
		op = __atomic_load_n(&s.mb->op, __ATOMIC_RELAXED);
		if (__atomic_load_n(&s.mb->magic, __ATOMIC_RELAXED) !=
		    GNT_MBOX_MAGIC)
			s.mb->result = -EINVAL;
		else
			s.mb->result = svc_request(&s, op);
		__atomic_store_n(&s.mb->ack_seq, seq, __ATOMIC_RELEASE);
		if (op == GNT_OP_QUIT)
			break;
	}
	/* Closing unmaps the mailbox and anything the guest left mapped. */
	gnttab_dom0_close(s.g);
	return 0;
}

int test_service_valid(const char *name)
{
	return !strcmp(name, "grants");
}

pid_t test_service_start(const char *name, struct domain *d)
{
	int ram_fd = d->ram_fd, gnttab_fd = gnttab_domain_fd(d);
	pid_t parent = getpid(), pid;

	if (!test_service_valid(name))
		return -EINVAL;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid)
		return pid;
	/* The child: die with pvctl, use nothing but the dom0 interface. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	_exit(svc_grants(ram_fd, gnttab_fd));
}

int test_service_stop(pid_t pid)
{
	int status;

	if (pid <= 0)
		return 0;
	if (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGTERM);
		if (waitpid(pid, &status, 0) < 0)
			return -errno;
		return 0;	/* still waiting for a guest that is gone */
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}
