// SPDX-License-Identifier: MIT
/*
 * The blkif ring of one disk: requests come out of the guest's shared
 * page as private copies and are checked there before anything is done;
 * responses go back in ring order of completion. The guest may write the
 * page at any time: its indexes are read once per pass, checked against
 * what the ring can hold, and a ring that lies is given up with a logged
 * reason, as Xen's blkback does.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pvisor/gnttab_dom0.h"
#include "blkback.h"

static void queue_disconnect(struct blkback *b, struct blk_queue *q)
{
	for (unsigned int i = 0; i < q->nr_ring_pages; i++)
		gnttab_dom0_unmap(b->gnt, q->ring_handle[i]);
	q->nr_ring_pages = 0;
	if (q->ring_area)
		munmap(q->ring_area, q->ring_area_len);
	q->ring_area = NULL;
	if (q->notify_fd >= 0)
		close(q->notify_fd);
	if (q->kick_fd >= 0)
		close(q->kick_fd);
	q->notify_fd = q->kick_fd = -1;
	q->connected = q->broken = false;
}

int blk_ring_connect(struct blkback *b, const struct blkback_msg *m,
		     int notify_fd, int kick_fd)
{
	unsigned int n = m->connect.nr_ring_pages;
	struct blk_queue *q;
	int rc;

	if (m->connect.queue >= BLKBACK_MAX_QUEUES)
		return -EINVAL;
	q = &b->queues[m->connect.queue];
	if (q->connected)
		return -EISCONN;
	if (b->draining)
		return -EBUSY;
	if (!n || n > BLKBACK_MAX_RING_PAGES || (n & (n - 1)))
		return -EINVAL;
	q->notify_fd = q->kick_fd = -1;
	q->ring_area_len = (size_t)n * BLK_PAGE;
	q->ring_area = mmap(NULL, q->ring_area_len, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q->ring_area == MAP_FAILED) {
		q->ring_area = NULL;
		return -errno;
	}
	for (q->nr_ring_pages = 0; q->nr_ring_pages < n; q->nr_ring_pages++) {
		void *at = (uint8_t *)q->ring_area +
			   (size_t)q->nr_ring_pages * BLK_PAGE;

		rc = gnttab_dom0_map_at(b->gnt,
					m->connect.ring_ref[q->nr_ring_pages],
					true, &at,
					&q->ring_handle[q->nr_ring_pages]);
		if (rc) {
			blk_log(b, "queue %u: cannot map ring page %u (grant "
				"%u): %s", m->connect.queue, q->nr_ring_pages,
				m->connect.ring_ref[q->nr_ring_pages],
				strerror(-rc));
			queue_disconnect(b, q);
			return rc;
		}
	}
	BACK_RING_INIT(&q->ring, (blkif_sring_t *)q->ring_area,
		       q->ring_area_len);
	q->notify_fd = notify_fd;
	q->kick_fd = kick_fd;
	q->connected = true;
	q->broken = false;
	return 0;
}

void blk_ring_disconnect(struct blkback *b)
{
	for (unsigned int i = 0; i < BLKBACK_MAX_QUEUES; i++)
		queue_disconnect(b, &b->queues[i]);
	b->draining = false;
}

bool blk_ring_connected(const struct blkback *b)
{
	for (unsigned int i = 0; i < BLKBACK_MAX_QUEUES; i++)
		if (b->queues[i].connected)
			return true;
	return false;
}

static void give_up(struct blkback *b, struct blk_queue *q, const char *why,
		    RING_IDX a, RING_IDX c)
{
	q->broken = true;
	blk_log(b, "ring shut down: queue %u: %s (%u, %u)",
		(unsigned int)(q - b->queues), why, a, c);
}

/* Segments of a direct request, or of an indirect one's pages. */
static int16_t take_segments(struct blkback *b, struct blk_req *r,
			     const struct blkif_request *req)
{
	if (req->operation == BLKIF_OP_INDIRECT) {
		struct blkif_request_indirect ind;
		unsigned int pages;

		memcpy(&ind, req, sizeof(ind));
		r->op = ind.indirect_op;	/* what blkfront expects back */
		if (ind.indirect_op != BLKIF_OP_READ &&
		    ind.indirect_op != BLKIF_OP_WRITE)
			return BLKIF_RSP_ERROR;
		if (!ind.nr_segments || ind.nr_segments > BLK_MAX_INDIRECT_SEGS)
			return BLKIF_RSP_ERROR;
		r->kind = ind.indirect_op;
		r->nr_segs = ind.nr_segments;
		r->sector = ind.sector_number;
		pages = (r->nr_segs + BLK_SEGS_PER_INDIRECT_PAGE - 1) /
			BLK_SEGS_PER_INDIRECT_PAGE;
		for (unsigned int i = 0; i < pages; i++) {
			unsigned int first = i * BLK_SEGS_PER_INDIRECT_PAGE;
			unsigned int cnt = r->nr_segs - first;

			if (cnt > BLK_SEGS_PER_INDIRECT_PAGE)
				cnt = BLK_SEGS_PER_INDIRECT_PAGE;
			if (gnttab_dom0_copy_from(b->gnt, ind.indirect_grefs[i],
						  0, &r->seg[first],
						  cnt * sizeof(r->seg[0])))
				return BLKIF_RSP_ERROR;
		}
		return BLKIF_RSP_OKAY;
	}
	if (!req->nr_segments ||
	    req->nr_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST)
		return BLKIF_RSP_ERROR;
	r->nr_segs = req->nr_segments;
	r->sector = req->sector_number;
	memcpy(r->seg, req->seg, r->nr_segs * sizeof(r->seg[0]));
	return BLKIF_RSP_OKAY;
}

/* Check a private copy of a request; BLKIF_RSP_OKAY if it may run. */
static int16_t parse(struct blkback *b, struct blk_req *r,
		     const struct blkif_request *req)
{
	bool ro = b->flags & BLKBACK_F_READONLY;
	int16_t st;

	r->id = req->id;
	r->op = req->operation;
	r->flush_after = false;
	r->nr_segs = 0;
	r->nr_sectors = 0;
	switch (req->operation) {
	case BLKIF_OP_FLUSH_DISKCACHE:
		if (!req->nr_segments) {
			r->kind = BLKIF_OP_FLUSH_DISKCACHE;
			return BLKIF_RSP_OKAY;
		}
		r->flush_after = true;	/* data that must be stable */
		/* fall through */
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
		r->kind = req->operation == BLKIF_OP_READ ? BLKIF_OP_READ
							  : BLKIF_OP_WRITE;
		/* fall through */
	case BLKIF_OP_INDIRECT:
		st = take_segments(b, r, req);
		if (st)
			return st;
		for (unsigned int i = 0; i < r->nr_segs; i++) {
			const struct blkif_request_segment *s = &r->seg[i];

			if (s->first_sect > s->last_sect ||
			    s->last_sect >= BLK_SECTORS_PER_PAGE)
				return BLKIF_RSP_ERROR;
			r->nr_sectors += s->last_sect - s->first_sect + 1u;
		}
		break;
	case BLKIF_OP_DISCARD: {
		struct blkif_request_discard dis;

		if (!(b->flags & BLKBACK_F_DISCARD))
			return BLKIF_RSP_EOPNOTSUPP;
		memcpy(&dis, req, sizeof(dis));
		if (dis.flag & BLKIF_DISCARD_SECURE)
			return BLKIF_RSP_EOPNOTSUPP;	/* not offered */
		r->kind = BLKIF_OP_DISCARD;
		r->sector = dis.sector_number;
		r->nr_sectors = dis.nr_sectors;
		break;
	}
	default:
		return BLKIF_RSP_EOPNOTSUPP;
	}
	if (r->sector > b->sectors || r->nr_sectors > b->sectors - r->sector)
		return BLKIF_RSP_ERROR;
	if (ro && r->kind != BLKIF_OP_READ)
		return BLKIF_RSP_ERROR;
	return BLKIF_RSP_OKAY;
}

static struct blk_req *free_slot(struct blkback *b)
{
	for (unsigned int i = 0; i < BLK_MAX_INFLIGHT; i++)
		if (!b->reqs[i].used)
			return &b->reqs[i];
	return NULL;
}

static void push(struct blkback *b, struct blk_queue *q)
{
	uint64_t one = 1;
	int notify;

	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&q->ring, notify);
	if (notify && write(q->kick_fd, &one, sizeof(one)) == sizeof(one))
		b->stats.kicks_out++;
}

void blk_ring_respond(struct blkback *b, struct blk_req *r)
{
	struct blk_queue *q = r->q;
	struct blkif_response *rsp;

	if (q->connected) {
		rsp = RING_GET_RESPONSE(&q->ring, q->ring.rsp_prod_pvt);
		rsp->id = r->id;
		rsp->operation = r->op;
		rsp->status = r->status;
		q->ring.rsp_prod_pvt++;
		push(b, q);
	}
	if (r->status)
		b->stats.errors++;
	r->used = false;
	b->inflight--;
}

void blk_ring_poll(struct blkback *b, struct blk_queue *q)
{
	for (;;) {
		RING_IDX prod;
		int more;

		if (!q->connected || q->broken || b->draining)
			return;
		prod = q->ring.sring->req_prod;
		xen_rmb();	/* the slots after the index */
		if (RING_REQUEST_PROD_OVERFLOW(&q->ring, prod)) {
			give_up(b, q, "producer index beyond the ring", prod,
				q->ring.rsp_prod_pvt);
			return;
		}
		while (q->ring.req_cons != prod &&
		       b->inflight < BLK_MAX_INFLIGHT) {
			struct blkif_request req;
			struct blk_req *r = free_slot(b);

			if (RING_REQUEST_CONS_OVERFLOW(&q->ring, q->ring.req_cons))
				break;
			RING_COPY_REQUEST(&q->ring, q->ring.req_cons, &req);
			q->ring.req_cons++;
			r->used = true;
			r->q = q;
			r->pending = 0;
			b->inflight++;
			b->stats.reqs++;
			r->status = parse(b, r, &req);
			if (r->status || blk_io_submit(b, r) < 0)
				blk_ring_respond(b, r);
		}
		blk_io_flush_submissions(b);
		if (b->inflight >= BLK_MAX_INFLIGHT)
			return;		/* a completion calls us again */
		RING_FINAL_CHECK_FOR_REQUESTS(&q->ring, more);
		if (!more)
			return;
	}
}

/* Slots freed up: every queue may go on, none first always. */
void blk_ring_poll_all(struct blkback *b)
{
	static unsigned int next;

	for (unsigned int i = 0; i < BLKBACK_MAX_QUEUES; i++)
		blk_ring_poll(b, &b->queues[(next + i) % BLKBACK_MAX_QUEUES]);
	next++;
}
