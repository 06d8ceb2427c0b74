/* SPDX-License-Identifier: MIT */
#ifndef PVISOR_BLKBACK_CTL_H
#define PVISOR_BLKBACK_CTL_H

/*
 * pvisord <-> pvblkback, the block backend process of one virtual disk.
 * A SOCK_SEQPACKET socketpair, the backend's fd 3 from its start; one
 * struct blkback_msg per packet, file descriptors by SCM_RIGHTS.
 *
 * pvisord keeps xenstore and the xenbus state machine; the backend only
 * ever sees what pvisord read there, already parsed. It never holds the
 * guest's RAM or grant table: every access to guest memory (the ring
 * pages, the data segments, the indexes) is an operation it asks of
 * pvisord's grant broker (pvisor/gnt_broker.h), through a memfd the two
 * share, one round trip per batch; pvisord checks each against the
 * grant table and the frame rules. The rest of the data path (io_uring,
 * event channel eventfds) does not pass through pvisord.
 *
 *   OPEN        -> fds: broker memfd, broker "go" and "done" eventfds,
 *                  image. The memfd: GNT_BROKER_DATA_OFF bytes of header
 *                  and ops, then BLKBACK_BROKER_DATA_LEN of data area
 *   <- INFO        geometry, or status < 0 and text: why not
 *   CONNECT     -> one queue's ring refs and event channel; fds:
 *   <- CONNECTED   notify, kick. Status 0, or < 0 and text. Once per
 *                  queue (multi-queue), queue 0 first
 *   DISCONNECT  -> every queue: stop taking requests, finish those in
 *   <- DISCONNECTED  flight, answer them, let go of the rings
 *   <- LOG         something pvisord should log (e.g. a hostile ring)
 *   STATS       -> <- STATS  counters
 * pvisord closing the socket ends the backend.
 */
#include <stdint.h>

#define BLKBACK_CTL_FD		3
#define BLKBACK_MAX_RING_PAGES	16	/* max-ring-page-order 4 */
#define BLKBACK_MAX_QUEUES	4	/* multi-queue-max-queues */

/*
 * The backend's broker data area: a bounce buffer per request in flight
 * (64 of 64 pages), a copy of each queue's ring pages, a page for an
 * indirect request's segments.
 */
#define BLKBACK_BOUNCE_BYTES	(64u * 4096u)
#define BLKBACK_BROKER_BOUNCE	0ull
#define BLKBACK_BROKER_RINGS	(64ull * BLKBACK_BOUNCE_BYTES)
#define BLKBACK_BROKER_IND	(BLKBACK_BROKER_RINGS + \
				 BLKBACK_MAX_QUEUES * BLKBACK_MAX_RING_PAGES * 4096ull)
#define BLKBACK_BROKER_DATA_LEN	(BLKBACK_BROKER_IND + 4096ull)

enum blkback_msg_type {
	BLKBACK_OPEN = 1,
	BLKBACK_INFO,
	BLKBACK_CONNECT,
	BLKBACK_CONNECTED,
	BLKBACK_DISCONNECT,
	BLKBACK_DISCONNECTED,
	BLKBACK_LOG,
	BLKBACK_STATS,
};

#define BLKBACK_F_READONLY	(1u << 0)
#define BLKBACK_F_CDROM		(1u << 1)
#define BLKBACK_F_DISCARD	(1u << 2)	/* offer discard */

struct blkback_stats {
	uint64_t reqs, rd_reqs, wr_reqs, flush_reqs, discard_reqs;
	uint64_t rd_sectors, wr_sectors;
	uint64_t errors;			/* BLKIF_RSP_ERROR sent */
	uint64_t kicks_in, kicks_out;		/* event channel */
	uint64_t broker_batches, broker_ops;	/* round trips to pvisord */
};

struct blkback_msg {
	uint32_t type;
	int32_t status;			/* replies: 0 or -errno */
	union {
		struct {
			uint32_t domid, devid;
			uint32_t flags;		/* BLKBACK_F_* */
		} open;
		struct {
			uint64_t sectors;	/* of 512 bytes */
			uint32_t sector_size, physical_sector_size;
			uint32_t flags;		/* BLKBACK_F_* in effect */
			uint32_t max_indirect_segments;
			uint32_t discard_granularity;
		} info;
		struct {
			uint32_t nr_ring_pages;
			uint32_t ring_ref[BLKBACK_MAX_RING_PAGES];
			uint32_t queue;		/* < BLKBACK_MAX_QUEUES */
		} connect;
		struct blkback_stats stats;
	};
	char text[160];			/* LOG, or why a request failed */
};

#endif
