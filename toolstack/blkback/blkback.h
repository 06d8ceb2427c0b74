/* SPDX-License-Identifier: MIT */
#ifndef PVBLKBACK_H
#define PVBLKBACK_H

/*
 * pvblkback: the backend of one virtual disk, in its own process
 * (pvisor/blkback_ctl.h says how pvisord drives it).
 *
 * The backend holds no guest memory: pvisord's grant broker copies the
 * ring pages into a private shadow (whose requests are then copied once
 * and checked), moves data between the guest's granted pages and a
 * bounce buffer per request, and writes responses and indexes back,
 * each with its own grant checks. io_uring moves data between the
 * bounce buffer and the image.
 */
#include <liburing.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <pvabi/io/blkif.h>

#include "pvisor/blkback_ctl.h"

#include "pvisor/gnt_broker.h"
#include "svc.h"

#define BLK_SECTOR		512u
#define BLK_PAGE		4096u
#define BLK_SECTORS_PER_PAGE	(BLK_PAGE / BLK_SECTOR)
/* Segments of one indirect request we accept (and advertise). */
#define BLK_MAX_INDIRECT_SEGS	64u
#define BLK_SEGS_PER_INDIRECT_PAGE \
	(BLK_PAGE / sizeof(struct blkif_request_segment))
/* Requests in flight at once; the ring may hold more. */
#define BLK_MAX_INFLIGHT	64u
_Static_assert(BLK_MAX_INDIRECT_SEGS * BLK_PAGE == BLKBACK_BOUNCE_BYTES &&
	       BLKBACK_BROKER_RINGS == BLK_MAX_INFLIGHT * BLKBACK_BOUNCE_BYTES,
	       "the broker data area as blkback_ctl.h lays it out");

/* One ring (a queue) and its event channel, between CONNECT and
 * DISCONNECT. */
struct blk_queue {
	bool connected, broken;
	bool dirty;			/* responses not yet pushed */
	bool stalled;			/* stopped with no slot in flight */
	int notify_fd, kick_fd;
	uint8_t *shadow;		/* our copy of the ring pages */
	size_t ring_area_len;
	unsigned int nr_ring_pages;
	uint32_t ring_ref[BLKBACK_MAX_RING_PAGES];
	RING_IDX rsp_pushed;		/* rsp_prod the guest last saw */
	blkif_back_ring_t ring;		/* on the shadow */
};

/* A request taken from a ring, checked, with its segments. */
struct blk_req {
	struct blk_queue *q;		/* where it came from, answered to */
	uint64_t id;
	uint8_t op;			/* what the response echoes */
	uint8_t kind;			/* BLKIF_OP_READ/WRITE/FLUSH/DISCARD */
	bool flush_after;		/* a FLUSH_DISKCACHE that carries data */
	bool flush_pending;		/* NBD without FUA: its flush is due */
	uint16_t nr_segs;
	uint64_t sector, nr_sectors;
	struct blkif_request_segment seg[BLK_MAX_INDIRECT_SEGS];
	/* In flight: */
	uint8_t *bounce;
	unsigned int pending;		/* CQEs still to come */
	int16_t status;
	bool used;
};

struct blkback {
	int ctl;			/* the socket to pvisord */
	uint32_t domid, devid;
	uint32_t flags;			/* BLKBACK_F_* in effect */
	int image;			/* a file, a block device, or NBD */
	uint64_t sectors;
	bool is_bdev, is_nbd;
	/* The grant broker: shared with pvisord. */
	struct svc_broker br;

	struct blk_queue queues[BLKBACK_MAX_QUEUES];
	bool draining;			/* DISCONNECT waits for in-flight */

	struct io_uring uring;
	int cq_fd;			/* eventfd the ring signals */
	struct blk_req reqs[BLK_MAX_INFLIGHT];
	unsigned int inflight;
	uint8_t *bounce;		/* BLK_MAX_INFLIGHT areas */

	struct blkback_stats stats;
};

/* main.c */
void blk_log(struct blkback *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* blk_ring.c: the shared rings. */
int blk_ring_connect(struct blkback *b, const struct blkback_msg *m,
		     int notify_fd, int kick_fd);
/* Every queue. */
void blk_ring_disconnect(struct blkback *b);
bool blk_ring_connected(const struct blkback *b);
/* Take what the guest queued, as far as there is room in flight. */
void blk_ring_poll(struct blkback *b, struct blk_queue *q);
void blk_ring_poll_all(struct blkback *b);
/* A request finished: answer it (in the shadow), free its slot. */
void blk_ring_respond(struct blkback *b, struct blk_req *r);
/* Responses out to the guests' rings, notifying as they ask. */
void blk_ring_push_all(struct blkback *b);

/* blk_io.c: the image (io_uring or synchronous; NBD below). */
int blk_io_init(struct blkback *b);
void blk_io_exit(struct blkback *b);
/* Start r (its data copied in for writes); < 0: answer it now. */
int blk_io_submit(struct blkback *b, struct blk_req *r);
void blk_io_flush_submissions(struct blkback *b);
/* What the main loop polls for the engine, and what it saw there. */
void blk_io_pollfd(struct blkback *b, struct pollfd *p);
void blk_io_events(struct blkback *b, short revents);
/* An engine finished r: data out to the guest for reads, answer it. */
void blk_io_done(struct blkback *b, struct blk_req *r);

/* blk_nbd.c: the image through an NBD server (formats other than raw). */
int blk_nbd_open(struct blkback *b, int sock, char *why, size_t len);
void blk_nbd_close(void);
int blk_nbd_submit(struct blkback *b, struct blk_req *r);
void blk_nbd_pollfd(struct pollfd *p);
void blk_nbd_events(struct blkback *b, short revents);

#endif
