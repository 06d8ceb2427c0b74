// SPDX-License-Identifier: MIT
/*
 * The NBD side of a disk whose image is not raw (qcow2, vmdk, vhd/vpc,
 * vdi): qemu-storage-daemon, started by pvisord with the user's rights,
 * exports the image on a UNIX socket, pvisord connects to it and hands
 * this process the connected socket. libnbd speaks the protocol, in its
 * asynchronous form so that requests overlap as on io_uring.
 *
 * Stable storage: a flush is NBD_CMD_FLUSH, which covers every write
 * answered before it (blkfront waits for those before it flushes); a
 * flush that carries data is a write with FUA where the server offers
 * it, otherwise the write and then a flush once the write is answered.
 */
#include <errno.h>
#include <libnbd.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "blkback.h"

#define CONNECT_TIMEOUT_MS	2000

static struct nbd_handle *nbd;
static struct blkback *owner;	/* one disk per process */
static bool can_fua;

int blk_nbd_open(struct blkback *b, int sock, char *why, size_t len)
{
	int64_t size;

	nbd = nbd_create();
	if (!nbd) {
		snprintf(why, len, "libnbd: %s", nbd_get_error());
		return -ENOMEM;
	}
	if (nbd_set_export_name(nbd, "disk") ||
	    nbd_aio_connect_socket(nbd, sock)) {
		snprintf(why, len, "NBD handshake with the image server "
			 "failed: %s", nbd_get_error());
		return -EIO;
	}
	/* A server that never answers must not hold OPEN forever. */
	for (int waited = 0; nbd_aio_is_connecting(nbd) == 1; waited += 100) {
		if (waited >= CONNECT_TIMEOUT_MS || nbd_poll(nbd, 100) < 0) {
			snprintf(why, len, "NBD handshake with the image server "
				 "%s", waited >= CONNECT_TIMEOUT_MS
				 ? "timed out" : "failed");
			return -ETIMEDOUT;
		}
	}
	if (nbd_aio_is_ready(nbd) != 1) {
		snprintf(why, len, "NBD handshake with the image server "
			 "failed: %s", nbd_get_error());
		return -EIO;
	}
	size = nbd_get_size(nbd);
	if (size < 0) {
		snprintf(why, len, "NBD: no size: %s", nbd_get_error());
		return -EIO;
	}
	b->sectors = (uint64_t)size / BLK_SECTOR;
	if (!b->sectors) {
		snprintf(why, len, "the image is empty (%lld bytes)",
			 (long long)size);
		return -EINVAL;
	}
	if (nbd_is_read_only(nbd) == 1)
		b->flags |= BLKBACK_F_READONLY;
	if (nbd_can_trim(nbd) != 1)
		b->flags &= ~BLKBACK_F_DISCARD;
	can_fua = nbd_can_fua(nbd) == 1;
	if (nbd_can_flush(nbd) != 1) {
		snprintf(why, len, "the image server cannot flush: no "
			 "stable storage to promise the guest");
		return -EOPNOTSUPP;
	}
	owner = b;
	return 0;
}

void blk_nbd_close(void)
{
	if (nbd)
		nbd_close(nbd);
	nbd = NULL;
}

static int done(void *opaque, int *error)
{
	struct blk_req *r = opaque;

	if (*error)
		r->status = *error == EOPNOTSUPP ? BLKIF_RSP_EOPNOTSUPP
						 : BLKIF_RSP_ERROR;
	if (r->pending && --r->pending == 0) {
		if (r->flush_after && !can_fua && !r->status) {
			r->flush_pending = true;	/* sent from blk_nbd_events */
			return 1;
		}
		blk_io_done(owner, r);
	}
	return 1;	/* retire the command */
}

static int start(struct blk_req *r)
{
	nbd_completion_callback cb = { .callback = done, .user_data = r };
	uint64_t off = r->sector * BLK_SECTOR;
	size_t len = r->nr_sectors * BLK_SECTOR;
	int64_t cookie = -1;

	r->pending = 1;
	switch (r->kind) {
	case BLKIF_OP_READ:
		cookie = nbd_aio_pread(nbd, r->bounce, len, off, cb, 0);
		break;
	case BLKIF_OP_WRITE:
		cookie = nbd_aio_pwrite(nbd, r->bounce, len, off, cb,
					r->flush_after && can_fua
						? LIBNBD_CMD_FLAG_FUA : 0);
		break;
	case BLKIF_OP_FLUSH_DISKCACHE:
		cookie = nbd_aio_flush(nbd, cb, 0);
		break;
	case BLKIF_OP_DISCARD:
		cookie = nbd_aio_trim(nbd, len, off, cb, 0);
		break;
	}
	if (cookie < 0) {
		r->pending = 0;
		r->status = BLKIF_RSP_ERROR;
		return -EIO;
	}
	return 0;
}

int blk_nbd_submit(struct blkback *b, struct blk_req *r)
{
	(void)b;
	return start(r);
}

void blk_nbd_pollfd(struct pollfd *p)
{
	unsigned int dir = nbd_aio_get_direction(nbd);

	p->fd = nbd_aio_get_fd(nbd);
	p->events = (dir & LIBNBD_AIO_DIRECTION_READ ? POLLIN : 0) |
		    (dir & LIBNBD_AIO_DIRECTION_WRITE ? POLLOUT : 0);
}

void blk_nbd_events(struct blkback *b, short revents)
{
	if (revents & (POLLIN | POLLHUP | POLLERR))
		nbd_aio_notify_read(nbd);
	if (revents & POLLOUT)
		nbd_aio_notify_write(nbd);
	/* Writes that must be stable and the server has no FUA for. */
	for (unsigned int i = 0; i < BLK_MAX_INFLIGHT; i++) {
		struct blk_req *r = &b->reqs[i];
		nbd_completion_callback cb = { .callback = done,
					       .user_data = r };

		if (!r->used || !r->flush_pending)
			continue;
		r->flush_pending = false;
		r->flush_after = false;
		r->pending = 1;
		if (nbd_aio_flush(nbd, cb, 0) < 0) {
			r->pending = 0;
			r->status = BLKIF_RSP_ERROR;
			blk_io_done(b, r);
		}
	}
}
