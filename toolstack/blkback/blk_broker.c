// SPDX-License-Identifier: MIT
/*
 * The backend's side of the grant broker (pvisor/gnt_broker.h): ops are
 * queued in the memfd shared with pvisord, run as one batch per round
 * trip, and their statuses read back. The backend holds nothing of the
 * guest's: no RAM, no grant table.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blkback.h"

int blk_brk_open(struct blkback *b, int shm_fd, int go_fd, int done_fd,
		 char *why, size_t len)
{
	size_t map_len = GNT_BROKER_DATA_OFF + BLKBACK_BROKER_DATA_LEN;
	struct stat st;
	void *p;

	b->brk_go = go_fd;
	b->brk_done = done_fd;
	if (fstat(shm_fd, &st) || (uint64_t)st.st_size < map_len) {
		snprintf(why, len, "the broker memfd is not one of %zu bytes",
			 map_len);
		return -EINVAL;
	}
	p = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, shm_fd, 0);
	if (p == MAP_FAILED) {
		snprintf(why, len, "cannot map the broker memfd: %s",
			 strerror(errno));
		return -errno;
	}
	b->brk = p;
	b->brk_data = (uint8_t *)p + GNT_BROKER_DATA_OFF;
	b->brk_n = 0;
	return 0;
}

struct gnt_broker_op *blk_brk_add(struct blkback *b, uint8_t kind,
				  uint32_t gref, unsigned int off,
				  unsigned int len, const void *p)
{
	struct gnt_broker_op *op;

	if (b->brk_n >= GNT_BROKER_MAX_OPS)
		return NULL;
	op = &b->brk->ops[b->brk_n++];
	*op = (struct gnt_broker_op){
		.kind = kind, .gref = gref, .offset = (uint16_t)off,
		.len = (uint16_t)len,
		.shm_off = (uint32_t)((const uint8_t *)p - b->brk_data),
		.status = GNTST_general_error,
	};
	return op;
}

int blk_brk_run(struct blkback *b)
{
	unsigned int n = b->brk_n;
	uint64_t one = 1, cnt;

	b->brk_n = 0;
	if (!n)
		return 0;
	__atomic_store_n(&b->brk->nr_ops, n, __ATOMIC_RELEASE);
	if (write(b->brk_go, &one, sizeof(one)) != sizeof(one))
		goto gone;
	b->stats.broker_batches++;
	b->stats.broker_ops += n;
	for (;;) {
		/* The control socket only for its hang-up: pvisord gone. */
		struct pollfd p[2] = { { .fd = b->brk_done, .events = POLLIN },
				       { .fd = b->ctl, .events = 0 } };

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			goto gone;
		}
		if ((p[0].revents & POLLIN) &&
		    read(b->brk_done, &cnt, sizeof(cnt)) == sizeof(cnt))
			break;
		if (p[1].revents & (POLLHUP | POLLERR))
			goto gone;
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return 0;
gone:
	for (unsigned int i = 0; i < n; i++)
		b->brk->ops[i].status = GNTST_general_error;
	return -EPIPE;
}
