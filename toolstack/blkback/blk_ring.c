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

int blk_ring_connect(struct blkback *b, const struct blkback_msg *m,
		     int notify_fd, int kick_fd)
{
	unsigned int n = m->connect.nr_ring_pages;
	int rc;

	if (b->connected)
		return -EISCONN;
	if (!n || n > BLKBACK_MAX_RING_PAGES || (n & (n - 1)))
		return -EINVAL;
	b->ring_area_len = (size_t)n * BLK_PAGE;
	b->ring_area = mmap(NULL, b->ring_area_len, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->ring_area == MAP_FAILED) {
		b->ring_area = NULL;
		return -errno;
	}
	for (b->nr_ring_pages = 0; b->nr_ring_pages < n; b->nr_ring_pages++) {
		void *at = (uint8_t *)b->ring_area +
			   (size_t)b->nr_ring_pages * BLK_PAGE;

		rc = gnttab_dom0_map_at(b->gnt, m->connect.ring_ref[b->nr_ring_pages],
					true, &at,
					&b->ring_handle[b->nr_ring_pages]);
		if (rc) {
			blk_log(b, "cannot map ring page %u (grant %u): %s",
				b->nr_ring_pages,
				m->connect.ring_ref[b->nr_ring_pages],
				strerror(-rc));
			b->notify_fd = b->kick_fd = -1;
			blk_ring_disconnect(b);
			return rc;
		}
	}
	BACK_RING_INIT(&b->ring, (blkif_sring_t *)b->ring_area,
		       b->ring_area_len);
	b->notify_fd = notify_fd;
	b->kick_fd = kick_fd;
	b->connected = true;
	b->broken = b->draining = false;
	return 0;
}

void blk_ring_disconnect(struct blkback *b)
{
	for (unsigned int i = 0; i < b->nr_ring_pages; i++)
		gnttab_dom0_unmap(b->gnt, b->ring_handle[i]);
	b->nr_ring_pages = 0;
	if (b->ring_area)
		munmap(b->ring_area, b->ring_area_len);
	b->ring_area = NULL;
	if (b->notify_fd >= 0)
		close(b->notify_fd);
	if (b->kick_fd >= 0)
		close(b->kick_fd);
	b->notify_fd = b->kick_fd = -1;
	b->connected = b->draining = false;
}

static void give_up(struct blkback *b, const char *why, RING_IDX a, RING_IDX c)
{
	b->broken = true;
	blk_log(b, "ring shut down: %s (%u, %u)", why, a, c);
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

static void push(struct blkback *b)
{
	uint64_t one = 1;
	int notify;

	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&b->ring, notify);
	if (notify && write(b->kick_fd, &one, sizeof(one)) == sizeof(one))
		b->stats.kicks_out++;
}

void blk_ring_respond(struct blkback *b, struct blk_req *r)
{
	struct blkif_response *rsp;

	if (b->connected) {
		rsp = RING_GET_RESPONSE(&b->ring, b->ring.rsp_prod_pvt);
		rsp->id = r->id;
		rsp->operation = r->op;
		rsp->status = r->status;
		b->ring.rsp_prod_pvt++;
		push(b);
	}
	if (r->status)
		b->stats.errors++;
	r->used = false;
	b->inflight--;
}

void blk_ring_poll(struct blkback *b)
{
	for (;;) {
		RING_IDX prod;
		int more;

		if (!b->connected || b->broken || b->draining)
			return;
		prod = b->ring.sring->req_prod;
		xen_rmb();	/* the slots after the index */
		if (RING_REQUEST_PROD_OVERFLOW(&b->ring, prod)) {
			give_up(b, "producer index beyond the ring", prod,
				b->ring.rsp_prod_pvt);
			return;
		}
		while (b->ring.req_cons != prod &&
		       b->inflight < BLK_MAX_INFLIGHT) {
			struct blkif_request req;
			struct blk_req *r = free_slot(b);

			if (RING_REQUEST_CONS_OVERFLOW(&b->ring, b->ring.req_cons))
				break;
			RING_COPY_REQUEST(&b->ring, b->ring.req_cons, &req);
			b->ring.req_cons++;
			r->used = true;
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
		RING_FINAL_CHECK_FOR_REQUESTS(&b->ring, more);
		if (!more)
			return;
	}
}
