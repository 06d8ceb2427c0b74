// SPDX-License-Identifier: MIT
/*
 * A service's side of the grant broker (pvisor/gnt_broker.h): ops are
 * queued in the memfd shared with pvisord, run as one batch per round
 * trip, and their statuses read back. The service holds nothing of the
 * guest's: no RAM, no grant table.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pvabi/grant_table.h>

#include "svc.h"

int svc_broker_open(struct svc_broker *br, int shm_fd, int go_fd,
		    int done_fd, int ctl, uint64_t data_len, char *why,
		    size_t len)
{
	size_t map_len = GNT_BROKER_DATA_OFF + data_len;
	struct stat st;
	void *p;

	br->go = go_fd;
	br->done = done_fd;
	br->ctl = ctl;
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
	br->shm = p;
	br->data = (uint8_t *)p + GNT_BROKER_DATA_OFF;
	br->data_len = data_len;
	br->n = 0;
	return 0;
}

struct gnt_broker_op *svc_broker_add(struct svc_broker *br, uint8_t kind,
				     uint32_t gref, unsigned int off,
				     unsigned int len, const void *p)
{
	struct gnt_broker_op *op;

	if (br->n >= GNT_BROKER_MAX_OPS)
		return NULL;
	op = &br->shm->ops[br->n++];
	*op = (struct gnt_broker_op){
		.kind = kind, .gref = gref, .offset = (uint16_t)off,
		.len = (uint16_t)len,
		.shm_off = (uint32_t)((const uint8_t *)p - br->data),
		.status = GNTST_general_error,
	};
	return op;
}

int svc_broker_run(struct svc_broker *br)
{
	unsigned int n = br->n;
	uint64_t one = 1, cnt;

	br->n = 0;
	if (!n)
		return 0;
	__atomic_store_n(&br->shm->nr_ops, n, __ATOMIC_RELEASE);
	if (write(br->go, &one, sizeof(one)) != sizeof(one))
		goto gone;
	br->batches++;
	br->ops += n;
	for (;;) {
		/* The control socket only for its hang-up: pvisord gone. */
		struct pollfd p[2] = { { .fd = br->done, .events = POLLIN },
				       { .fd = br->ctl, .events = 0 } };

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			goto gone;
		}
		if ((p[0].revents & POLLIN) &&
		    read(br->done, &cnt, sizeof(cnt)) == sizeof(cnt))
			break;
		if (p[1].revents & (POLLHUP | POLLERR))
			goto gone;
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return 0;
gone:
	for (unsigned int i = 0; i < n; i++)
		br->shm->ops[i].status = GNTST_general_error;
	return -EPIPE;
}
