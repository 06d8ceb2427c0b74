// SPDX-License-Identifier: MIT
/*
 * The image side of a disk: one io_uring, the image its only registered
 * file and every operation restricted to it (IORING_REGISTER_RESTRICTIONS
 * with the ring created disabled), so that even a subverted backend
 * cannot use the ring to reach another file. Where the host refuses
 * io_uring (some container runtimes filter it) the same operations run
 * synchronously.
 *
 * Stable storage: a FLUSH_DISKCACHE waits for every earlier request
 * (IOSQE_IO_DRAIN) and is an fdatasync, so a completed flush means what
 * was completed before it is on disk; one that carries data links the
 * write and the sync.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pvisor/gnttab_dom0.h"
#include "blkback.h"

#define BOUNCE_BYTES	BLKBACK_BOUNCE_BYTES

static bool use_uring;

static int setup_uring(struct blkback *b)
{
	struct io_uring_params p = { .flags = IORING_SETUP_R_DISABLED };
	static const uint8_t ops[] = { IORING_OP_READ, IORING_OP_WRITE,
				       IORING_OP_FSYNC, IORING_OP_FALLOCATE };
	struct io_uring_restriction res[8];
	unsigned int n = 0;
	int rc;

	rc = io_uring_queue_init_params(2 * BLK_MAX_INFLIGHT, &b->uring, &p);
	if (rc)
		return rc;
	rc = io_uring_register_files(&b->uring, &b->image, 1);
	if (!rc && b->cq_fd >= 0)
		rc = io_uring_register_eventfd(&b->uring, b->cq_fd);
	for (unsigned int i = 0; i < sizeof(ops); i++) {
		res[n].opcode = IORING_RESTRICTION_SQE_OP;
		res[n++].sqe_op = ops[i];
	}
	res[n].opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED;
	res[n++].sqe_flags = IOSQE_FIXED_FILE;
	res[n].opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
	res[n++].sqe_flags = IOSQE_FIXED_FILE | IOSQE_IO_DRAIN | IOSQE_IO_LINK;
	if (!rc)
		rc = io_uring_register_restrictions(&b->uring, res, n);
	if (!rc)
		rc = io_uring_enable_rings(&b->uring);
	if (rc)
		io_uring_queue_exit(&b->uring);
	return rc;
}

int blk_io_init(struct blkback *b)
{
	int rc;

	/* In the broker area: pvisord copies between them and the guest. */
	b->bounce = b->br.data + BLKBACK_BROKER_BOUNCE;
	for (unsigned int i = 0; i < BLK_MAX_INFLIGHT; i++)
		b->reqs[i].bounce = b->bounce + (size_t)i * BOUNCE_BYTES;
	b->cq_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (b->cq_fd < 0)
		return -errno;
	if (b->is_nbd)
		return 0;	/* libnbd does the I/O (blk_nbd.c) */
	rc = setup_uring(b);
	use_uring = !rc;
	if (rc)
		blk_log(b, "io_uring unavailable (%s): synchronous I/O",
			strerror(-rc));
	return 0;
}

void blk_io_exit(struct blkback *b)
{
	blk_nbd_close();
	if (use_uring)
		io_uring_queue_exit(&b->uring);
	use_uring = false;
}

/* user_data: the slot, and above it whether this is a data transfer. */
#define DATA_XFER	(1ull << 32)

static struct io_uring_sqe *sqe_for(struct blkback *b, struct blk_req *r,
				    bool xfer)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&b->uring);

	if (!sqe) {	/* full: hand what is queued to the kernel */
		io_uring_submit(&b->uring);
		sqe = io_uring_get_sqe(&b->uring);
	}
	if (sqe) {
		io_uring_sqe_set_data64(sqe, (uint64_t)(r - b->reqs) |
					     (xfer ? DATA_XFER : 0));
		r->pending++;
	}
	return sqe;
}

/* Guest pages <-> the bounce buffer: every segment in one batch. */
static int copy_segments(struct blkback *b, struct blk_req *r, bool to_guest)
{
	size_t pos = 0;

	for (unsigned int i = 0; i < r->nr_segs; i++) {
		const struct blkif_request_segment *s = &r->seg[i];
		unsigned int off = s->first_sect * BLK_SECTOR;
		size_t len = (s->last_sect - s->first_sect + 1u) * BLK_SECTOR;

		if (!svc_broker_add(&b->br, to_guest ? GNT_BROKER_COPY_OUT
						     : GNT_BROKER_COPY_IN,
				    s->gref, off, (unsigned int)len,
				    r->bounce + pos))
			return -E2BIG;
		pos += len;
	}
	if (svc_broker_run(&b->br))
		return -EPIPE;
	for (unsigned int i = 0; i < r->nr_segs; i++)
		if (svc_broker_status(&b->br, i))
			return gnttab_dom0_errno(svc_broker_status(&b->br, i));
	return 0;
}

/* Without io_uring: the operation now, its result as a CQE would be. */
static int run_sync(struct blkback *b, struct blk_req *r)
{
	off_t off = (off_t)(r->sector * BLK_SECTOR);
	size_t len = r->nr_sectors * BLK_SECTOR;
	ssize_t n = 0;

	switch (r->kind) {
	case BLKIF_OP_READ:
		n = pread(b->image, r->bounce, len, off);
		break;
	case BLKIF_OP_WRITE:
		n = pwrite(b->image, r->bounce, len, off);
		if (n == (ssize_t)len && r->flush_after && fdatasync(b->image))
			n = -1;
		break;
	case BLKIF_OP_FLUSH_DISKCACHE:
		n = fdatasync(b->image) ? -1 : 0;
		len = 0;
		break;
	case BLKIF_OP_DISCARD:
		n = fallocate(b->image, FALLOC_FL_PUNCH_HOLE |
			      FALLOC_FL_KEEP_SIZE, off, len) ? -1 : 0;
		len = 0;
		break;
	}
	if (n < 0 && errno == EOPNOTSUPP)
		return BLKIF_RSP_EOPNOTSUPP;
	return n == (ssize_t)len ? BLKIF_RSP_OKAY : BLKIF_RSP_ERROR;
}

void blk_io_done(struct blkback *b, struct blk_req *r)
{
	if (r->kind == BLKIF_OP_READ && !r->status) {
		if (copy_segments(b, r, true))
			r->status = BLKIF_RSP_ERROR;
		else
			b->stats.rd_sectors += r->nr_sectors;
	}
	if (r->kind == BLKIF_OP_WRITE && !r->status)
		b->stats.wr_sectors += r->nr_sectors;
	blk_ring_respond(b, r);
}

int blk_io_submit(struct blkback *b, struct blk_req *r)
{
	struct io_uring_sqe *sqe, *sync;
	off_t off = (off_t)(r->sector * BLK_SECTOR);
	unsigned int len = (unsigned int)(r->nr_sectors * BLK_SECTOR);

	switch (r->kind) {
	case BLKIF_OP_READ: b->stats.rd_reqs++; break;
	case BLKIF_OP_WRITE: b->stats.wr_reqs++; break;
	case BLKIF_OP_FLUSH_DISKCACHE: b->stats.flush_reqs++; break;
	case BLKIF_OP_DISCARD: b->stats.discard_reqs++; break;
	}
	/* A write's data comes in before anything touches the image. */
	if (r->kind == BLKIF_OP_WRITE && copy_segments(b, r, false)) {
		r->status = BLKIF_RSP_ERROR;
		return -EFAULT;
	}
	if (b->is_nbd)
		return blk_nbd_submit(b, r);
	if (!use_uring) {
		r->status = run_sync(b, r);
		blk_io_done(b, r);
		return 0;
	}
	r->status = BLKIF_RSP_OKAY;
	sqe = sqe_for(b, r, r->kind == BLKIF_OP_READ ||
			    r->kind == BLKIF_OP_WRITE);
	if (!sqe) {
		r->status = BLKIF_RSP_ERROR;
		return -EBUSY;
	}
	switch (r->kind) {
	case BLKIF_OP_READ:
		io_uring_prep_read(sqe, 0, r->bounce, len, off);
		break;
	case BLKIF_OP_WRITE:
		io_uring_prep_write(sqe, 0, r->bounce, len, off);
		if (r->flush_after) {
			sqe->flags |= IOSQE_IO_DRAIN | IOSQE_IO_LINK;
			sync = sqe_for(b, r, false);
			if (sync) {
				io_uring_prep_fsync(sync, 0,
						    IORING_FSYNC_DATASYNC);
				sync->flags |= IOSQE_FIXED_FILE;
			} else {
				/* No room for the sync: do the write alone
				 * but fail it, rather than claim it stable. */
				sqe->flags &= ~IOSQE_IO_LINK;
				r->status = BLKIF_RSP_ERROR;
			}
		}
		break;
	case BLKIF_OP_FLUSH_DISKCACHE:
		io_uring_prep_fsync(sqe, 0, IORING_FSYNC_DATASYNC);
		sqe->flags |= IOSQE_IO_DRAIN;
		break;
	case BLKIF_OP_DISCARD:
		io_uring_prep_fallocate(sqe, 0, FALLOC_FL_PUNCH_HOLE |
					FALLOC_FL_KEEP_SIZE, off,
					(off_t)(r->nr_sectors * BLK_SECTOR));
		break;
	}
	sqe->flags |= IOSQE_FIXED_FILE;
	return 0;
}

void blk_io_flush_submissions(struct blkback *b)
{
	if (use_uring)
		io_uring_submit(&b->uring);
}

static void blk_io_complete(struct blkback *b);

void blk_io_pollfd(struct blkback *b, struct pollfd *p)
{
	if (b->is_nbd) {
		blk_nbd_pollfd(p);
		return;
	}
	p->fd = b->cq_fd;
	p->events = POLLIN;
}

void blk_io_events(struct blkback *b, short revents)
{
	if (b->is_nbd)
		blk_nbd_events(b, revents);
	else if (revents & POLLIN)
		blk_io_complete(b);
}

static void blk_io_complete(struct blkback *b)
{
	struct io_uring_cqe *cqe;
	uint64_t cnt;

	if (read(b->cq_fd, &cnt, sizeof(cnt)) < 0)
		cnt = 0;	/* nothing new: look anyway */
	if (!use_uring)
		return;
	while (io_uring_peek_cqe(&b->uring, &cqe) == 0) {
		uint64_t data = io_uring_cqe_get_data64(cqe);
		uint64_t idx = data & ~DATA_XFER;
		struct blk_req *r;
		int res = cqe->res;

		io_uring_cqe_seen(&b->uring, cqe);
		if (idx >= BLK_MAX_INFLIGHT)
			continue;
		r = &b->reqs[idx];
		if (!r->used || !r->pending)
			continue;
		if (res == -EOPNOTSUPP && !r->status)
			r->status = BLKIF_RSP_EOPNOTSUPP;
		else if (res < 0 || ((data & DATA_XFER) &&
			 (uint64_t)res != r->nr_sectors * BLK_SECTOR))
			r->status = BLKIF_RSP_ERROR;
		if (--r->pending == 0)
			blk_io_done(b, r);
	}
}
