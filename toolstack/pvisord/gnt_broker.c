// SPDX-License-Identifier: MIT
/*
 * The grant broker (pvisor/gnt_broker.h): one thread per sandboxed
 * service, doing the service's guest-memory accesses with pvisord's own
 * gnttab_dom0 handle, so that the service never holds the guest's RAM.
 * Linked by pvisord and by tests/unit/test_blkback.c, which plays
 * pvisord.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pvisor/gnt_broker.h"
#include "pvisor/gnttab_dom0.h"

#define PAGE	4096u

struct gnt_broker {
	struct gnttab_dom0 *gnt;
	int shm_fd, go_fd, done_fd, stop_fd;
	struct gnt_broker_shm *shm;
	uint8_t *data;
	uint64_t data_len;
	size_t map_len;
	pthread_t thread;
	bool running;
	uint64_t batches, ops;
};

static int16_t gntst(int rc)
{
	switch (rc) {
	case 0: return GNTST_okay;
	case -EINVAL: return GNTST_bad_gntref;
	case -EPERM: return GNTST_permission_denied;
	case -EFAULT: return GNTST_bad_page;
	case -EAGAIN: return GNTST_eagain;
	case -ENOSPC: return GNTST_no_space;
	default: return GNTST_general_error;
	}
}

/* One op, from our own copy of it: its status. */
static int16_t run_op(struct gnt_broker *br, const struct gnt_broker_op *op)
{
	uint8_t *at = br->data + op->shm_off;
	uint32_t word;
	uint32_t handle;
	void *addr;
	int rc;

	if ((uint64_t)op->shm_off + op->len > br->data_len ||
	    (unsigned int)op->offset + op->len > PAGE)
		return GNTST_bad_copy_arg;
	switch (op->kind) {
	case GNT_BROKER_COPY_IN:
		return gntst(gnttab_dom0_copy_from(br->gnt, op->gref,
						   op->offset, at, op->len));
	case GNT_BROKER_COPY_OUT:
		return gntst(gnttab_dom0_copy_to(br->gnt, op->gref,
						 op->offset, at, op->len));
	case GNT_BROKER_STORE32:
		if (op->len != 4 || (op->offset & 3) || (op->shm_off & 3))
			return GNTST_bad_copy_arg;
		word = __atomic_load_n((uint32_t *)at, __ATOMIC_RELAXED);
		return gntst(gnttab_dom0_copy_to(br->gnt, op->gref,
						 op->offset, &word, 4));
	case GNT_BROKER_LOAD32:
		if (op->len != 4 || (op->offset & 3) || (op->shm_off & 3))
			return GNTST_bad_copy_arg;
		rc = gnttab_dom0_copy_from(br->gnt, op->gref, op->offset,
					   &word, 4);
		if (!rc)
			__atomic_store_n((uint32_t *)at, word,
					 __ATOMIC_RELAXED);
		return gntst(rc);
	case GNT_BROKER_CHECK_RW:
		rc = gnttab_dom0_map(br->gnt, op->gref, true, &addr, &handle);
		if (!rc)
			gnttab_dom0_unmap(br->gnt, handle);
		return gntst(rc);
	default:
		return GNTST_bad_copy_arg;
	}
}

static void run_batch(struct gnt_broker *br)
{
	struct gnt_broker_shm *shm = br->shm;
	uint32_t n = __atomic_load_n(&shm->nr_ops, __ATOMIC_ACQUIRE);

	if (n > GNT_BROKER_MAX_OPS)
		n = GNT_BROKER_MAX_OPS;
	for (uint32_t i = 0; i < n; i++) {
		struct gnt_broker_op op;
		int16_t st;

		memcpy(&op, &shm->ops[i], sizeof(op));	/* read once */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		st = run_op(br, &op);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		__atomic_store_n(&shm->ops[i].status, st, __ATOMIC_RELAXED);
	}
	br->ops += n;
	br->batches++;
	__atomic_store_n(&shm->batches, br->batches, __ATOMIC_RELEASE);
}

static void *broker_thread(void *arg)
{
	struct gnt_broker *br = arg;

	for (;;) {
		struct pollfd p[2] = { { .fd = br->go_fd, .events = POLLIN },
				       { .fd = br->stop_fd, .events = POLLIN } };
		uint64_t cnt, one = 1;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		if (read(br->go_fd, &cnt, sizeof(cnt)) != sizeof(cnt))
			continue;
		run_batch(br);
		if (write(br->done_fd, &one, sizeof(one)) != sizeof(one))
			break;
	}
	return NULL;
}

static void br_free(struct gnt_broker *br)
{
	if (br->shm && br->shm != MAP_FAILED)
		munmap(br->shm, br->map_len);
	if (br->gnt)
		gnttab_dom0_close(br->gnt);
	if (br->shm_fd >= 0)
		close(br->shm_fd);
	if (br->go_fd >= 0)
		close(br->go_fd);
	if (br->done_fd >= 0)
		close(br->done_fd);
	if (br->stop_fd >= 0)
		close(br->stop_fd);
	free(br);
}

int gnt_broker_start(const struct gnt_broker_config *cfg,
		     struct gnt_broker **out, int *shm_fd, int *go_fd,
		     int *done_fd)
{
	struct gnttab_dom0_config gc = { .ram_fd = cfg->ram_fd,
					 .gnttab_fd = cfg->gnttab_fd,
					 .self = 0, .max_maps = 16 };
	struct gnt_broker *br = calloc(1, sizeof(*br));
	int rc;

	*shm_fd = *go_fd = *done_fd = -1;
	if (!br)
		return -ENOMEM;
	br->shm_fd = br->go_fd = br->done_fd = br->stop_fd = -1;
	br->data_len = cfg->data_len;
	br->map_len = GNT_BROKER_DATA_OFF + cfg->data_len;
	rc = gnttab_dom0_open(&gc, &br->gnt);
	if (rc) {
		br->gnt = NULL;
		goto fail;
	}
	br->shm_fd = memfd_create("pvisor-gnt-broker",
				  MFD_CLOEXEC | MFD_ALLOW_SEALING);
	br->go_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	br->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	br->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (br->shm_fd < 0 || br->go_fd < 0 || br->done_fd < 0 ||
	    br->stop_fd < 0 || ftruncate(br->shm_fd, (off_t)br->map_len)) {
		rc = -errno;
		goto fail;
	}
	/* The service shares it: it must never shrink under our reads. */
	if (fcntl(br->shm_fd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) {
		rc = -errno;
		goto fail;
	}
	br->shm = mmap(NULL, br->map_len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       br->shm_fd, 0);
	if (br->shm == MAP_FAILED) {
		rc = -errno;
		goto fail;
	}
	br->data = (uint8_t *)br->shm + GNT_BROKER_DATA_OFF;
	*shm_fd = dup(br->shm_fd);
	*go_fd = dup(br->go_fd);
	*done_fd = dup(br->done_fd);
	if (*shm_fd < 0 || *go_fd < 0 || *done_fd < 0) {
		rc = -EMFILE;
		goto fail_dup;
	}
	rc = -pthread_create(&br->thread, NULL, broker_thread, br);
	if (rc)
		goto fail_dup;
	br->running = true;
	*out = br;
	return 0;
fail_dup:
	if (*shm_fd >= 0)
		close(*shm_fd);
	if (*go_fd >= 0)
		close(*go_fd);
	if (*done_fd >= 0)
		close(*done_fd);
	*shm_fd = *go_fd = *done_fd = -1;
fail:
	br_free(br);
	return rc;
}

void gnt_broker_stop(struct gnt_broker *br)
{
	uint64_t one = 1;

	if (!br)
		return;
	if (br->running) {
		if (write(br->stop_fd, &one, sizeof(one)) != sizeof(one))
			pthread_cancel(br->thread);
		pthread_join(br->thread, NULL);
	}
	br_free(br);
}

uint64_t gnt_broker_batches(const struct gnt_broker *br)
{
	return br->batches;
}

uint64_t gnt_broker_ops(const struct gnt_broker *br)
{
	return br->ops;
}
