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
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "pvisor/gnttab_dom0.h"
#include "blkback.h"

static void push(struct blkback *b, struct blk_queue *q);

static void queue_disconnect(struct blkback *b, struct blk_queue *q)
{
	if (q->connected && !q->broken && q->dirty)
		push(b, q);	/* what finished while draining */
	q->nr_ring_pages = 0;
	q->dirty = false;
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
	unsigned int qi = m->connect.queue;

	if (qi >= BLKBACK_MAX_QUEUES)
		return -EINVAL;
	q = &b->queues[qi];
	if (q->connected)
		return -EISCONN;
	if (b->draining)
		return -EBUSY;
	if (!n || n > BLKBACK_MAX_RING_PAGES || (n & (n - 1)))
		return -EINVAL;
	q->notify_fd = q->kick_fd = -1;
	q->ring_area_len = (size_t)n * BLK_PAGE;
	q->shadow = b->br.data + BLKBACK_BROKER_RINGS +
		    (size_t)qi * BLKBACK_MAX_RING_PAGES * BLK_PAGE;
	/* Each page must be granted to us writable, and be RAM that may
	 * be written: pvisord checks, as a map would, holding nothing. */
	for (unsigned int i = 0; i < n; i++) {
		q->ring_ref[i] = m->connect.ring_ref[i];
		svc_broker_add(&b->br, GNT_BROKER_CHECK_RW, q->ring_ref[i],
			       0, 0, q->shadow);
	}
	svc_broker_run(&b->br);
	for (unsigned int i = 0; i < n; i++) {
		int16_t st = svc_broker_status(&b->br, i);

		if (st) {
			int rc = gnttab_dom0_errno(st);

			blk_log(b, "queue %u: cannot map ring page %u (grant "
				"%u): %s", qi, i, q->ring_ref[i],
				strerror(-rc));
			return rc ? rc : -EIO;
		}
	}
	q->nr_ring_pages = n;
	memset(q->shadow, 0, q->ring_area_len);
	BACK_RING_INIT(&q->ring, (blkif_sring_t *)q->shadow,
		       q->ring_area_len);
	q->rsp_pushed = 0;
	q->dirty = false;
	q->notify_fd = notify_fd;
	q->kick_fd = kick_fd;
	q->connected = true;
	q->stalled = false;
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
		_Static_assert(BLK_MAX_INDIRECT_SEGS <=
			       BLK_SEGS_PER_INDIRECT_PAGE,
			       "one page of the broker area for segments");
		if (pages != 1)
			return BLKIF_RSP_ERROR;
		{
			uint8_t *at = b->br.data + BLKBACK_BROKER_IND;
			size_t len = r->nr_segs * sizeof(r->seg[0]);

			svc_broker_add(&b->br, GNT_BROKER_COPY_IN,
				       ind.indirect_grefs[0], 0,
				       (unsigned int)len, at);
			if (svc_broker_run(&b->br) ||
			    svc_broker_status(&b->br, 0))
				return BLKIF_RSP_ERROR;
			memcpy(r->seg, at, len);	/* ours: read once */
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

/* Ring-area bytes [off, off + len) between the shadow and the guest's
 * pages, a broker op per page crossed. */
static void add_range(struct blkback *b, struct blk_queue *q, uint8_t kind,
		      size_t off, size_t len)
{
	while (len) {
		size_t pg = off / BLK_PAGE, in = off % BLK_PAGE;
		size_t n = BLK_PAGE - in < len ? BLK_PAGE - in : len;

		svc_broker_add(&b->br, kind, q->ring_ref[pg],
			       (unsigned int)in, (unsigned int)n,
			       q->shadow + off);
		off += n;
		len -= n;
	}
}

static bool batch_ok(struct blkback *b, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (svc_broker_status(&b->br, i))
			return false;
	return true;
}

/*
 * What RING_PUSH_RESPONSES_AND_CHECK_NOTIFY does, through the broker:
 * the new slots out, then rsp_prod, then rsp_event read back (a full
 * barrier between each), and our own record of what the guest last saw
 * rather than its rsp_prod.
 */
static void push(struct blkback *b, struct blk_queue *q)
{
	blkif_sring_t *s = q->ring.sring;
	RING_IDX old = q->rsp_pushed, new = q->ring.rsp_prod_pvt;
	size_t base = offsetof(blkif_sring_t, ring), esz = sizeof(s->ring[0]);
	unsigned int size = RING_SIZE(&q->ring), n;
	uint64_t one = 1;

	q->dirty = false;
	if (old == new || q->broken)
		return;
	for (RING_IDX i = old; i != new;) {
		unsigned int at = i & (size - 1), cnt = new - i;

		if (cnt > size - at)
			cnt = size - at;
		add_range(b, q, GNT_BROKER_COPY_OUT, base + at * esz,
			  cnt * esz);
		i += cnt;
	}
	s->rsp_prod = new;
	svc_broker_add(&b->br, GNT_BROKER_STORE32, q->ring_ref[0],
		       offsetof(blkif_sring_t, rsp_prod), 4, &s->rsp_prod);
	svc_broker_add(&b->br, GNT_BROKER_LOAD32, q->ring_ref[0],
		       offsetof(blkif_sring_t, rsp_event), 4, &s->rsp_event);
	n = b->br.n;
	if (svc_broker_run(&b->br) || !batch_ok(b, n)) {
		give_up(b, q, "cannot write the ring", old, new);
		return;
	}
	q->rsp_pushed = new;
	if ((RING_IDX)(new - s->rsp_event) < (RING_IDX)(new - old) &&
	    write(q->kick_fd, &one, sizeof(one)) == sizeof(one))
		b->stats.kicks_out++;
}

void blk_ring_push_all(struct blkback *b)
{
	for (unsigned int i = 0; i < BLKBACK_MAX_QUEUES; i++) {
		struct blk_queue *q = &b->queues[i];

		if (q->connected && q->dirty)
			push(b, q);
	}
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
		q->dirty = true;	/* pushed once the pass is over */
	}
	if (r->status)
		b->stats.errors++;
	r->used = false;
	b->inflight--;
}

/* The guest's ring pages into the shadow, after what we owe it (the
 * copy overwrites the shadow's response slots). req_prod is at the
 * start of the first page: read before the slots. */
static bool fetch(struct blkback *b, struct blk_queue *q)
{
	unsigned int n;

	if (q->dirty)
		push(b, q);
	if (q->broken)
		return false;
	add_range(b, q, GNT_BROKER_COPY_IN, 0, q->ring_area_len);
	n = b->br.n;
	if (svc_broker_run(&b->br) || !batch_ok(b, n)) {
		give_up(b, q, "cannot read the ring", q->ring.req_cons,
			q->ring.rsp_prod_pvt);
		return false;
	}
	return true;
}

/* RING_FINAL_CHECK_FOR_REQUESTS: req_event out, then req_prod read. */
static bool final_check(struct blkback *b, struct blk_queue *q)
{
	blkif_sring_t *s = q->ring.sring;

	if (q->dirty)
		push(b, q);
	if (q->broken)
		return false;
	s->req_event = q->ring.req_cons + 1;
	svc_broker_add(&b->br, GNT_BROKER_STORE32, q->ring_ref[0],
		       offsetof(blkif_sring_t, req_event), 4, &s->req_event);
	svc_broker_add(&b->br, GNT_BROKER_LOAD32, q->ring_ref[0],
		       offsetof(blkif_sring_t, req_prod), 4, &s->req_prod);
	if (svc_broker_run(&b->br) || !batch_ok(b, 2)) {
		give_up(b, q, "cannot write the ring", q->ring.req_cons,
			q->ring.rsp_prod_pvt);
		return false;
	}
	return RING_HAS_UNCONSUMED_REQUESTS(&q->ring) != 0;
}

void blk_ring_poll(struct blkback *b, struct blk_queue *q)
{
	q->stalled = false;
	for (;;) {
		RING_IDX prod;

		if (!q->connected || q->broken || b->draining)
			return;
		if (!fetch(b, q))
			return;
		prod = q->ring.sring->req_prod;
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
		if (b->inflight >= BLK_MAX_INFLIGHT) {
			q->stalled = true;	/* a completion calls us again */
			return;
		}
		if (!final_check(b, q))
			return;
	}
}

/* Slots freed up: every queue that waited for one may go on, none
 * first always. The others asked for a kick (req_event) and get one. */
void blk_ring_poll_all(struct blkback *b)
{
	static unsigned int next;

	for (unsigned int i = 0; i < BLKBACK_MAX_QUEUES; i++) {
		struct blk_queue *q = &b->queues[(next + i) % BLKBACK_MAX_QUEUES];

		if (q->stalled && b->inflight < BLK_MAX_INFLIGHT)
			blk_ring_poll(b, q);
	}
	next++;
}
